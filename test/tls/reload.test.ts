/**
 * Certificate reloads (SIGHUP in production): after the files are replaced and `reload()` runs, new
 * handshakes present the new certificate while connections already secured keep working; a broken
 * pair is refused and the previous one stays in use. The last test sends a real SIGHUP to a child.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { TlsSetupError } from "../../src/tls/mod.ts";
import { selfSignedCertificate } from "../../src/tls/x509.ts";
import { startChildServer } from "../harness/child-server.ts";
import { eventually } from "../harness/eventually.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import type { TestServer } from "../harness/server.ts";
import { HOSTNAME, startTlsServer } from "./fixtures.ts";

let dir: string;
let certPath: string;
let keyPath: string;
let server: TestServer;
const first = selfSignedCertificate(HOSTNAME, { days: 90 });
const second = selfSignedCertificate(HOSTNAME, { days: 90 });

function install(pair: { certPem: string; keyPem: string }): void {
  writeFileSync(certPath, pair.certPem);
  writeFileSync(keyPath, pair.keyPem, { mode: 0o600 });
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
const peerFingerprint = (socket: TLSSocket) => socket.getPeerCertificate().fingerprint256;
const trust = (pem: string) => ({ ca: [pem], servername: HOSTNAME });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-tls-reload-"));
  certPath = join(dir, "cert.pem");
  keyPath = join(dir, "key.pem");
  install(first);
  server = await startTlsServer({ tlsCert: certPath, tlsKey: keyPath });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("TlsProvider.reload()", () => {
  test("new handshakes get the new certificate; an open TLS session keeps working", async () => {
    const { client: before } = await ImapClient.connect(server.ports.imaps!, "127.0.0.1", {
      tls: trust(first.certPem),
    });
    expect(peerFingerprint(before.socket as TLSSocket)).toBe(fingerprint(first.certPem));
    expect((await before.command('LOGIN "alice@example.com" "secret"')).status).toBe("OK");

    install(second);
    const changes: string[] = [];
    const unsubscribe = server.tls.onReload((pair) => changes.push(fingerprint(pair.cert)));
    server.tls.reload();
    unsubscribe();
    expect(changes).toEqual([fingerprint(second.certPem)]);
    expect(server.tls.certificate.fingerprint256).toBe(fingerprint(second.certPem));

    // The session made before the reload goes on, on its old certificate.
    expect((await before.command("SELECT INBOX")).status).toBe("OK");
    expect((await before.command("NOOP")).status).toBe("OK");

    // New connections, implicit TLS and STARTTLS alike, see the new one.
    const { client: imaps } = await ImapClient.connect(server.ports.imaps!, "127.0.0.1", {
      tls: trust(second.certPem),
    });
    expect(peerFingerprint(imaps.socket as TLSSocket)).toBe(fingerprint(second.certPem));
    const { client: pop3s } = await Pop3Client.connect(server.ports.pop3s!, "127.0.0.1", {
      tls: trust(second.certPem),
    });
    expect(peerFingerprint(pop3s.socket as TLSSocket)).toBe(fingerprint(second.certPem));
    const { client: plain } = await ImapClient.connect(server.ports.imap!);
    await plain.command("STARTTLS");
    expect(peerFingerprint(await plain.startTls(trust(second.certPem)))).toBe(fingerprint(second.certPem));

    // A client that trusts only the old certificate now fails verification.
    await expect(
      ImapClient.connect(server.ports.imaps!, "127.0.0.1", { tls: trust(first.certPem) }),
    ).rejects.toThrow();

    for (const c of [before, imaps, plain]) await c.close();
    await pop3s.quit();
  });

  test("a broken pair is refused with a one-line error and the current one stays in use", async () => {
    install(second);
    server.tls.reload();
    writeFileSync(keyPath, first.keyPem); // the key of another certificate
    expect(() => server.tls.reload()).toThrow(TlsSetupError);
    try {
      server.tls.reload();
    } catch (error) {
      expect((error as Error).message).toContain("is not the key of");
      expect((error as Error).message).not.toContain("\n");
    }
    const { client } = await ImapClient.connect(server.ports.imaps!, "127.0.0.1", {
      tls: trust(second.certPem),
    });
    expect(peerFingerprint(client.socket as TLSSocket)).toBe(fingerprint(second.certPem));
    await client.close();
    install(second);
  });
});

describe("SIGHUP", () => {
  test("a running server rereads its certificate on SIGHUP and keeps the old one if the new is broken", async () => {
    const childDir = mkdtempSync(join(tmpdir(), "mailroom-tls-hup-"));
    const cert = join(childDir, "cert.pem");
    const key = join(childDir, "key.pem");
    writeFileSync(cert, first.certPem);
    writeFileSync(key, first.keyPem);
    const child = await startChildServer({
      env: {
        MAILROOM_DATA_DIR: join(childDir, "data"),
        MAILROOM_HOSTNAME: HOSTNAME,
        MAILROOM_DOMAIN: "example.com",
        MAILROOM_IMAPS_PORT: "0",
        MAILROOM_ADMIN_TOKEN: "tls-hup-token-0123456789",
        MAILROOM_TLS_CERT: cert,
        MAILROOM_TLS_KEY: key,
      },
    });
    const waitFor = async (text: string) => {
      await eventually(() => child.stderr().includes(text), `"${text}" in the server's log`, {
        timeoutMs: 5_000,
        intervalMs: 25,
      });
      expect(child.stderr()).toContain(text);
    };
    try {
      const { client: a } = await ImapClient.connect(child.imapsPort!, "127.0.0.1", {
        tls: trust(first.certPem),
      });
      expect(peerFingerprint(a.socket as TLSSocket)).toBe(fingerprint(first.certPem));

      writeFileSync(cert, second.certPem);
      writeFileSync(key, second.keyPem);
      child.process.kill("SIGHUP");
      await waitFor("reloaded the TLS certificate");
      expect((await a.command("NOOP")).status).toBe("OK");
      const { client: b } = await ImapClient.connect(child.imapsPort!, "127.0.0.1", {
        tls: trust(second.certPem),
      });
      expect(peerFingerprint(b.socket as TLSSocket)).toBe(fingerprint(second.certPem));

      writeFileSync(cert, "not a certificate\n");
      child.process.kill("SIGHUP");
      await waitFor("TLS reload failed");
      const { client: c } = await ImapClient.connect(child.imapsPort!, "127.0.0.1", {
        tls: trust(second.certPem),
      });
      expect(peerFingerprint(c.socket as TLSSocket)).toBe(fingerprint(second.certPem));
      for (const client of [a, b, c]) await client.close();
    } finally {
      child.process.kill("SIGTERM");
      await child.exited;
      rmSync(childDir, { recursive: true, force: true });
    }
  }, 30_000);
});
