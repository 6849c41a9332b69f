/**
 * Where the certificate comes from: the self-signed pair generated into <data-dir>/tls/ (key mode
 * 0600, reused, renewed when expiring or when the host name changes), and the settings that name a
 * real pair, whose mistakes stop the start with one line naming the setting.
 */
import { describe, expect, test } from "bun:test";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, helpText, loadConfig, parseArgs } from "../../src/config.ts";
import { selfSignedCertificate } from "../../src/tls/x509.ts";
import { run } from "../harness/run.ts";
import { startTestServer } from "../harness/server.ts";
import { HOSTNAME } from "./fixtures.ts";

describe("the generated self-signed certificate", () => {
  test("is written to <data-dir>/tls/ for the host name, with the key readable by the owner only", async () => {
    const server = await startTestServer();
    try {
      const certPath = join(server.dataDir, "tls", "cert.pem");
      const keyPath = join(server.dataDir, "tls", "key.pem");
      expect(server.tls.source).toEqual({ certPath, keyPath, selfSigned: true });
      expect(statSync(keyPath).mode & 0o777).toBe(0o600);
      const cert = new X509Certificate(readFileSync(certPath));
      expect(cert.subject).toBe(`CN=${HOSTNAME}`);
      expect(cert.subjectAltName).toBe(`DNS:${HOSTNAME}, IP Address:127.0.0.1`);
      expect(cert.checkHost(HOSTNAME)).toBe(HOSTNAME);
      expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
      expect(cert.checkPrivateKey(createPrivateKey(readFileSync(keyPath)))).toBe(true);
      expect(cert.verify(cert.publicKey)).toBe(true);
      expect(cert.ca).toBe(false);
      expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // extKeyUsage serverAuth
      expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThan(800 * 86_400_000);
    } finally {
      await server.close();
    }
  });

  test("is reused on the next start, and replaced when the host name changes", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "mailroom-tls-reuse-"));
    try {
      const one = await startTestServer({}, { dataDir });
      const fingerprint = one.tls.certificate.fingerprint256;
      await one.stop();
      const two = await startTestServer({}, { dataDir });
      expect(two.tls.certificate.fingerprint256).toBe(fingerprint);
      await two.stop();
      const three = await startTestServer({ hostname: "mail.other.example" }, { dataDir });
      expect(three.tls.certificate.fingerprint256).not.toBe(fingerprint);
      expect(three.tls.certificate.subject).toBe("CN=mail.other.example");
      await three.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("is replaced when it expires within 30 days", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "mailroom-tls-renew-"));
    try {
      const one = await startTestServer({}, { dataDir });
      await one.stop();
      const expiring = selfSignedCertificate(HOSTNAME, { days: 10 });
      writeFileSync(join(dataDir, "tls", "cert.pem"), expiring.certPem);
      writeFileSync(join(dataDir, "tls", "key.pem"), expiring.keyPem);
      const two = await startTestServer({}, { dataDir });
      expect(two.tls.certificate.fingerprint256).not.toBe(
        new X509Certificate(expiring.certPem).fingerprint256,
      );
      expect(Date.parse(two.tls.certificate.validTo) - Date.now()).toBeGreaterThan(800 * 86_400_000);
      await two.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("TLS settings", () => {
  const env = { MAILROOM_DATA_DIR: "/tmp/unused" };

  test("MAILROOM_TLS_CERT without MAILROOM_TLS_KEY (and the reverse) is a ConfigError naming both", () => {
    for (const extra of [{ MAILROOM_TLS_CERT: "/x/cert.pem" }, { MAILROOM_TLS_KEY: "/x/key.pem" }]) {
      let error: unknown;
      try {
        loadConfig(new Map(), { ...env, ...extra });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain("MAILROOM_TLS_CERT");
      expect((error as Error).message).toContain("MAILROOM_TLS_KEY");
    }
  });

  test("defaults: IMAPS 993, POP3S 995, no plain-text passwords from outside loopback", () => {
    const config = loadConfig(new Map(), env);
    expect(config.imapsPort).toBe(993);
    expect(config.pop3sPort).toBe(995);
    expect(config.allowPlaintextAuth).toBe(false);
    expect(config.trustedNetworks).toEqual(["127.0.0.1/32", "::1/128"]);
    expect(config.tlsCert).toBeUndefined();
  });

  test("flags: --imaps-port off, --pop3s-port 0, --allow-plaintext-auth true, --tls-cert/--tls-key", () => {
    const { flags } = parseArgs([
      "--imaps-port",
      "off",
      "--pop3s-port=0",
      "--allow-plaintext-auth",
      "true",
      "--tls-cert",
      "/c.pem",
      "--tls-key",
      "/k.pem",
    ]);
    const config = loadConfig(flags, env);
    expect(config.imapsPort).toBeNull();
    expect(config.pop3sPort).toBe(0);
    expect(config.allowPlaintextAuth).toBe(true);
    expect([config.tlsCert, config.tlsKey]).toEqual(["/c.pem", "/k.pem"]);
  });

  test("MAILROOM_ALLOW_PLAINTEXT_AUTH takes true/false/yes/no/1/0 and refuses anything else", () => {
    expect(loadConfig(new Map(), { ...env, MAILROOM_ALLOW_PLAINTEXT_AUTH: "YES" }).allowPlaintextAuth).toBe(
      true,
    );
    expect(loadConfig(new Map(), { ...env, MAILROOM_ALLOW_PLAINTEXT_AUTH: "0" }).allowPlaintextAuth).toBe(
      false,
    );
    expect(() => loadConfig(new Map(), { ...env, MAILROOM_ALLOW_PLAINTEXT_AUTH: "maybe" })).toThrow(
      "MAILROOM_ALLOW_PLAINTEXT_AUTH",
    );
  });

  test("--help lists every TLS setting", () => {
    const help = helpText("0.0.0");
    for (const word of [
      "--tls-cert",
      "MAILROOM_TLS_CERT",
      "--tls-key",
      "MAILROOM_TLS_KEY",
      "--imaps-port",
      "MAILROOM_IMAPS_PORT",
      "--pop3s-port",
      "MAILROOM_POP3S_PORT",
      "--allow-plaintext-auth",
      "MAILROOM_ALLOW_PLAINTEXT_AUTH",
    ])
      expect(help).toContain(word);
  });
});

describe("mailroom serve with a bad certificate setting", () => {
  /** Starts the real CLI; every listener is off or on port 0, so nothing is bound if it did start. */
  async function serve(extra: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), "mailroom-tls-cli-"));
    try {
      return await run(process.execPath, [join(process.cwd(), "src/runtime/bun.ts"), "serve"], {
        cwd: dir,
        env: {
          MAILROOM_DATA_DIR: join(dir, "data"),
          MAILROOM_BIND: "127.0.0.1",
          MAILROOM_SMTP_PORT: "off",
          MAILROOM_SUBMISSION_PORT: "off",
          MAILROOM_SMTPS_PORT: "off",
          MAILROOM_POP3_PORT: "off",
          MAILROOM_IMAP_PORT: "off",
          MAILROOM_POP3S_PORT: "off",
          MAILROOM_IMAPS_PORT: "off",
          MAILROOM_HTTP_PORT: "off",
          MAILROOM_PUBLIC_HTTP_PORT: "off",
          MAILROOM_PUBLIC_HTTPS_PORT: "off",
          MAILROOM_ADMIN_TOKEN: "tls-cli-token-0123456789",
          ...extra,
        },
        timeoutMs: 20_000,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  function expectOneLine(r: { code: number | null; stderr: string }, ...words: string[]): void {
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toContain("    at ");
    for (const word of words) expect(r.stderr).toContain(word);
  }

  test("a certificate without a key exits with one line naming both settings", async () => {
    const r = await serve({ MAILROOM_TLS_CERT: "/nonexistent/cert.pem" });
    expect(r.code).toBe(2);
    expectOneLine(r, "MAILROOM_TLS_CERT", "MAILROOM_TLS_KEY");
  });

  test("an unreadable certificate file exits with one line naming the setting and the file", async () => {
    const r = await serve({
      MAILROOM_TLS_CERT: "/nonexistent/cert.pem",
      MAILROOM_TLS_KEY: "/nonexistent/key.pem",
    });
    expectOneLine(r, "/nonexistent/cert.pem", "MAILROOM_TLS_CERT", "no such file");
  });

  test("a file that is not PEM, and a key of another certificate, each exit with one line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mailroom-tls-files-"));
    try {
      const a = selfSignedCertificate(HOSTNAME, { days: 90 });
      const b = selfSignedCertificate(HOSTNAME, { days: 90 });
      writeFileSync(join(dir, "a.crt"), a.certPem);
      writeFileSync(join(dir, "b.key"), b.keyPem);
      writeFileSync(join(dir, "junk"), "hello\n");
      const notPem = await serve({
        MAILROOM_TLS_CERT: join(dir, "junk"),
        MAILROOM_TLS_KEY: join(dir, "b.key"),
      });
      expectOneLine(notPem, "is not a PEM file", "MAILROOM_TLS_CERT");
      const mismatch = await serve({
        MAILROOM_TLS_CERT: join(dir, "a.crt"),
        MAILROOM_TLS_KEY: join(dir, "b.key"),
      });
      expectOneLine(mismatch, "is not the key of", "MAILROOM_TLS_KEY");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
