/**
 * Automatic certificates against a real ACME server (pebble, test/harness/pebble.ts) that validates
 * over real sockets: TLS-ALPN-01 against the public HTTPS listener, HTTP-01 against the public HTTP
 * listener. The certificate is then presented by every TLS listener (connections made before keep
 * working), a failed validation keeps it and is retried, and a restart serves the stored one without
 * asking the CA.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "../harness/eventually.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { run } from "../harness/run.ts";
import type { TestServer } from "../harness/server.ts";
import {
  type AcmeSetup,
  firstCertificate,
  HOSTNAME,
  nextAttempt,
  presented,
  recordingLog,
  startAcmeServer,
  startAcmeSetup,
} from "./helpers.ts";

const NAMES = ["autoconfig.example.com", "mta-sts.example.com", HOSTNAME];

let setup: AcmeSetup;
let root: string;

beforeAll(async () => {
  setup = await startAcmeSetup({
    // A domain whose names point where nothing listens, so that its validation fails.
    extraZones: [
      {
        origin: "broken.example",
        records: [
          { name: "mta-sts", type: "A", value: "127.0.0.2" },
          { name: "autoconfig", type: "A", value: "127.0.0.2" },
        ],
      },
    ],
  });
  root = await setup.pebble.issuingRoot();
});

afterAll(async () => {
  await setup.stop();
});

const sanOf = (pem: string) => new X509Certificate(pem).subjectAltName ?? "";

describe("TLS-ALPN-01 (RFC 8737) on the public HTTPS listener", () => {
  let server: TestServer;
  let dataDir: string;
  const { log, records } = recordingLog();

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "mailroom-acme-alpn-"));
    server = await startAcmeServer(setup, "tls-alpn-01", {}, { dataDir, log });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("the first certificate is issued for the host name, mta-sts. and autoconfig. of each domain", async () => {
    // A session secured before the certificate arrives (with the self-signed one, as a rule).
    const { client: before } = await ImapClient.connect(server.ports.imaps!, "127.0.0.1", {
      tls: { rejectUnauthorized: false, servername: HOSTNAME },
    });
    const selfSigned = new X509Certificate(readFileSync(join(dataDir, "tls", "cert.pem"))).fingerprint256;

    await firstCertificate(server);
    const status = server.certificates!.status();
    expect(status.certificate?.names).toEqual(NAMES);
    expect(server.tls.origin).toBe("acme");
    expect(records.some((r) => r.event === "acme.challenge" && r.type === "tls-alpn-01")).toBe(true);

    // Every TLS listener presents it now, verified by pebble's root for each name.
    for (const port of [
      server.ports.imaps!,
      server.ports.pop3s!,
      server.ports.smtps!,
      server.ports["public-https"]!,
    ]) {
      const seen = await presented(port, HOSTNAME, root);
      expect({ port, authorized: seen.authorized, error: seen.error }).toEqual({
        port,
        authorized: true,
        error: undefined,
      });
      expect(seen.cert.fingerprint256).not.toBe(selfSigned);
    }
    for (const name of ["mta-sts.example.com", "autoconfig.example.com"])
      expect((await presented(server.ports["public-https"]!, name, root)).authorized).toBe(true);
    expect(sanOf(server.tls.credentials().cert)).toBe(
      "DNS:mx.test.example, DNS:mta-sts.example.com, DNS:autoconfig.example.com",
    );

    // The session made before goes on, on its old certificate.
    expect((await before.command('LOGIN "nobody@example.com" "x"')).status).toBe("NO");
    expect((await before.command("NOOP")).status).toBe("OK");
    await before.close();
  }, 60_000);

  test("openssl s_client verifies the certificate on the public HTTPS listener and STARTTLS", async () => {
    const caFile = join(dataDir, "pebble-root.pem");
    await Bun.write(caFile, root);
    const https = await run(
      "openssl",
      [
        "s_client",
        "-connect",
        `127.0.0.1:${server.ports["public-https"]}`,
        "-servername",
        "mta-sts.example.com",
        "-CAfile",
        caFile,
        "-verify_return_error",
        "-verify_hostname",
        "mta-sts.example.com",
      ],
      { input: "", timeoutMs: 10_000 },
    );
    expect(https.stdout).toContain("Verify return code: 0 (ok)");
    const starttls = await run(
      "openssl",
      [
        "s_client",
        "-connect",
        `127.0.0.1:${server.ports.submission}`,
        "-starttls",
        "smtp",
        "-CAfile",
        caFile,
        "-verify_return_error",
        "-verify_hostname",
        HOSTNAME,
      ],
      { input: "QUIT\r\n", timeoutMs: 10_000 },
    );
    expect(starttls.stdout).toContain("Verify return code: 0 (ok)");
  });

  test("the MTA-STS policy is served over HTTPS with the certificate, in enforce mode", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: server.ports["public-https"]!,
          path: "/.well-known/mta-sts.txt",
          servername: "mta-sts.example.com",
          headers: { host: "mta-sts.example.com" },
          ca: root,
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (d: string) => {
            text += d;
          });
          res.on("end", () => resolve(`${res.statusCode} ${text}`));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(body).toBe(`200 version: STSv1\r\nmode: enforce\r\nmx: ${HOSTNAME}\r\nmax_age: 604800\r\n`);
  });

  test("a handshake offering acme-tls/1 with no challenge in progress is refused", async () => {
    await expect(presented(server.ports["public-https"]!, HOSTNAME, root, ["acme-tls/1"])).rejects.toThrow();
  });

  test("a failed validation is logged, keeps the certificate in use, and is retried until it succeeds", async () => {
    await firstCertificate(server);
    const before = server.tls.certificate.fingerprint256;
    const failed = nextAttempt(server);
    const res = await server.api("/api/v1/domains", { method: "POST", json: { name: "broken.example" } });
    expect(res.status).toBe(201);
    const outcome = await failed;
    expect(outcome.kind).toBe("failed");
    const line = records.find((r) => r.event === "acme.failed");
    expect(line).toBeDefined();
    expect(String(line!.error)).toMatch(
      /tls-alpn-01 validation of (mta-sts|autoconfig)\.broken\.example failed/,
    );
    expect(String(line!.keeping)).toContain("the ACME certificate valid until");
    expect(line!.retryAt).toBeString();
    expect(server.tls.certificate.fingerprint256).toBe(before);
    expect((await presented(server.ports.imaps!, HOSTNAME, root)).cert.fingerprint256).toBe(before);

    // The names are fixed in DNS; the retry (with backoff) succeeds without anyone asking.
    await setup.dns.setZone({
      origin: "broken.example",
      records: [
        { name: "mta-sts", type: "A", value: "127.0.0.1" },
        { name: "autoconfig", type: "A", value: "127.0.0.1" },
      ],
    });
    const issued = await eventually(
      () => {
        const current = server.certificates!.status().certificate;
        return current?.names.includes("mta-sts.broken.example") ? current : undefined;
      },
      "a successful retry",
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(issued.names).toContain("autoconfig.broken.example");
    expect(server.tls.certificate.fingerprint256).not.toBe(before);
    expect(
      (await presented(server.ports["public-https"]!, "autoconfig.broken.example", root)).authorized,
    ).toBe(true);
  }, 90_000);

  test("a restart serves the stored certificate at once and does not ask the CA", async () => {
    const stored = server.tls.certificate.fingerprint256;
    await server.stop();
    const again = recordingLog();
    server = await startAcmeServer(setup, "tls-alpn-01", {}, { dataDir, log: again.log });
    // Before any order could run: the first handshake already gets the stored certificate.
    expect((await presented(server.ports.imaps!, HOSTNAME, root)).cert.fingerprint256).toBe(stored);
    expect(again.records.some((r) => r.event === "acme.certificate_loaded")).toBe(true);
    // The manager looked and decided to wait for the renewal time (far away), without ordering.
    await eventually(
      () => (server.certificates!.status().nextCheckAt ?? 0) > Date.now() + 60_000,
      "the next check scheduled for later",
    );
    expect(again.records.filter((r) => r.event === "acme.ordering")).toEqual([]);
  }, 30_000);
});

describe("HTTP-01 (RFC 8555 §8.3) on the public HTTP listener", () => {
  test("the certificate is issued through /.well-known/acme-challenge/ on the public HTTP listener", async () => {
    const { log, records } = recordingLog();
    const server = await startAcmeServer(setup, "http-01", {}, { log });
    try {
      await firstCertificate(server);
      expect(records.some((r) => r.event === "acme.challenge" && r.type === "http-01")).toBe(true);
      expect(server.certificates!.status().certificate?.names).toEqual(NAMES);
      expect((await presented(server.ports.imaps!, HOSTNAME, root)).authorized).toBe(true);
      // Done: the token is no longer answered.
      const res = await fetch(
        `http://127.0.0.1:${server.ports["public-http"]}/.well-known/acme-challenge/abc`,
      );
      expect(res.status).toBe(404);
    } finally {
      await server.close();
    }
  }, 60_000);
});
