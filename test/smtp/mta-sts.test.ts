/**
 * MTA-STS (RFC 8461) policy handling over real DNS (Knot) and real HTTPS (a server with a test CA):
 * the TXT record (§3.1), the policy file and its syntax (§3.2), the fetch rules (§3.3: 200 only,
 * text/plain, no redirects, 64 KB at most, a deadline), MX matching (§4.1) and the cache (§5.1:
 * reused while the id is unchanged, refetched when it changes, kept when a refresh fails).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DnsResolver } from "../../src/dns/mod.ts";
import { silentLogger } from "../../src/log.ts";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import {
  mxMatches,
  parseStsPolicy,
  parseStsRecord,
  type StsContext,
  stsPolicyFetch,
  stsPolicyLookup,
} from "../../src/smtp/delivery/mta-sts.ts";
import { Store } from "../../src/store/mod.ts";
import { selfSignedCertificate } from "../../src/tls/x509.ts";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";
import { createTestCa, type TestCa } from "../harness/test-ca.ts";
import { type HttpsTestServer, startHttps, stsPolicy } from "./outbound-helpers.ts";

const DOMAINS = ["good", "big", "bad", "redirect", "slow", "html", "cached", "untrusted"];
let ca: TestCa;
let knot: TestDnsServer;
let https: HttpsTestServer;
let untrusted: HttpsTestServer;
let dns: DnsResolver;
let store: Store;
let dir: string;
/** What the policy host of cached.example serves now; a test changes it. */
let cachedAnswer: "policy" | "broken" = "policy";

function zone(name: string, id = "1") {
  return {
    origin: `${name}.example`,
    records: [
      { name: "_mta-sts", type: "TXT", value: `v=STSv1; id=${id};` },
      { name: "mta-sts", type: "A", value: "127.0.0.1" },
    ],
  };
}

beforeAll(async () => {
  ca = await createTestCa();
  const pair = await ca.issue(DOMAINS.map((d) => `mta-sts.${d}.example`));
  https = await startHttps({ cert: pair.chainPem, key: pair.keyPem }, (req) => {
    const policy = stsPolicy("enforce", ["mx.good.example", "*.mx.good.example"]);
    switch (req.host) {
      case "mta-sts.big.example":
        return { status: 200, body: `${policy}${"# padding\n".repeat(8000)}` };
      case "mta-sts.bad.example":
        return { status: 200, body: "version: STSv1\nmode: sometimes\nmax_age: 10\n" };
      case "mta-sts.redirect.example":
        return { status: 301, headers: { location: "https://elsewhere.example/" } };
      case "mta-sts.slow.example":
        return "hang";
      case "mta-sts.html.example":
        return { status: 200, type: "text/html", body: policy };
      case "mta-sts.cached.example":
        return cachedAnswer === "policy" ? { status: 200, body: policy } : { status: 500 };
      default:
        return { status: 200, type: "text/plain; charset=utf-8", body: policy };
    }
  });
  // A policy host whose certificate no CA we trust signed.
  const self = selfSignedCertificate("mta-sts.untrusted.example", { days: 5 });
  untrusted = await startHttps({ cert: self.certPem, key: self.keyPem }, () => ({
    status: 200,
    body: stsPolicy("enforce", ["mx.untrusted.example"]),
  }));
  knot = await startDnsServer(DOMAINS.map((d) => zone(d)));
  dns = new DnsResolver({ servers: [knot.server], timeoutMs: 1000 });
  dir = mkdtempSync(join(tmpdir(), "mailroom-sts-"));
  store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
});

afterAll(async () => {
  dns.close();
  await Promise.all([knot.stop(), https.close(), untrusted.close(), store.close()]);
  rmSync(dir, { recursive: true, force: true });
  ca.remove();
});

const ctx = (port = https.port, timeoutMs = 1500): StsContext => ({
  store,
  resolver: dns,
  log: silentLogger,
  port,
  extraCa: [ca.caPem],
  timeoutMs,
});

describe("policy syntax", () => {
  test("parseStsPolicy() reads a policy with LF or CRLF lines, several mx and unknown keys", () => {
    const text =
      "version: STSv1\r\nmode: enforce\nmx: mx1.example.org\nmx: *.example.net\nmax_age: 604800\nfuture: yes\n";
    expect(parseStsPolicy(text)).toEqual({
      policy: { mode: "enforce", mx: ["mx1.example.org", "*.example.net"], maxAge: 604_800 },
    });
  });

  test("parseStsPolicy() refuses malformed policies with a reason", () => {
    const cases = [
      "mode: enforce\nmx: a.example\nmax_age: 1\n", // no version
      "version: STSv1\nmode: sometimes\nmx: a.example\nmax_age: 1\n",
      "version: STSv1\nmode: enforce\nmax_age: 1\n", // no mx
      "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: soon\n",
      "version: STSv1\nmode: enforce\nmx: bad pattern!\nmax_age: 1\n",
      "<html>not a policy</html>",
    ];
    for (const text of cases) expect(parseStsPolicy(text)).toHaveProperty("error");
    // mode none needs no mx; max_age is capped at a year (§3.2).
    expect(parseStsPolicy("version: STSv1\nmode: none\nmax_age: 9999999999\n")).toEqual({
      policy: { mode: "none", mx: [], maxAge: 31_557_600 },
    });
  });

  test("parseStsRecord() wants exactly one v=STSv1 record with a valid id", () => {
    expect(parseStsRecord(["v=STSv1; id=2026-01-01;"])).toEqual({ error: "missing or malformed id" });
    expect(parseStsRecord(["v=STSv1; id=abc123", "v=spf1 -all"])).toEqual({ id: "abc123" });
    expect(parseStsRecord(["v=STSv1; id=a", "v=STSv1; id=b"])).toHaveProperty("error");
    expect(parseStsRecord(["v=spf1 -all"])).toHaveProperty("error");
  });

  test("mxMatches() takes exact names and one extra label for a wildcard (RFC 8461 §4.1)", () => {
    const patterns = ["mail.example.com", "*.example.net"];
    expect(mxMatches("MAIL.example.com.", patterns)).toBe(true);
    expect(mxMatches("mx1.example.net", patterns)).toBe(true);
    expect(mxMatches("example.net", patterns)).toBe(false);
    expect(mxMatches("a.b.example.net", patterns)).toBe(false);
    expect(mxMatches("other.example.com", patterns)).toBe(false);
  });
});

describe("stsPolicyFetch() over HTTPS", () => {
  test("a policy served as text/plain from mta-sts.<domain>, resolved through our resolver, is read", async () => {
    const before = https.requests.length;
    const got = await stsPolicyFetch("good.example", ctx());
    expect(got).toMatchObject({ policy: { mode: "enforce", mx: ["mx.good.example", "*.mx.good.example"] } });
    expect(https.requests.slice(before)).toEqual([
      expect.objectContaining({
        host: "mta-sts.good.example",
        method: "GET",
        path: "/.well-known/mta-sts.txt",
      }),
    ]);
  });

  test("a policy over 64 KB is not read (RFC 8461 §3.3)", async () => {
    const got = await stsPolicyFetch("big.example", ctx());
    expect(got).toMatchObject({ result: "sts-policy-fetch-error" });
    expect((got as { reason: string }).reason).toContain("65536");
  });

  test("a malformed policy, or one not served as text/plain, is sts-policy-invalid", async () => {
    expect(await stsPolicyFetch("bad.example", ctx())).toMatchObject({ result: "sts-policy-invalid" });
    expect(await stsPolicyFetch("html.example", ctx())).toMatchObject({ result: "sts-policy-invalid" });
  });

  test("a redirect is not followed (RFC 8461 §3.3)", async () => {
    const before = https.requests.length;
    const got = await stsPolicyFetch("redirect.example", ctx());
    expect(got).toMatchObject({ result: "sts-policy-fetch-error" });
    expect((got as { reason: string }).reason).toContain("301");
    expect(https.requests.length - before).toBe(1);
  });

  test("a policy host that never answers times out", async () => {
    const started = Date.now();
    const got = await stsPolicyFetch("slow.example", ctx(https.port, 700));
    expect(got).toMatchObject({ result: "sts-policy-fetch-error" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test("a certificate from no trusted CA is sts-webpki-invalid", async () => {
    expect(await stsPolicyFetch("untrusted.example", ctx(untrusted.port))).toMatchObject({
      result: "sts-webpki-invalid",
    });
    // Without the test CA, our own server's certificate is not trusted either.
    expect(await stsPolicyFetch("good.example", { ...ctx(), extraCa: [] })).toMatchObject({
      result: "sts-webpki-invalid",
    });
  });
});

describe("stsPolicyLookup() and the cache (RFC 8461 §5.1)", () => {
  test("a fetched policy is cached and reused while the TXT id stays the same", async () => {
    const first = await stsPolicyLookup("cached.example", ctx());
    expect(first).toMatchObject({ kind: "policy", policy: { policyId: "1", mode: "enforce" } });
    const fetches = https.requests.filter((r) => r.host === "mta-sts.cached.example").length;
    expect(await stsPolicyLookup("cached.example", ctx())).toMatchObject({ kind: "policy" });
    expect(https.requests.filter((r) => r.host === "mta-sts.cached.example").length).toBe(fetches);
  });

  test("a new id refetches; a refetch that fails keeps the cached policy; no TXT keeps it too", async () => {
    // Each step with a fresh resolver: ours caches the TXT answer for its TTL.
    const step = async (check: (c: StsContext) => Promise<void>) => {
      const resolver = new DnsResolver({ servers: [knot.server], timeoutMs: 1000 });
      try {
        await check({ ...ctx(), resolver });
      } finally {
        resolver.close();
      }
    };
    const fetches = () => https.requests.filter((r) => r.host === "mta-sts.cached.example").length;
    await knot.setZone(zone("cached", "2"));
    cachedAnswer = "broken";
    const before = fetches();
    await step(async (c) => {
      expect(await stsPolicyLookup("cached.example", c)).toMatchObject({
        kind: "policy",
        policy: { policyId: "1" },
      });
    });
    expect(fetches()).toBe(before + 1);
    cachedAnswer = "policy";
    await step(async (c) => {
      expect(await stsPolicyLookup("cached.example", c)).toMatchObject({
        kind: "policy",
        policy: { policyId: "2" },
      });
    });
    await knot.setZone({ origin: "cached.example", records: [] });
    await step(async (c) => {
      expect(await stsPolicyLookup("cached.example", c)).toMatchObject({
        kind: "policy",
        policy: { policyId: "2" },
      });
    });
    expect(fetches()).toBe(before + 2);
  });

  test("an announced policy that cannot be fetched, with nothing cached, is reported and means no policy", async () => {
    expect(await stsPolicyLookup("slow.example", ctx(https.port, 500))).toMatchObject({
      kind: "failed",
      result: "sts-policy-fetch-error",
    });
    expect(await stsPolicyLookup("nosuch.example", ctx())).toEqual({ kind: "none" });
  });
});
