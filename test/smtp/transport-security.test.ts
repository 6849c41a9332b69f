/**
 * Outgoing transport security end to end, over real sockets: Knot for DNS, an HTTPS server with a
 * test CA for MTA-STS policies (RFC 8461) and TLS-RPT uploads, and SMTP peers on 127.0.0.1-4 as MX
 * hosts. MTA-STS enforce refuses a peer without valid TLS and MX hosts the policy does not name;
 * testing delivers and reports; REQUIRETLS (RFC 8689) goes only over verified TLS to a server that
 * offers it, else bounces 5.7.30; TLS-Required: No sets the policy aside; the daily TLS-RPT report
 * (RFC 8460) goes to the rua by mail and by HTTPS.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { gunzipSync } from "node:zlib";
import { parseMessage, partBody } from "../../src/mime/mod.ts";
import { selfSignedCertificate } from "../../src/tls/x509.ts";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";
import { createTestCa, type TestCa } from "../harness/test-ca.ts";
import { readDsn } from "./dsn-report.ts";
import {
  arrival,
  deferredFor,
  goneFor,
  type HttpsTestServer,
  message,
  queueState,
  startHttps,
  startPeersOnOnePort,
  stsPolicy,
  submit,
} from "./outbound-helpers.ts";
import type { Peer } from "./peer.ts";

let ca: TestCa;
let knot: TestDnsServer;
let https: HttpsTestServer;
let a: TestServer;
let good: Peer;
let untrusted: Peer;
let plain: Peer;
let noRequireTls: Peer;

const POLICIES: Record<string, string> = {
  "enforce.example": stsPolicy("enforce", ["mx.enforce.example"]),
  "badcert.example": stsPolicy("enforce", ["mx.badcert.example"]),
  "testing.example": stsPolicy("testing", ["mx.testing.example"]),
  "rt.example": stsPolicy("enforce", ["*.rt.example"]),
  "norq.example": stsPolicy("enforce", ["mx.norq.example"]),
  "mismatch.example": stsPolicy("enforce", ["other.mismatch.example"]),
};

beforeAll(async () => {
  ca = await createTestCa();
  const names = Object.keys(POLICIES).flatMap((d) => [`mx.${d}`, `mta-sts.${d}`]);
  const pair = await ca.issue([...names, "reports.enforce.example"]);
  https = await startHttps({ cert: pair.chainPem, key: pair.keyPem }, (req) => {
    if (req.method === "POST") return { status: 201 };
    const policy = POLICIES[req.host.replace(/^mta-sts\./, "")];
    return policy ? { status: 200, body: policy } : { status: 404 };
  });
  const self = selfSignedCertificate("mx.badcert.example", { days: 5 });
  const peers = await startPeersOnOnePort([
    { tls: { cert: pair.chainPem, key: pair.keyPem }, requireTls: true },
    { tls: { cert: self.certPem, key: self.keyPem }, requireTls: true },
    {},
    { tls: { cert: pair.chainPem, key: pair.keyPem } },
  ]);
  [good, untrusted, plain, noRequireTls] = peers.peers as [Peer, Peer, Peer, Peer];
  const zone = (
    domain: string,
    address: string,
    extra: Array<{ name: string; type: string; value: string }> = [],
  ) => ({
    origin: domain,
    records: [
      { name: "@", type: "MX", value: `10 mx.${domain}.` },
      { name: "mx", type: "A", value: address },
      ...(POLICIES[domain]
        ? [
            { name: "_mta-sts", type: "TXT", value: "v=STSv1; id=20261203;" },
            { name: "mta-sts", type: "A", value: "127.0.0.1" },
          ]
        : []),
      ...extra,
    ],
  });
  knot = await startDnsServer([
    zone("enforce.example", "127.0.0.1", [
      {
        name: "_smtp._tls",
        type: "TXT",
        value: `v=TLSRPTv1; rua=mailto:tlsrpt@a.example,https://reports.enforce.example:${https.port}/tlsrpt`,
      },
      { name: "reports", type: "A", value: "127.0.0.1" },
    ]),
    zone("badcert.example", "127.0.0.2", [
      { name: "_smtp._tls", type: "TXT", value: "v=TLSRPTv1; rua=mailto:tlsrpt@a.example" },
    ]),
    zone("testing.example", "127.0.0.2"),
    zone("rt.example", "127.0.0.1"),
    zone("norq.example", "127.0.0.4"),
    zone("mismatch.example", "127.0.0.1"),
    zone("plain.example", "127.0.0.3"),
  ]);
  a = await startTestServer({
    hostname: "mx.a.example",
    domain: "a.example",
    dnsServers: [knot.server],
    mxPort: peers.port,
    tlsCaFile: ca.caFile,
    mtaStsPort: https.port,
    queueRetry: [60_000],
  });
  await createAccounts(a, [{ address: "alice@a.example" }, { address: "tlsrpt@a.example" }]);
});

afterAll(async () => {
  await a.close();
  await Promise.all([good, untrusted, plain, noRequireTls].map((p) => p.close()));
  await Promise.all([https.close(), knot.stop()]);
  ca.remove();
});

const ALICE = "alice@a.example";

async function send(to: string, subject: string, options: { requireTls?: boolean; extra?: string } = {}) {
  return submit(a, {
    user: ALICE,
    to: [to],
    raw: message(ALICE, to, subject, options.extra),
    ...(options.requireTls ? { requireTls: true } : {}),
  });
}

async function received(peer: Peer, subject: string) {
  for (;;) {
    const got = await peer.next();
    if (got.raw.toString().includes(`Subject: ${subject}`)) return got;
  }
}

const seen = (peer: Peer, subject: string) =>
  peer.messages.some((m) => m.raw.toString().includes(`Subject: ${subject}`));

type Report = {
  summary: Array<{
    day: string;
    policyDomain: string;
    policyType: string;
    successful: number;
    failed: number;
  }>;
  results: Array<{
    policyDomain: string;
    policyType: string;
    result: string;
    mxHost: string | null;
    count: number;
  }>;
};

async function tlsCounts(): Promise<Report> {
  return (await (await a.api("/api/v1/reports/tls")).json()) as Report;
}

/** A base64 part's decoded bytes. */
function base64Part(raw: Buffer, part: Parameters<typeof partBody>[1]): Buffer {
  return Buffer.from(Buffer.from(partBody(raw, part)).toString("ascii"), "base64");
}

/** EHLO keywords before and after STARTTLS on a listener. */
async function ehloKeywords(port: number): Promise<{ plain: string; secure: string }> {
  const socket = netConnect(port, "127.0.0.1");
  let buffer = "";
  const readReply = (s: {
    on(e: "data", f: (d: Buffer) => void): unknown;
    off(e: "data", f: (d: Buffer) => void): unknown;
  }) =>
    new Promise<string>((resolve) => {
      const onData = (d: Buffer) => {
        buffer += d.toString("latin1");
        const m = /(^|\r\n)\d{3} [^\r\n]*\r\n$/.exec(buffer);
        if (m) {
          const reply = buffer;
          buffer = "";
          s.off("data", onData);
          resolve(reply);
        }
      };
      s.on("data", onData);
    });
  await readReply(socket);
  socket.write("EHLO client.test\r\n");
  const plainReply = await readReply(socket);
  socket.write("STARTTLS\r\n");
  await readReply(socket);
  const secureSocket = tlsConnect({ socket, rejectUnauthorized: false });
  await new Promise((resolve) => secureSocket.once("secureConnect", resolve));
  secureSocket.write("EHLO client.test\r\n");
  const secureReply = await readReply(secureSocket);
  secureSocket.end();
  return { plain: plainReply, secure: secureReply };
}

describe("REQUIRETLS is offered (RFC 8689 §4)", () => {
  test("on 587 and 25 only after STARTTLS", async () => {
    for (const port of [a.ports.submission!, a.ports.smtp!]) {
      const { plain: before, secure: after } = await ehloKeywords(port);
      expect(before).not.toContain("REQUIRETLS");
      expect(after).toContain("250-REQUIRETLS");
    }
  });

  test("MAIL FROM with REQUIRETLS on a connection without TLS is refused", async () => {
    const { client } = await SmtpClient.connect(a.ports.smtp!);
    await client.command("EHLO client.test");
    const reply = await client.command("MAIL FROM:<x@remote.example> REQUIRETLS");
    expect(reply.code).toBe(530);
    await client.close();
  });
});

describe("MTA-STS (RFC 8461)", () => {
  test("enforce: delivered over TLS verified for the MX name, counted as an sts success", async () => {
    expect((await send("bob@enforce.example", "sts-enforce")).ok).toBe(true);
    const got = await received(good, "sts-enforce");
    expect(got.secure).toBe(true);
    await queueState(a, goneFor("bob@enforce.example"));
    expect((await tlsCounts()).results).toContainEqual(
      expect.objectContaining({
        policyDomain: "enforce.example",
        policyType: "sts",
        result: "success",
        mxHost: "mx.enforce.example",
      }),
    );
  });

  test("enforce refuses a peer without a trusted certificate: deferred, never delivered, failure counted", async () => {
    expect((await send("bob@badcert.example", "sts-badcert")).ok).toBe(true);
    const item = await queueState(a, deferredFor("bob@badcert.example"));
    expect(item.lastError).toContain("certificate-not-trusted");
    expect(seen(untrusted, "sts-badcert")).toBe(false);
    expect((await tlsCounts()).results).toContainEqual(
      expect.objectContaining({
        policyDomain: "badcert.example",
        policyType: "sts",
        result: "certificate-not-trusted",
      }),
    );
  });

  test("enforce: an MX host the policy does not name is not used", async () => {
    expect((await send("bob@mismatch.example", "sts-mismatch")).ok).toBe(true);
    const item = await queueState(a, deferredFor("bob@mismatch.example"));
    expect(item.lastError).toContain("not named by the MTA-STS policy");
    expect(seen(good, "sts-mismatch")).toBe(false);
  });

  test("testing: delivered despite an untrusted certificate, and the failure is reported", async () => {
    expect((await send("bob@testing.example", "sts-testing")).ok).toBe(true);
    expect((await received(untrusted, "sts-testing")).secure).toBe(true);
    expect((await tlsCounts()).results).toContainEqual(
      expect.objectContaining({
        policyDomain: "testing.example",
        policyType: "sts",
        result: "certificate-not-trusted",
      }),
    );
  });

  test("TLS-Required: No (RFC 8689 §5) sets an enforce policy aside: delivered to the untrusted peer", async () => {
    const sent = await send("carol@badcert.example", "tls-optional", { extra: "TLS-Required: No\r\n" });
    expect(sent.ok).toBe(true);
    expect((await received(untrusted, "tls-optional")).secure).toBe(true);
  });
});

describe("REQUIRETLS delivery (RFC 8689 §4.2.1)", () => {
  test("to a domain without DANE or MTA-STS it bounces with 5.7.30, and nothing goes out in plain", async () => {
    expect((await send("bob@plain.example", "rt-plain", { requireTls: true })).ok).toBe(true);
    const bounce = await arrival(
      a,
      ALICE,
      (raw) => raw.includes("bob@plain.example") && raw.includes("5.7.30"),
    );
    expect(readDsn(Buffer.from(bounce)).recipients[0]).toMatchObject({ action: "failed", status: "5.7.30" });
    expect(seen(plain, "rt-plain")).toBe(false);
  });

  test("over MTA-STS enforce to a server offering REQUIRETLS it goes with REQUIRETLS on MAIL FROM", async () => {
    expect((await send("bob@rt.example", "rt-ok", { requireTls: true })).ok).toBe(true);
    const got = await received(good, "rt-ok");
    expect(got.secure).toBe(true);
    expect(got.mailArgs.REQUIRETLS).toBe(true);
  });

  test("to a verified server that does not offer REQUIRETLS it bounces with 5.7.30", async () => {
    expect((await send("bob@norq.example", "rt-norq", { requireTls: true })).ok).toBe(true);
    const bounce = await arrival(
      a,
      ALICE,
      (raw) => raw.includes("bob@norq.example") && raw.includes("5.7.30"),
    );
    expect(bounce).toContain("does not support REQUIRETLS");
    expect(seen(noRequireTls, "rt-norq")).toBe(false);
  });
});

describe("TLS-RPT (RFC 8460)", () => {
  test("the report goes to the rua by mail (gzip JSON, RFC 8460 §5.3) and by HTTPS, once per day", async () => {
    const day = new Date().toISOString().slice(0, 10);
    const counts = await tlsCounts();
    expect(counts.summary).toContainEqual(
      expect.objectContaining({ day, policyDomain: "enforce.example", policyType: "sts" }),
    );
    const response = await a.api("/api/v1/reports/tls/send", { method: "POST", json: { day } });
    expect(response.status).toBe(200);
    const { reports } = (await response.json()) as {
      reports: Array<{ policyDomain: string; destinations: Array<{ uri: string; result: string }> }>;
    };
    const enforce = reports.find((r) => r.policyDomain === "enforce.example")!;
    expect(enforce.destinations).toEqual([
      { uri: "mailto:tlsrpt@a.example", result: "delivered" },
      { uri: `https://reports.enforce.example:${https.port}/tlsrpt`, result: "posted" },
    ]);

    const mail = await arrival(a, "tlsrpt@a.example", (raw) =>
      raw.includes("TLS-Report-Domain: enforce.example"),
    );
    expect(mail).toContain("TLS-Report-Submitter: mx.a.example");
    expect(mail).toMatch(
      /Subject: Report Domain: enforce\.example Submitter: mx\.a\.example Report-ID: <[^>]+>/,
    );
    const raw = Buffer.from(mail);
    const root = parseMessage(raw).structure;
    expect(`${root.type}/${root.subtype}`).toBe("multipart/report");
    expect(root.params["report-type"]).toBe("tlsrpt");
    const attachment = root.children[1]!;
    expect(`${attachment.type}/${attachment.subtype}`).toBe("application/tlsrpt+gzip");
    const begin = Date.parse(`${day}T00:00:00Z`) / 1000;
    expect(mail).toContain(`filename="mx.a.example!enforce.example!${begin}!${begin + 86_399}.json.gz"`);
    const json = JSON.parse(gunzipSync(base64Part(raw, attachment)).toString("utf8"));
    expect(json).toMatchObject({
      "organization-name": "mx.a.example",
      "date-range": { "start-datetime": `${day}T00:00:00Z`, "end-datetime": `${day}T23:59:59Z` },
      "contact-info": "postmaster@a.example",
    });
    expect(json.policies[0]).toMatchObject({
      policy: { "policy-type": "sts", "policy-domain": "enforce.example", "mx-host": ["mx.enforce.example"] },
    });
    expect(json.policies[0].summary["total-successful-session-count"]).toBeGreaterThanOrEqual(1);

    const upload = https.requests.find((r) => r.method === "POST")!;
    expect(upload).toMatchObject({
      host: "reports.enforce.example",
      path: "/tlsrpt",
      contentType: "application/tlsrpt+gzip",
    });
    expect(JSON.parse(gunzipSync(upload.body).toString("utf8"))["report-id"]).toBe(json["report-id"]);

    // The failures of badcert.example went to its rua, with the failure details.
    const bad = await arrival(a, "tlsrpt@a.example", (r) => r.includes("TLS-Report-Domain: badcert.example"));
    const badRaw = Buffer.from(bad);
    const badJson = JSON.parse(
      gunzipSync(base64Part(badRaw, parseMessage(badRaw).structure.children[1]!)).toString("utf8"),
    );
    expect(badJson.policies[0]["failure-details"]).toContainEqual(
      expect.objectContaining({
        "result-type": "certificate-not-trusted",
        "receiving-mx-hostname": "mx.badcert.example",
      }),
    );

    // A day is reported once.
    const again = await a.api("/api/v1/reports/tls/send", { method: "POST", json: { day } });
    expect(((await again.json()) as { reports: unknown[] }).reports).toEqual([]);
  });

  test("a bad day in POST /api/v1/reports/tls/send is a 422", async () => {
    const response = await a.api("/api/v1/reports/tls/send", { method: "POST", json: { day: "yesterday" } });
    expect(response.status).toBe(422);
  });
});
