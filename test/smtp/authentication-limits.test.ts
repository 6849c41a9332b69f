/**
 * Hostile input to the inbound checks, against real DNS servers: malformed DKIM-Signature fields, a
 * huge h= list, too many signatures, keys of absurd size or no key at all, a zone that fails
 * (SERVFAIL), looping SPF includes and more than the 10 lookups of RFC 7208 §4.6.4, hundreds of TXT
 * records (truncated over UDP, fetched over TCP), a server that truncates and then fails over TCP,
 * and one that never answers. Each ends in a clear result (permerror, temperror, neutral, policy)
 * within a bounded time: never a throw, never a hang. Knot serves the well-behaved zones; the
 * misbehaving servers are scripted sockets (dns-scripted.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { type DecodedPacket, encode } from "dns-packet";
import { DnsResolver } from "../../src/dns/mod.ts";
import { AuthResolver } from "../../src/smtp/authentication/resolver.ts";
import { checkSpf, type SpfOutcome } from "../../src/smtp/authentication/spf.ts";
import type { DkimResult } from "../../src/smtp/authentication/types.ts";
import { verifyMessage } from "../../src/smtp/authentication/verify.ts";
import { type Script, type ScriptedDnsServer, startScriptedDnsServer } from "../harness/dns-scripted.ts";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";
import { eventually } from "../harness/eventually.ts";
import { type DkimKey, message, rsaKey, rsaPublicRecordOfSize, sign } from "./authentication-helpers.ts";

const D = "hostile.example";
let knot: TestDnsServer;
let dns: DnsResolver;
let resolver: AuthResolver;
let key: DkimKey;

beforeAll(async () => {
  key = rsaKey();
  const includes = Array.from({ length: 11 }, (_, i) => `include:i${i}.${D}`).join(" ");
  knot = await startDnsServer([
    {
      origin: D,
      records: [
        { name: "good._domainkey", type: "TXT", value: key.record },
        { name: "huge._domainkey", type: "TXT", value: rsaPublicRecordOfSize(16_384) },
        { name: "garbage._domainkey", type: "TXT", value: "v=DKIM1; k=rsa; p=!!!!not-base64!!!!" },
        { name: "notakey._domainkey", type: "TXT", value: "v=DKIM1; k=rsa; p=QUJDREVGR0hJSktMTU5PUA==" },
        { name: "loop1", type: "TXT", value: `v=spf1 include:loop2.${D} -all` },
        { name: "loop2", type: "TXT", value: `v=spf1 include:loop1.${D} -all` },
        { name: "eleven", type: "TXT", value: `v=spf1 ${includes} -all` },
        ...Array.from({ length: 11 }, (_, i) => ({ name: `i${i}`, type: "TXT", value: "v=spf1 ?all" })),
        // 300 records of 180 bytes: ~56 KB, far past UDP (truncated, then TCP: RFC 7766 §5); two are SPF.
        ...Array.from({ length: 298 }, (_, i) => ({
          name: "many",
          type: "TXT",
          value: `${i}-${"x".repeat(176)}`,
        })),
        { name: "many", type: "TXT", value: "v=spf1 ip4:192.0.2.1 -all" },
        { name: "many", type: "TXT", value: "v=spf1 ip4:192.0.2.2 -all" },
      ],
    },
    { origin: "broken.example", records: [], broken: true },
    { origin: "example", records: [] },
  ]);
  dns = new DnsResolver({ servers: [knot.server], timeoutMs: 1_000 });
  resolver = new AuthResolver(dns);
}, 60_000);

afterAll(async () => {
  dns?.close();
  await knot?.stop();
});

const NO_SPF: SpfOutcome = {
  mailFrom: { result: "none", domain: D, info: "spf=none smtp.mailfrom=x@hostile.example" },
  helo: null,
};

/** DKIM, ARC and DMARC of one message (SPF given), with how long they took. */
async function verify(raw: string, options: { resolver?: AuthResolver; deadlineMs?: number } = {}) {
  const started = performance.now();
  const verified = await verifyMessage({
    body: Buffer.from(raw),
    spf: Promise.resolve(NO_SPF),
    ip: "192.0.2.7",
    resolver: options.resolver ?? resolver,
    deadlineAt: Date.now() + (options.deadlineMs ?? 10_000),
  });
  return { ...verified, ms: performance.now() - started };
}

/** SPF for `mailFrom` from 192.0.2.7, with how long it took. */
async function spf(mailFrom: string, options: { resolver?: AuthResolver; deadlineMs?: number } = {}) {
  const started = performance.now();
  const deadlineMs = options.deadlineMs ?? 10_000;
  const outcome = await checkSpf({
    ip: "192.0.2.7",
    mailFrom,
    helo: "client.hostile.example",
    hostname: "mx.test.example",
    lookup: (options.resolver ?? resolver).forCheck(Date.now() + deadlineMs),
    maxElapsedMs: deadlineMs,
  });
  return { ...outcome, ms: performance.now() - started };
}

const plain = message(`x@${D}`, "bob@b.example", "hostile");
const bh = createHash("sha256").update("Hello there.\r\n").digest("base64");

describe("DKIM-Signature fields that are not what they should be", () => {
  const cases: Array<[string, string]> = [
    ["no s= tag", `v=1; a=rsa-sha256; c=relaxed/relaxed; d=${D}; h=from; bh=${bh}; b=AAAA`],
    ["no tags at all", "this is not a tag list at all"],
    ["an unknown algorithm", `v=1; a=rsa-md5; d=${D}; s=good; h=from; bh=${bh}; b=AAAA`],
    ["From not signed", `v=1; a=rsa-sha256; c=relaxed/relaxed; d=${D}; s=good; h=subject; bh=${bh}; b=AAAA`],
    [
      "a body hash that is wrong",
      `v=1; a=rsa-sha256; c=relaxed/relaxed; d=${D}; s=good; h=from; bh=AAAA; b=AAAA`,
    ],
    [
      "a signature that is not base64",
      `v=1; a=rsa-sha256; c=relaxed/relaxed; d=${D}; s=good; h=from; bh=${bh}; b=%%%`,
    ],
    [
      "a non-numeric l=",
      `v=1; a=rsa-sha256; c=relaxed/relaxed; d=${D}; s=good; h=from; l=lots; bh=${bh}; b=AAAA`,
    ],
    ["a d= that is not a domain", `v=1; a=rsa-sha256; d=..; s=good; h=from; bh=${bh}; b=AAAA`],
  ];
  for (const [name, value] of cases) {
    test(`a DKIM-Signature with ${name} is reported (not pass, with a reason), never thrown`, async () => {
      const { dkim, ms } = await verify(`DKIM-Signature: ${value}\r\n${plain}`);
      expect(dkim).toHaveLength(1);
      expect(dkim[0]!.result).not.toBe("pass");
      expect(["neutral", "fail", "permerror", "policy"]).toContain(dkim[0]!.result);
      expect(dkim[0]!.reason).toBeString();
      expect(ms).toBeLessThan(3_000);
    });
  }

  test("a DKIM-Signature naming 5,000 fields in h= is a permerror, not checked", async () => {
    const h = ["from", ...Array.from({ length: 5_000 }, (_, i) => `x-field-${i}`)].join(":");
    const fields = Array.from({ length: 2_000 }, (_, i) => `X-Field-${i}: v`).join("\r\n");
    const raw = `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=${D}; s=good; h=${h}; bh=${bh}; b=AAAA\r\n${fields}\r\n${plain}`;
    const { dkim, ms } = await verify(raw);
    expect(dkim).toEqual([
      {
        result: "permerror",
        domain: D,
        selector: "good",
        algorithm: "rsa-sha256",
        reason: "h= names more than 1000 fields",
      },
    ]);
    expect(ms).toBeLessThan(2_000);
  });

  test("past 10 signatures the rest are not checked: dkim=policy", async () => {
    let raw = plain;
    for (let i = 0; i < 12; i++) raw = await sign(raw, [{ domain: D, selector: "good", key }]);
    const { dkim, infos } = await verify(raw);
    expect(dkim.filter((d) => d.result === "pass")).toHaveLength(10);
    expect(dkim.filter((d) => d.result === "policy").map((d) => d.reason)).toEqual([
      "more than 10 signatures",
      "more than 10 signatures",
    ]);
    expect(infos.filter((i) => i.startsWith("dkim=policy (more than 10 signatures)"))).toHaveLength(2);
  });

  test("a header of more than 10,000 fields: one permerror, and DMARC still finds the From domain", async () => {
    const fields = Array.from({ length: 10_001 }, (_, i) => `X-${i}: v`).join("\r\n");
    const signed = await sign(plain, [{ domain: D, selector: "good", key }]);
    const { dkim, dmarc, ms } = await verify(`${fields}\r\n${signed}`);
    expect(dkim).toEqual([
      {
        result: "permerror",
        domain: null,
        selector: null,
        algorithm: null,
        reason: "header has more than 10000 fields",
      },
    ]);
    expect(dmarc ? dmarc.status.header?.from : undefined).toBe(D);
    expect(ms).toBeLessThan(5_000);
  });
});

describe("keys that are not what they should be", () => {
  /** A signature whose body hash is right, naming `selector`: the verifier gets as far as the key. */
  async function signedFor(selector: string): Promise<string> {
    return (await sign(plain, [{ domain: D, selector: "good", key }])).replace("s=good;", `s=${selector};`);
  }

  test("a 16,384-bit RSA key is a permerror (RFC 8301 §3.1: past 4096 bits a verifier MAY refuse)", async () => {
    const { dkim } = await verify(await signedFor("huge"));
    expect(dkim[0]).toMatchObject({ result: "permerror", selector: "huge" });
    expect(dkim[0]!.reason).toContain("key too large (16384 bits");
  });

  test("a key record whose p= is not base64, or not a key, gives no pass", async () => {
    for (const selector of ["garbage", "notakey"]) {
      const { dkim } = await verify(await signedFor(selector));
      expect(dkim).toHaveLength(1);
      expect(["neutral", "permerror", "fail"]).toContain(dkim[0]!.result);
      expect(dkim[0]!.reason).toBeString();
    }
  });

  test("a key that does not exist gives no pass", async () => {
    const { dkim } = await verify(await signedFor("missing"));
    expect(["neutral", "permerror"]).toContain(dkim[0]!.result);
  });

  test("a key in a zone that answers SERVFAIL is a temperror", async () => {
    const raw = await sign(plain, [{ domain: "broken.example", selector: "good", key }]);
    const { dkim } = await verify(raw);
    expect(dkim[0]).toMatchObject({ result: "temperror", domain: "broken.example" });
  });
});

describe("SPF records that are not what they should be", () => {
  test("includes that loop end in permerror (RFC 7208 §4.6.4: at most 10 lookups)", async () => {
    const out = await spf(`x@loop1.${D}`);
    expect(out.mailFrom.result).toBe("permerror");
    expect(out.ms).toBeLessThan(5_000);
  });

  test("eleven includes are one lookup too many: permerror", async () => {
    expect((await spf(`x@eleven.${D}`)).mailFrom.result).toBe("permerror");
  });

  test("300 TXT records (over TCP after truncation) with two SPF records among them: permerror (RFC 7208 §4.5)", async () => {
    const before = (await knot.protocolCounts()).tcp4 ?? 0;
    const out = await spf(`x@many.${D}`);
    expect(out.mailFrom.result).toBe("permerror");
    expect((await knot.protocolCounts()).tcp4 ?? 0).toBeGreaterThan(before);
  });

  test("a zone that answers SERVFAIL is a temperror, and a domain without SPF is none", async () => {
    expect((await spf("x@broken.example")).mailFrom.result).toBe("temperror");
    expect((await spf(`x@${D}`)).mailFrom.result).toBe("none");
  });
});

/**
 * A scripted server whose TCP side is listening too: the harness binds TCP on the UDP port it got,
 * which someone else may hold; then it tries another port.
 */
async function scriptedWithTcp(udp: Script, tcp: Script): Promise<ScriptedDnsServer> {
  for (let attempt = 0; ; attempt++) {
    const server = await startScriptedDnsServer(udp, tcp);
    const listening = await new Promise<boolean>((resolve) => {
      const probe = connect(server.server.port, server.server.host, () => {
        probe.destroy();
        resolve(true);
      });
      probe.on("error", () => resolve(false));
    });
    if (listening || attempt >= 5) return server;
    await server.stop();
  }
}

describe("DNS servers that misbehave", () => {
  test("until the resolver has answered once, a check waits at most coldLookupMs, then not at all; after its first answer, the resolver's own timeout", async () => {
    // Answers NXDOMAIN for up.example, and nothing for anything else.
    const server = await startScriptedDnsServer((query) =>
      query.questions![0]!.name === "up.example"
        ? encode({ type: "response", id: query.id, flags: 0x0100 | 0x0080 | 3, questions: query.questions })
        : null,
    );
    const slow = new DnsResolver({ servers: [server.server], timeoutMs: 800, rounds: 1 });
    const own = new AuthResolver(slow, { coldLookupMs: 200 });
    const timed = async (name: string) => {
      const started = performance.now();
      await own
        .forCheck(Date.now() + 10_000)(name, "TXT")
        .catch(() => undefined);
      return performance.now() - started;
    };
    try {
      expect(await timed("first.example")).toBeLessThan(600);
      // Still out at the resolver: the next check asking the same is told at once; and the resolver,
      // silent for coldLookupMs, is not waited for at all now, even for another name.
      expect(await timed("first.example")).toBeLessThan(100);
      expect(await timed("other.example")).toBeLessThan(100);
      // Its first answer (a lookup outside any check waits for it) ends the probation.
      await expect(own.lookup("up.example", "TXT")).rejects.toMatchObject({ code: "ENOTFOUND" });
      expect(await timed("second.example")).toBeGreaterThanOrEqual(700);
    } finally {
      slow.close();
      await server.stop();
    }
  });

  test("a remembered failure outlives its 30 s: answered at once while one lookup asks again, and the answer is used once it comes", async () => {
    let answering = false;
    const server = await startScriptedDnsServer((query) =>
      answering
        ? encode({
            type: "response",
            id: query.id,
            flags: 0x0100 | 0x0080,
            questions: query.questions,
            answers: [{ type: "TXT", name: query.questions![0]!.name, ttl: 300, data: ["v=spf1 -all"] }],
          })
        : null,
    );
    const flaky = new DnsResolver({ servers: [server.server], timeoutMs: 200, rounds: 1 });
    let clock = Date.now();
    const own = new AuthResolver(flaky, { now: () => clock, memoMs: 30_000 });
    try {
      await expect(own.lookup("back.example", "TXT")).rejects.toMatchObject({ code: "ETIMEOUT" });
      const asked = server.received.udp;
      clock += 31_000;
      // Past the memo: still answered from it at once, and one background lookup is sent.
      const started = performance.now();
      await expect(own.lookup("back.example", "TXT")).rejects.toMatchObject({ code: "ETIMEOUT" });
      await expect(own.lookup("back.example", "TXT")).rejects.toMatchObject({ code: "ETIMEOUT" });
      expect(performance.now() - started).toBeLessThan(100);
      await eventually(() => server.received.udp === asked + 1, "the background lookup");
      // That one timed out too and renewed the memo; the server comes back and the memo runs out again.
      answering = true;
      await eventually(async () => {
        clock += 31_000;
        return own.lookup("back.example", "TXT").then(
          (records) => records,
          () => undefined,
        );
      }, "the answer once the server is back");
      expect(await own.lookup("back.example", "TXT")).toEqual([["v=spf1 -all"]]);
    } finally {
      flaky.close();
      await server.stop();
    }
  });

  /** A reply with TC set and no answers: "ask me again over TCP" (RFC 1035 §4.1.1). */
  const truncated = (query: DecodedPacket) =>
    encode({ type: "response", id: query.id, flags: 0x0200 | 0x0100 | 0x0080, questions: query.questions });

  test("answers truncated over UDP, and nothing over TCP: temperror within the bound", async () => {
    const server = await scriptedWithTcp(truncated, () => null);
    const cut = new DnsResolver({ servers: [server.server], timeoutMs: 300 });
    try {
      const own = new AuthResolver(cut);
      const out = await spf(`x@${D}`, { resolver: own, deadlineMs: 5_000 });
      expect(out.mailFrom.result).toBe("temperror");
      expect(out.ms).toBeLessThan(3_000);
      expect(server.received.tcp).toBeGreaterThan(0);
    } finally {
      cut.close();
      await server.stop();
    }
  });

  test("a server that never answers: every check is a temperror at the deadline, the next message is answered at once", async () => {
    const server = await startScriptedDnsServer(() => null);
    const silent = new DnsResolver({ servers: [server.server], timeoutMs: 400 });
    try {
      const own = new AuthResolver(silent);
      const raw = await sign(plain, [{ domain: D, selector: "good", key }]);
      const first = performance.now();
      const [s, v] = await Promise.all([
        spf(`x@${D}`, { resolver: own, deadlineMs: 1_500 }),
        verify(raw, { resolver: own, deadlineMs: 1_500 }),
      ]);
      expect(s.mailFrom.result).toBe("temperror");
      expect(v.dkim.map((d: DkimResult) => d.result)).toEqual(["temperror"]);
      expect(v.dmarc ? v.dmarc.status.result : undefined).toBe("temperror");
      expect(performance.now() - first).toBeLessThan(3_000);
      // The same lookups again: failed a moment ago, remembered (RFC 2308 §7.1), not waited for.
      const again = performance.now();
      const [s2, v2] = await Promise.all([
        spf(`x@${D}`, { resolver: own, deadlineMs: 1_500 }),
        verify(raw, { resolver: own, deadlineMs: 1_500 }),
      ]);
      expect(s2.mailFrom.result).toBe("temperror");
      expect(v2.dkim[0]!.result).toBe("temperror");
      expect(performance.now() - again).toBeLessThan(300);
    } finally {
      silent.close();
      await server.stop();
    }
  });
});
