/**
 * Every record type the resolver decodes, asked of a real authoritative server (Knot on loopback):
 * A, AAAA, MX, TXT (strings joined per record, RFC 7208 §3.3), PTR (by name and by address), CNAME
 * (and records behind one), NS, SRV, TLSA; NXDOMAIN and NODATA apart, with the SOA's negative TTL
 * (RFC 2308 §5); names that cannot be asked; and what goes into each query (EDNS0, AD, DO).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type DecodedPacket, encode } from "dns-packet";
import { DnsResolver } from "../../src/dns/mod.ts";
import { startScriptedDnsServer } from "../harness/dns-scripted.ts";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";
import { run } from "../harness/run.ts";

const TLSA_HASH = "8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1";
const LONG_TXT = `v=DKIM1; k=rsa; p=${"A".repeat(400)}`;

let knot: TestDnsServer;
let dns: DnsResolver;

beforeAll(async () => {
  knot = await startDnsServer([
    {
      origin: "example.org",
      negativeTtl: 45,
      records: [
        { name: "@", type: "MX", ttl: 3600, value: "10 mx.example.org." },
        { name: "@", type: "MX", ttl: 3600, value: "20 mx2.example.org." },
        { name: "mx", type: "A", ttl: 120, value: "192.0.2.1" },
        { name: "mx", type: "AAAA", value: "2001:db8::1" },
        { name: "@", type: "TXT", value: ["v=spf1 ", "ip4:192.0.2.1 ", "-all"] },
        { name: "@", type: "TXT", value: "another record" },
        { name: "sel._domainkey", type: "TXT", value: LONG_TXT },
        { name: "www", type: "CNAME", value: "mx.example.org." },
        { name: "_25._tcp.mx", type: "TLSA", value: `3 1 1 ${TLSA_HASH}` },
        { name: "_submission._tcp", type: "SRV", value: "0 1 587 mx.example.org." },
        { name: "quoted", type: "TXT", value: 'say "hi" \\ bye' },
      ],
    },
    { origin: "2.0.192.in-addr.arpa", records: [{ name: "1", type: "PTR", value: "mx.example.org." }] },
    {
      origin: "8.b.d.0.1.0.0.2.ip6.arpa",
      records: [
        { name: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0", type: "PTR", value: "mx.example.org." },
      ],
    },
  ]);
  dns = new DnsResolver({ servers: [knot.server], timeoutMs: 1_000 });
});

afterAll(async () => {
  dns.close();
  await knot.stop();
});

describe("DnsResolver lookups", () => {
  test("A and AAAA give the addresses with the record's TTL", async () => {
    expect(await dns.a("mx.example.org")).toEqual({
      kind: "ok",
      records: ["192.0.2.1"],
      ttl: 120,
      authenticated: false,
    });
    expect(await dns.aaaa("MX.Example.ORG.")).toMatchObject({
      kind: "ok",
      records: ["2001:db8::1"],
      ttl: 300,
    });
  });

  test("MX gives exchange (lower case, no trailing dot) and preference", async () => {
    const mx = await dns.mx("example.org");
    expect(mx.kind).toBe("ok");
    if (mx.kind !== "ok") return;
    expect([...mx.records].sort((a, b) => a.preference - b.preference)).toEqual([
      { exchange: "mx.example.org", preference: 10 },
      { exchange: "mx2.example.org", preference: 20 },
    ]);
    expect(mx.ttl).toBe(3600);
  });

  test("TXT joins the strings of each record without spaces (RFC 7208 §3.3), one entry per record", async () => {
    const txt = await dns.txt("example.org");
    expect(txt.kind).toBe("ok");
    if (txt.kind !== "ok") return;
    expect([...txt.records].sort()).toEqual(["another record", "v=spf1 ip4:192.0.2.1 -all"]);
  });

  test("a TXT record longer than 255 bytes (several strings on the wire) comes back whole", async () => {
    expect(await dns.txt("sel._domainkey.example.org")).toMatchObject({ kind: "ok", records: [LONG_TXT] });
    expect(await dns.txt("quoted.example.org")).toMatchObject({ records: ['say "hi" \\ bye'] });
  });

  test("PTR by address (in-addr.arpa, ip6.arpa) and by name", async () => {
    expect(await dns.ptr("192.0.2.1")).toMatchObject({ kind: "ok", records: ["mx.example.org"] });
    expect(await dns.ptr("2001:db8::1")).toMatchObject({ kind: "ok", records: ["mx.example.org"] });
    expect(await dns.ptr("1.2.0.192.in-addr.arpa")).toMatchObject({
      kind: "ok",
      records: ["mx.example.org"],
    });
  });

  test("CNAME gives the alias target; other types follow the chain to its end", async () => {
    expect(await dns.cname("www.example.org")).toMatchObject({ kind: "ok", records: ["mx.example.org"] });
    expect(await dns.a("www.example.org")).toMatchObject({ kind: "ok", records: ["192.0.2.1"] });
  });

  test("TLSA gives usage, selector, matching type and the association data", async () => {
    const tlsa = await dns.tlsa("_25._tcp.mx.example.org");
    expect(tlsa.kind).toBe("ok");
    if (tlsa.kind !== "ok") return;
    expect(tlsa.records).toHaveLength(1);
    const [record] = tlsa.records;
    expect({ ...record, data: Buffer.from(record!.data).toString("hex") }).toEqual({
      usage: 3,
      selector: 1,
      matchingType: 1,
      data: TLSA_HASH,
    });
    expect(tlsa.authenticated).toBe(false);
  });

  test("SRV and NS, and the generic resolve(name, type)", async () => {
    expect(await dns.srv("_submission._tcp.example.org")).toMatchObject({
      records: [{ priority: 0, weight: 1, port: 587, target: "mx.example.org" }],
    });
    expect(await dns.resolve("example.org", "NS")).toMatchObject({ kind: "ok", records: ["ns.example.org"] });
  });

  test("a missing name is NXDOMAIN, a missing type NODATA, both with the SOA minimum as TTL", async () => {
    expect(await dns.a("nothere.example.org")).toEqual({ kind: "nxdomain", ttl: 45, authenticated: false });
    expect(await dns.a("example.org")).toEqual({ kind: "nodata", ttl: 45, authenticated: false });
    expect(await dns.tlsa("_25._tcp.mx2.example.org")).toMatchObject({ kind: "nxdomain" });
  });

  test("a name that cannot be asked is badname, and no query is sent", async () => {
    const before = await knot.queryCounts();
    for (const name of [`${"a".repeat(64)}.example.org`, "a..example.org", "", "sp ace.example.org"]) {
      expect((await dns.txt(name)).kind).toBe("badname");
    }
    expect(await knot.queryCounts()).toEqual(before);
  });
});

describe("the query on the wire", () => {
  test("asks RD and AD with EDNS0 (1232 bytes); the DO bit only when DNSSEC records are wanted", async () => {
    const seen: DecodedPacket[] = [];
    const scripted = await startScriptedDnsServer((query) => {
      seen.push(query);
      return encode({
        type: "response",
        id: query.id,
        // The AD bit of a validating resolver's answer (RFC 4035 §3.2.3).
        flags: 0x0100 | 0x0080 | 0x0020,
        questions: query.questions,
        answers: [{ type: "A", name: query.questions![0]!.name, ttl: 60, data: "192.0.2.7" }],
      });
    });
    const resolver = new DnsResolver({ servers: [scripted.server], timeoutMs: 1_000 });
    try {
      expect(await resolver.a("signed.example")).toMatchObject({ kind: "ok", authenticated: true });
      expect(await resolver.resolve("signed.example", "A", { dnssec: true })).toMatchObject({
        authenticated: true,
      });
      const [plain, dnssec] = seen.map((q) => ({
        rd: q.flag_rd,
        ad: q.flag_ad,
        opt: q.additionals?.find((a) => a.type === "OPT") as
          | { udpPayloadSize: number; flag_do: boolean }
          | undefined,
      }));
      expect(plain).toMatchObject({ rd: true, ad: true, opt: { udpPayloadSize: 1232, flag_do: false } });
      expect(dnssec).toMatchObject({ rd: true, ad: true, opt: { udpPayloadSize: 1232, flag_do: true } });
    } finally {
      resolver.close();
      await scripted.stop();
    }
  });

  test("every query has a fresh random ID and source port (RFC 5452 §9.2)", async () => {
    const ids = new Set<number>();
    const ports = new Set<number>();
    const scripted = await startScriptedDnsServer((query, _raw, from) => {
      ids.add(query.id!);
      ports.add(from.port);
      return null;
    });
    const resolver = new DnsResolver({ servers: [scripted.server], timeoutMs: 50, rounds: 1 });
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => resolver.a(`n${i}.example`)));
      expect(results.every((r) => r.kind === "temperror")).toBe(true);
      // 20 draws from 65536 IDs: a repeat is possible (p ~ 0.3%), two are not.
      expect(ids.size).toBeGreaterThanOrEqual(19);
      expect(ports.size).toBe(20);
    } finally {
      resolver.close();
      await scripted.stop();
    }
  });

  test("the harness signs a zone given dnssec: true (RRSIGs answer the DO bit), for the DANE tests", async () => {
    const signed = await startDnsServer([
      { origin: "signed.example", dnssec: true, records: [{ name: "@", type: "A", value: "192.0.2.1" }] },
    ]);
    try {
      const kdig = (...args: string[]) =>
        run("kdig", ["@127.0.0.1", "-p", String(signed.port), "+short", ...args], { timeoutMs: 10_000 });
      expect((await kdig("+dnssec", "signed.example", "A")).stdout).toMatch(/^A 13 2 300 /m);
      expect((await kdig("signed.example", "DNSKEY")).stdout).toMatch(/^257 3 13 /m);
      const resolver = new DnsResolver({ servers: [signed.server], timeoutMs: 1_000 });
      expect(await resolver.resolve("signed.example", "A", { dnssec: true })).toMatchObject({
        kind: "ok",
        records: ["192.0.2.1"],
      });
      resolver.close();
    } finally {
      await signed.stop();
    }
  });
});
