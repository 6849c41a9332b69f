/**
 * DANE for outgoing mail (RFC 7672) end to end: Knot serves a DNSSEC-signed zone, unbound validates
 * it (trusting the zone's key) and Mailroom's resolver asks unbound, so the AD bit is real. Peers on
 * 127.0.0.1-3 play the MX hosts. A matching DANE-EE or DANE-TA record: delivered over TLS. A TLSA
 * record that matches nothing: never delivered, never in plain text; deferred, and bounced when the
 * queue lifetime ends (§2.2: a temporary failure). Only unusable records (PKIX-EE, a digest of the
 * wrong length): TLS still required. No AD bit: no DANE at all.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, X509Certificate } from "node:crypto";
import { usableTlsa } from "../../src/smtp/delivery/dane.ts";
import { selfSignedCertificate } from "../../src/tls/x509.ts";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { createTestCa, type TestCa } from "../harness/test-ca.ts";
import { startUnbound, type TestUnbound } from "../harness/unbound.ts";
import { readDsn } from "./dsn-report.ts";
import {
  arrival,
  deferredFor,
  goneFor,
  message,
  queueState,
  startPeersOnOnePort,
  submit,
} from "./outbound-helpers.ts";
import type { Peer } from "./peer.ts";

let ca: TestCa;
let knot: TestDnsServer;
let unbound: TestUnbound;
let a: TestServer;
let eePeer: Peer;
let taPeer: Peer;
let plainPeer: Peer;

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

beforeAll(async () => {
  ca = await createTestCa();
  const own = selfSignedCertificate("mx-ee.dane.example", { days: 5 });
  const ta = await ca.issue(["mx-ta.dane.example"]);
  const spki = sha256(
    new X509Certificate(own.certPem).publicKey.export({ type: "spki", format: "der" }) as Buffer,
  );
  const caDigest = sha256(new X509Certificate(ca.caPem).raw);
  const peers = await startPeersOnOnePort([
    { tls: { cert: own.certPem, key: own.keyPem }, requireTls: true },
    { tls: { cert: ta.chainPem, key: ta.keyPem } },
    {},
  ]);
  [eePeer, taPeer, plainPeer] = peers.peers as [Peer, Peer, Peer];
  const mx = (label: string, address: string, tlsa: string) => [
    { name: label, type: "MX", value: `10 mx-${label}.dane.example.` },
    { name: `mx-${label}`, type: "A", value: address },
    { name: `_25._tcp.mx-${label}`, type: "TLSA", value: tlsa },
  ];
  knot = await startDnsServer([
    {
      origin: "dane.example",
      dnssec: true,
      records: [
        ...mx("ee", "127.0.0.1", `3 1 1 ${spki}`),
        ...mx("bad", "127.0.0.1", `3 1 1 ${"00".repeat(32)}`),
        ...mx("ta", "127.0.0.2", `2 0 1 ${caDigest}`),
        ...mx("plain", "127.0.0.3", `3 1 1 ${spki}`),
        // Unusable for SMTP (RFC 7672 §3.1.3): PKIX-EE, and a SHA-256 "digest" of 16 bytes.
        ...mx("pkix", "127.0.0.1", `1 1 1 ${spki}`),
        ...mx("junk", "127.0.0.1", `3 1 1 ${"ab".repeat(16)}`),
      ],
    },
    {
      origin: "insecure.example",
      records: [
        { name: "@", type: "MX", value: "10 mx.insecure.example." },
        { name: "mx", type: "A", value: "127.0.0.1" },
        { name: "_25._tcp.mx", type: "TLSA", value: `3 1 1 ${"00".repeat(32)}` },
      ],
    },
  ]);
  unbound = await startUnbound(knot, { signed: ["dane.example"], insecure: ["insecure.example"] });
  a = await startTestServer({
    hostname: "mx.a.example",
    domain: "a.example",
    dnsServers: [unbound.server],
    mxPort: peers.port,
    queueRetry: [300],
    queueMaxAge: 4_000,
  });
  await createAccounts(a, [{ address: "alice@a.example" }]);
});

afterAll(async () => {
  await a.close();
  await Promise.all([eePeer.close(), taPeer.close(), plainPeer.close()]);
  await unbound.stop();
  await knot.stop();
  ca.remove();
});

async function send(to: string, subject: string, requireTls = false) {
  const result = await submit(a, {
    user: "alice@a.example",
    to: [to],
    raw: message("alice@a.example", to, subject),
    requireTls,
  });
  expect(result.ok).toBe(true);
}

async function received(peer: Peer, subject: string) {
  for (;;) {
    const got = await peer.next();
    if (got.raw.toString().includes(`Subject: ${subject}`)) return got;
  }
}

const seen = (peer: Peer, subject: string) =>
  peer.messages.some((m) => m.raw.toString().includes(`Subject: ${subject}`));

describe("DANE (RFC 7672)", () => {
  test("usableTlsa() keeps DANE-TA/DANE-EE with known selectors and right digest lengths only", () => {
    const data = (n: number) => new Uint8Array(n);
    const records = [
      { usage: 3, selector: 1, matchingType: 1, data: data(32) },
      { usage: 2, selector: 0, matchingType: 2, data: data(64) },
      { usage: 3, selector: 0, matchingType: 0, data: data(300) },
      { usage: 1, selector: 1, matchingType: 1, data: data(32) },
      { usage: 0, selector: 0, matchingType: 1, data: data(32) },
      { usage: 3, selector: 2, matchingType: 1, data: data(32) },
      { usage: 3, selector: 1, matchingType: 1, data: data(16) },
      { usage: 3, selector: 1, matchingType: 3, data: data(32) },
      { usage: 3, selector: 0, matchingType: 0, data: data(0) },
    ];
    expect(usableTlsa(records)).toEqual(records.slice(0, 3));
  });

  test("a DANE-EE record matching the peer's key: delivered over TLS, counted as a tlsa success", async () => {
    await send("bob@ee.dane.example", "dane-ee");
    const got = await received(eePeer, "dane-ee");
    expect(got.secure).toBe(true);
    await queueState(a, goneFor("bob@ee.dane.example"));
    const report = (await (await a.api("/api/v1/reports/tls")).json()) as {
      results: Array<{ policyDomain: string; policyType: string; result: string; policyStrings: string[] }>;
    };
    expect(report.results).toContainEqual(
      expect.objectContaining({ policyDomain: "ee.dane.example", policyType: "tlsa", result: "success" }),
    );
  });

  test("a DANE-TA record for the CA in the peer's chain, with the MX name in its certificate: delivered", async () => {
    await send("bob@ta.dane.example", "dane-ta");
    const got = await received(taPeer, "dane-ta");
    expect(got.secure).toBe(true);
  });

  test("a TLSA record that matches nothing: deferred, never sent, then bounced at the end of the queue lifetime", async () => {
    await send("bob@bad.dane.example", "dane-bad");
    const deferred = await queueState(a, deferredFor("bob@bad.dane.example"));
    expect(deferred.lastError).toContain("no TLSA record matches");
    const bounce = await arrival(a, "alice@a.example", (raw) => raw.includes("bob@bad.dane.example"));
    const dsn = readDsn(Buffer.from(bounce));
    expect(dsn.recipients[0]).toMatchObject({ action: "failed", status: "4.4.7" });
    expect(seen(eePeer, "dane-bad")).toBe(false);
    const report = (await (await a.api("/api/v1/reports/tls")).json()) as {
      results: Array<{ policyDomain: string; result: string; count: number }>;
    };
    expect(report.results).toContainEqual(
      expect.objectContaining({ policyDomain: "bad.dane.example", result: "validation-failure" }),
    );
  }, 20_000);

  test("a host with usable TLSA that offers no STARTTLS never gets the message in plain text", async () => {
    await send("bob@plain.dane.example", "dane-plain");
    const deferred = await queueState(a, deferredFor("bob@plain.dane.example"));
    expect(deferred.lastError).toMatch(/STARTTLS/);
    expect(seen(plainPeer, "dane-plain")).toBe(false);
  });

  test("only unusable TLSA records (PKIX-EE, garbage digest): TLS is still required, and used", async () => {
    await send("bob@pkix.dane.example", "dane-pkix");
    expect((await received(eePeer, "dane-pkix")).secure).toBe(true);
    await send("bob@junk.dane.example", "dane-junk");
    expect((await received(eePeer, "dane-junk")).secure).toBe(true);
  });

  test("without the AD bit (an unsigned zone) TLSA is not used: a mismatching record does not stop delivery", async () => {
    await send("bob@insecure.example", "no-dane");
    expect((await received(eePeer, "no-dane")).secure).toBe(true);
  });

  test("REQUIRETLS (RFC 8689) goes over DANE-authenticated TLS, with REQUIRETLS on MAIL FROM", async () => {
    await send("rt@ee.dane.example", "dane-requiretls", true);
    const got = await received(eePeer, "dane-requiretls");
    expect(got.mailArgs.REQUIRETLS).toBe(true);
  });

  test("REQUIRETLS without the AD bit (no DANE, no MTA-STS) bounces with 5.7.30", async () => {
    await send("rt@insecure.example", "insecure-requiretls", true);
    const bounce = await arrival(a, "alice@a.example", (raw) => raw.includes("rt@insecure.example"));
    expect(readDsn(Buffer.from(bounce)).recipients[0]).toMatchObject({ action: "failed", status: "5.7.30" });
    expect(seen(eePeer, "insecure-requiretls")).toBe(false);
  });
});
