/**
 * Stock TLS clients against the real server: `openssl s_client` (implicit TLS, `-starttls imap`,
 * `-starttls pop3`, and the TLS 1.2 floor) and Python's imaplib/poplib (IMAP4_SSL, IMAP4.starttls,
 * POP3_SSL, POP3.stls), each verifying the certificate against the server's own as the only CA.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hasCommand, run } from "../harness/run.ts";
import type { TestServer } from "../harness/server.ts";
import { HOSTNAME, startTlsServer } from "./fixtures.ts";

let server: TestServer;
let cafile: string;
const haveOpenssl = await hasCommand("openssl");
const havePython = await hasCommand("python3");

beforeAll(async () => {
  server = await startTlsServer();
  cafile = server.tls.source.certPath;
});

afterAll(async () => {
  await server.close();
});

/** s_client verifying the chain and the host name; stdin lines become CRLF lines after the handshake. */
function sClient(port: number, input: string, extra: string[] = []) {
  return run(
    "openssl",
    [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-CAfile",
      cafile,
      "-verify_hostname",
      HOSTNAME,
      "-verify_return_error",
      "-brief",
      "-crlf",
      "-ign_eof",
      ...extra,
    ],
    { input, timeoutMs: 20_000 },
  );
}

function expectVerifiedTls(output: string): void {
  expect(output).toContain("CONNECTION ESTABLISHED");
  expect(output).toMatch(/Protocol version: TLSv1\.[23]/);
  expect(output).toContain("Verification: OK");
  expect(output).toContain(`Verified peername: ${HOSTNAME}`);
  expect(output).toContain(`Peer certificate: CN = ${HOSTNAME}`);
}

describe("openssl s_client", () => {
  test("IMAPS: verified handshake, then LOGIN and LOGOUT", async () => {
    if (!haveOpenssl) return console.warn("openssl is not installed: skipped");
    const r = await sClient(server.ports.imaps!, 'a LOGIN "alice@example.com" "secret"\nb LOGOUT\n', [
      "-servername",
      HOSTNAME,
    ]);
    expectVerifiedTls(r.stdout + r.stderr);
    expect(r.stdout).toContain("a OK");
    expect(r.stdout).toContain("b OK LOGOUT completed");
  });

  test("-starttls imap: verified handshake on the plain port, then LOGIN", async () => {
    if (!haveOpenssl) return console.warn("openssl is not installed: skipped");
    const r = await sClient(server.ports.imap!, 'a LOGIN "alice@example.com" "secret"\nb LOGOUT\n', [
      "-starttls",
      "imap",
    ]);
    expectVerifiedTls(r.stdout + r.stderr);
    expect(r.stdout).toContain("a OK");
    expect(r.stdout).toContain("b OK LOGOUT completed");
  });

  test("POP3S: verified handshake, then USER, PASS, STAT and QUIT", async () => {
    if (!haveOpenssl) return console.warn("openssl is not installed: skipped");
    const r = await sClient(server.ports.pop3s!, "USER alice@example.com\nPASS secret\nSTAT\nQUIT\n", [
      "-servername",
      HOSTNAME,
    ]);
    expectVerifiedTls(r.stdout + r.stderr);
    expect(r.stdout).toContain("+OK alice@example.com has");
    expect(r.stdout).toContain("+OK 0 0");
  });

  test("-starttls pop3: verified handshake on the plain port, then USER and PASS", async () => {
    if (!haveOpenssl) return console.warn("openssl is not installed: skipped");
    const r = await sClient(server.ports.pop3!, "USER alice@example.com\nPASS secret\nQUIT\n", [
      "-starttls",
      "pop3",
    ]);
    expectVerifiedTls(r.stdout + r.stderr);
    expect(r.stdout).toContain("+OK alice@example.com has");
  });

  test("TLS 1.2 is accepted, with a forward-secret AEAD cipher", async () => {
    if (!haveOpenssl) return console.warn("openssl is not installed: skipped");
    const r = await run(
      "openssl",
      ["s_client", "-connect", `127.0.0.1:${server.ports.imaps}`, "-tls1_2", "-CAfile", cafile],
      { input: "", timeoutMs: 20_000 },
    );
    expect(r.stdout).toContain("Protocol  : TLSv1.2");
    expect(r.stdout).toMatch(/Cipher is ECDHE-[A-Z0-9]+-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)/);
  });

  test("TLS 1.1 and 1.0 are refused", async () => {
    if (!haveOpenssl) return console.warn("openssl is not installed: skipped");
    for (const version of ["-tls1_1", "-tls1"]) {
      const r = await run(
        "openssl",
        // SECLEVEL=0 lets this client offer the old versions at all; the server must still say no.
        ["s_client", "-connect", `127.0.0.1:${server.ports.imaps}`, version, "-cipher", "DEFAULT@SECLEVEL=0"],
        { input: "", timeoutMs: 20_000 },
      );
      expect(r.stdout + r.stderr).not.toContain("CONNECTION ESTABLISHED");
      expect(r.stdout).toContain("Cipher is (NONE)");
      expect(r.stdout + r.stderr).toMatch(/alert protocol version|no protocols available|wrong version/i);
    }
  });
});

const PYTHON = `
import imaplib, poplib, ssl, sys
port = dict(imap=int(sys.argv[1]), imaps=int(sys.argv[2]), pop3=int(sys.argv[3]), pop3s=int(sys.argv[4]))
ctx = ssl.create_default_context(cafile=sys.argv[5])
host = "127.0.0.1"  # the certificate names IP:127.0.0.1 too, so host name checking stays on

m = imaplib.IMAP4_SSL(host, port["imaps"], ssl_context=ctx)
m.login("alice@example.com", "secret")
print("IMAP4_SSL", m.sock.version(), m.select("INBOX")[0])
m.logout()

m = imaplib.IMAP4(host, port["imap"])
print("IMAP4 before", "STARTTLS" in m.capabilities)
m.starttls(ssl_context=ctx)
print("IMAP4.starttls", m.sock.version(), "STARTTLS" in m.capabilities, m.login("alice@example.com", "secret")[0])
m.logout()

p = poplib.POP3_SSL(host, port["pop3s"], context=ctx)
p.user("alice@example.com")
print("POP3_SSL", p.sock.version(), p.pass_("secret").decode().split(" ")[0], p.stat())
p.quit()

p = poplib.POP3(host, port["pop3"])
print("POP3 before", "STLS" in p.capa())
p.stls(context=ctx)
print("POP3.stls", p.sock.version(), "STLS" in p.capa(), p.user("alice@example.com").decode().split(" ")[0], p.pass_("secret").decode().split(" ")[0])
p.quit()
`;

describe("Python imaplib and poplib", () => {
  test("IMAP4_SSL, IMAP4.starttls, POP3_SSL and POP3.stls verify the certificate and log in", async () => {
    if (!havePython) return console.warn("python3 is not installed: skipped");
    const r = await run(
      "python3",
      [
        "-c",
        PYTHON,
        String(server.ports.imap),
        String(server.ports.imaps),
        String(server.ports.pop3),
        String(server.ports.pop3s),
        cafile,
      ],
      { timeoutMs: 30_000 },
    );
    expect(r.stderr).toBe("");
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^IMAP4_SSL TLSv1\.[23] OK$/);
    expect(lines[1]).toBe("IMAP4 before True");
    expect(lines[2]).toMatch(/^IMAP4\.starttls TLSv1\.[23] False OK$/);
    expect(lines[3]).toMatch(/^POP3_SSL TLSv1\.[23] \+OK \(0, 0\)$/);
    expect(lines[4]).toBe("POP3 before True");
    expect(lines[5]).toMatch(/^POP3\.stls TLSv1\.[23] False \+OK \+OK$/);
  });
});
