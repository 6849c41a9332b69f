/**
 * GET /api/v1/domains/{domain}/dns: every record a local domain needs (MX, SPF, DKIM, DMARC,
 * MTA-STS, TLS-RPT, RFC 6186 SRV), each checked against what a real DNS server (Knot) serves now:
 * ok, missing, different (with what was found), unknown on a temporary failure. The zone-file form
 * loads into Knot as it is and then checks ok throughout. /.well-known/mta-sts.txt serves the policy.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { CheckedRecord } from "../../src/auth/dns-check.ts";
import { dnsRecordsExpected, publishSettingsOf, txtStrings } from "../../src/auth/dns-records.ts";
import { mtaStsPolicyId } from "../../src/auth/mta-sts-policy.ts";
import { startDnsServer, type TestDnsServer, type ZoneRecord } from "../harness/dns-server.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";
import { zoneOf } from "./verifiers.ts";

let knot: TestDnsServer;
let server: TestServer;

beforeAll(async () => {
  knot = await startDnsServer([
    { origin: "rec.example", records: [], negativeTtl: 0 },
    { origin: "zone.example", records: [], negativeTtl: 0 },
    { origin: "broken.example", records: [], broken: true },
  ]);
  server = await startTestServer({
    hostname: "mx.rec.example",
    domain: "rec.example",
    dnsServers: [knot.server],
    pop3Port: null,
    pop3sPort: null,
  });
  for (const name of ["zone.example", "broken.example"])
    expect((await server.api("/api/v1/domains", { method: "POST", json: { name } })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await knot?.stop();
});

async function records(domain: string): Promise<CheckedRecord[]> {
  const res = await server.api(`/api/v1/domains/${domain}/dns`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: CheckedRecord[] }).items;
}

const byName = (items: CheckedRecord[], type: string, name: string) =>
  items.find((i) => i.type === type && i.name === name)!;

describe("the records", () => {
  test("GET .../dns lists MX, SPF, both DKIM keys, DMARC, MTA-STS, TLS-RPT and the client SRV records", async () => {
    const items = await records("rec.example");
    const shape = items
      .filter((i) => !i.name.includes("._domainkey."))
      .map((i) => `${i.type} ${i.name} ${i.type === "FILE" ? "(policy)" : i.value}`);
    const port = (p: number | null) => (p === null ? "0 0 0 ." : `0 1 ${p} mx.rec.example`);
    expect(shape).toEqual([
      "MX rec.example 10 mx.rec.example",
      // MAILROOM_BIND is loopback here, not an address to publish: the MX host stands for it.
      "TXT rec.example v=spf1 mx -all",
      "TXT _dmarc.rec.example v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@rec.example",
      `TXT _mta-sts.rec.example v=STSv1; id=${mtaStsPolicyId(byName(items, "FILE", "https://mta-sts.rec.example/.well-known/mta-sts.txt").value)}`,
      "CNAME mta-sts.rec.example mx.rec.example",
      "FILE https://mta-sts.rec.example/.well-known/mta-sts.txt (policy)",
      "TXT _smtp._tls.rec.example v=TLSRPTv1; rua=mailto:tls-reports@rec.example",
      "CNAME autoconfig.rec.example mx.rec.example",
      `SRV _autodiscover._tcp.rec.example ${port(server.ports["public-https"])}`,
      `SRV _submission._tcp.rec.example ${port(server.ports.submission)}`,
      `SRV _submissions._tcp.rec.example ${port(server.ports.smtps)}`,
      `SRV _imap._tcp.rec.example ${port(server.ports.imap)}`,
      `SRV _imaps._tcp.rec.example ${port(server.ports.imaps)}`,
      // POP3 is off on this server: RFC 6186 §4's "not offered".
      "SRV _pop3._tcp.rec.example 0 0 0 .",
      "SRV _pop3s._tcp.rec.example 0 0 0 .",
    ]);
    const { items: keys } = (await (await server.api("/api/v1/domains/rec.example/dkim")).json()) as {
      items: Array<{ selector: string; algorithm: string }>;
    };
    const dkim = items.filter((i) => i.name.includes("._domainkey."));
    expect(dkim.map((i) => i.name).sort()).toEqual(
      keys.map((k) => `${k.selector}._domainkey.rec.example`).sort(),
    );
    for (const i of dkim) expect(i.value).toMatch(/^v=DKIM1; k=(rsa|ed25519); p=[A-Za-z0-9+/]+=*$/);
    for (const i of items) {
      expect(i.purpose.length).toBeGreaterThan(10);
      expect(i.ttl).toBe(i.type === "FILE" ? null : 3600);
    }
    expect(byName(items, "FILE", "https://mta-sts.rec.example/.well-known/mta-sts.txt").value).toBe(
      "version: STSv1\r\nmode: testing\r\nmx: mx.rec.example\r\nmax_age: 604800\r\n",
    );
  });

  test("a public MAILROOM_BIND goes into SPF and gets an A record for the host", () => {
    const settings = publishSettingsOf({ ...server.config, bind: "203.0.113.7", hostname: "mx.rec.example" });
    const items = dnsRecordsExpected("rec.example", [], settings);
    expect(items.find((i) => i.value.startsWith("v=spf1"))?.value).toBe("v=spf1 mx ip4:203.0.113.7 -all");
    expect(items.find((i) => i.type === "A")).toMatchObject({ name: "mx.rec.example", value: "203.0.113.7" });
    const v6 = dnsRecordsExpected("rec.example", [], { ...settings, bind: "2001:db8::25" });
    expect(v6.find((i) => i.value.startsWith("v=spf1"))?.value).toBe("v=spf1 mx ip6:2001:db8::25 -all");
  });
});

describe("status against DNS", () => {
  test("with nothing published every record is missing, and the policy file unchecked", async () => {
    const items = await records("rec.example");
    for (const i of items)
      expect({ name: i.name, status: i.status }).toEqual({
        name: i.name,
        status: i.type === "FILE" ? "unchecked" : "missing",
      });
  });

  test("published records are ok; a changed one is different and shows what DNS served", async () => {
    const items = await records("rec.example");
    const zone = zoneOf("rec.example", items);
    const dmarc = zone.records.find((r) => r.name === "_dmarc.rec.example.")!;
    dmarc.value = "v=DMARC1; p=none";
    const rsa = zone.records.find((r) => String(r.value).includes("k=rsa"))!;
    rsa.value = String(rsa.value).replace(/p=.{8}/, "p=AAAAAAAA");
    // An unrelated TXT at the apex (a site verification) is not the SPF record and changes nothing.
    zone.records.push({ name: "@", type: "TXT", ttl: 0, value: "google-site-verification=abc" });
    // The MX preference is ours to suggest; the host is what matters.
    zone.records.find((r) => r.type === "MX")!.value = "20 mx.rec.example.";
    await knot.setZone(zone);

    const checked = await records("rec.example");
    const status = (i: CheckedRecord) => i.status;
    expect(status(byName(checked, "TXT", "_dmarc.rec.example"))).toBe("different");
    expect(byName(checked, "TXT", "_dmarc.rec.example").found).toEqual(["v=DMARC1; p=none"]);
    const rsaItem = checked.find((i) => i.value.includes("k=rsa"))!;
    expect(rsaItem.status).toBe("different");
    expect(rsaItem.found[0]).toContain("p=AAAAAAAA");
    const rest = checked.filter((i) => i !== rsaItem && i.name !== "_dmarc.rec.example" && i.type !== "FILE");
    expect(rest.filter((i) => i.status !== "ok").map((i) => `${i.type} ${i.name} ${i.status}`)).toEqual([]);
    expect(byName(checked, "TXT", "rec.example").found).toEqual(["v=spf1 mx -all"]);
  });

  test("a lookup that fails for now (SERVFAIL) is unknown, with the resolver's error", async () => {
    const items = await records("broken.example");
    for (const i of items.filter((x) => x.type !== "FILE")) {
      expect(i.status).toBe("unknown");
      expect(i.error).toMatch(/servfail|SERVFAIL/i);
    }
  });
});

describe("?format=zone", () => {
  test("the zone fragment has absolute names, TXT split into strings of at most 255 bytes, the policy as comments", async () => {
    const res = await server.api("/api/v1/domains/zone.example/dns?format=zone");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const text = await res.text();
    expect(text).toContain("zone.example.\t3600\tIN\tMX\t10 mx.rec.example.\n");
    expect(text).toContain('zone.example.\t3600\tIN\tTXT\t"v=spf1 mx -all"\n');
    expect(text).toContain("_submission._tcp.zone.example.\t3600\tIN\tSRV\t0 1 ");
    expect(text).toContain("; https://mta-sts.zone.example/.well-known/mta-sts.txt:\n;   version: STSv1\n");
    const rsa = text.split("\n").find((l) => l.includes("k=rsa"))!;
    const strings = [...rsa.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    expect(strings.length).toBeGreaterThan(1);
    for (const s of strings) expect(Buffer.byteLength(s)).toBeLessThanOrEqual(255);
  });

  test("the zone fragment loads into Knot as it is, after which every record checks ok", async () => {
    const text = await (await server.api("/api/v1/domains/zone.example/dns?format=zone")).text();
    const zoneRecords: ZoneRecord[] = text
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith(";"))
      .map((line) => {
        const [name, ttl, , type, ...data] = line.split("\t");
        const rdata = data.join("\t");
        const value =
          type === "TXT"
            ? [...rdata.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, "$1"))
            : rdata;
        return { name: name!, type: type!, ttl: Number(ttl), value };
      });
    await knot.setZone({ origin: "zone.example", records: zoneRecords, negativeTtl: 0 });
    const checked = await records("zone.example");
    expect(checked.filter((i) => i.status !== "ok" && i.type !== "FILE").map((i) => i.name)).toEqual([]);
  });

  test("txtStrings() splits long text at 255 bytes without cutting a UTF-8 character, and escapes quotes", () => {
    expect(txtStrings('say "hi"\\')).toBe('"say \\"hi\\"\\\\"');
    const long = `${"a".repeat(254)}é${"b".repeat(300)}`;
    const parts = [...txtStrings(long).matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    expect(parts.join("")).toBe(long);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(255);
  });

  test("an unknown format is a 422", async () => {
    const res = await server.api("/api/v1/domains/rec.example/dns?format=yaml");
    expect(res.status).toBe(422);
  });
});

describe("/.well-known/mta-sts.txt", () => {
  test("serves the policy of the domain the Host header names, without a token", async () => {
    const url = `http://127.0.0.1:${server.ports.http}/.well-known/mta-sts.txt`;
    const res = await fetch(url, { headers: { host: "mta-sts.rec.example" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await res.text()).toBe(
      "version: STSv1\r\nmode: testing\r\nmx: mx.rec.example\r\nmax_age: 604800\r\n",
    );
    for (const host of ["mta-sts.unknown.example", "rec.example", "127.0.0.1"]) {
      const other = await fetch(url, { headers: { host } });
      expect(other.status).toBe(404);
      expect(other.headers.get("content-type")).toBe("application/problem+json");
    }
  });
});
