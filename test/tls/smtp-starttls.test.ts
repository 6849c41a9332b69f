/**
 * TLS on the SMTP listeners: STARTTLS on 25 and 587 (RFC 3207), implicit TLS on the SMTPS port
 * (RFC 8314 §3.3), the STARTTLS command-injection case (CVE-2011-0411), certificate reloads, and stock
 * clients (openssl s_client, swaks, Python's smtplib, nodemailer) that verify the certificate with the
 * server's own as the only CA.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import nodemailer from "nodemailer";
import { selfSignedCertificate } from "../../src/tls/x509.ts";
import { hasCommand, run } from "../harness/run.ts";
import { mailboxContents, type TestServer } from "../harness/server.ts";
import { HOSTNAME, startTlsServer, trusting } from "./fixtures.ts";
import { SmtpTlsClient } from "./smtp-tls-client.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTlsServer();
});

afterAll(async () => {
  await server.close();
});

const PLAIN = Buffer.from("\0alice@example.com\0secret").toString("base64");

function expectGoodTls(secure: TLSSocket): void {
  expect(secure.authorized).toBe(true);
  expect(["TLSv1.2", "TLSv1.3"]).toContain(secure.getProtocol()!);
  const peer = secure.getPeerCertificate();
  expect(peer.subject.CN).toBe(HOSTNAME);
  expect(peer.subjectaltname).toContain(`DNS:${HOSTNAME}`);
}

const message = (subject: string) =>
  `From: alice@example.com\r\nTo: alice@example.com\r\nSubject: ${subject}\r\n\r\nover TLS\r\n`;

/** The stored copy of the message with this subject in alice's INBOX. */
async function stored(subject: string): Promise<string> {
  const found = (await mailboxContents(server, "alice@example.com"))
    .map((m) => m.raw.toString())
    .find((raw) => raw.includes(`Subject: ${subject}\r\n`));
  if (!found) throw new Error(`no message "${subject}"`);
  return found;
}

/** Resolves with what the peer sent before it closed; rejects if it stays open. */
function closesSilently(port: number, send: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = connect(port, "127.0.0.1", () => socket.write(send));
    socket.on("data", (d) => {
      received += d.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(received));
    setTimeout(() => reject(new Error("still open")), 10_000).unref();
  });
}

describe("SMTP STARTTLS (RFC 3207)", () => {
  for (const [name, port] of [
    ["port 25", () => server.ports.smtp!],
    ["port 587", () => server.ports.submission!],
  ] as const) {
    test(`${name}: STARTTLS is offered; after a verified TLS 1.2+ handshake EHLO no longer offers it`, async () => {
      const { client, greeting } = await SmtpTlsClient.connect(port());
      expect(greeting.code).toBe(220);
      expect(await client.ehlo()).toContain("STARTTLS");
      const go = await client.command("STARTTLS");
      expect(go.code).toBe(220);
      expectGoodTls(await client.startTls(trusting(server)));
      const after = await client.ehlo();
      expect(after).not.toContain("STARTTLS");
      expect(after).toContain("AUTH PLAIN LOGIN");
      expect((await client.command("QUIT")).code).toBe(221);
      await client.close();
    });
  }

  test("a message sent over STARTTLS on port 25 is stored with ESMTPS in its Received field", async () => {
    const { client } = await SmtpTlsClient.connect(server.ports.smtp!);
    await client.ehlo();
    await client.command("STARTTLS");
    await client.startTls(trusting(server));
    await client.ehlo();
    expect((await client.command("MAIL FROM:<sender@remote.example>")).code).toBe(250);
    expect((await client.command("RCPT TO:<alice@example.com>")).code).toBe(250);
    expect((await client.data(message("starttls on 25"))).code).toBe(250);
    await client.close();
    expect(await stored("starttls on 25")).toMatch(
      /^Return-Path: <sender@remote\.example>\r\n.* with ESMTPS id /s,
    );
  });

  test("the session starts over after the handshake: MAIL before a new EHLO is refused (RFC 3207 §4.2)", async () => {
    const { client } = await SmtpTlsClient.connect(server.ports.smtp!);
    await client.ehlo();
    await client.command("STARTTLS");
    await client.startTls(trusting(server));
    expect((await client.command("MAIL FROM:<sender@remote.example>")).code).toBe(503);
    await client.close();
  });

  test("STARTTLS on a secured connection is 503 and STARTTLS with an argument is 501", async () => {
    const { client } = await SmtpTlsClient.connect(server.ports.smtp!);
    await client.ehlo();
    expect((await client.command("STARTTLS now")).code).toBe(501);
    await client.command("STARTTLS");
    await client.startTls(trusting(server));
    await client.ehlo();
    expect((await client.command("STARTTLS")).code).toBe(503);
    expect((await client.command("NOOP")).code).toBe(250);
    await client.close();
  });
});

describe("SMTPS: implicit TLS (RFC 8314 §3.3)", () => {
  test("the handshake comes first, then the greeting; EHLO offers AUTH and no STARTTLS; a message is submitted", async () => {
    const { client, greeting } = await SmtpTlsClient.connect(server.ports.smtps!, { tls: trusting(server) });
    expectGoodTls(client.socket as TLSSocket);
    expect(greeting.code).toBe(220);
    const ehlo = await client.ehlo();
    expect(ehlo).not.toContain("STARTTLS");
    expect(ehlo).toContain("AUTH PLAIN LOGIN");
    expect((await client.command("STARTTLS")).code).toBe(503);
    // Submission rules: AUTH before MAIL (RFC 6409 §4.3).
    expect((await client.command("MAIL FROM:<alice@example.com>")).code).toBe(530);
    expect((await client.command(`AUTH PLAIN ${PLAIN}`)).code).toBe(235);
    expect((await client.command("MAIL FROM:<alice@example.com>")).code).toBe(250);
    expect((await client.command("RCPT TO:<alice@example.com>")).code).toBe(250);
    expect((await client.data(message("over smtps"))).code).toBe(250);
    await client.close();
    expect(await stored("over smtps")).toContain(" with ESMTPSA id ");
  });

  test("a plain-text client on the SMTPS port gets no greeting and is disconnected", async () => {
    expect(await closesSilently(server.ports.smtps!, "EHLO client.test\r\n")).not.toContain("220");
  });
});

describe("STARTTLS command injection (CVE-2011-0411)", () => {
  test("an RSET sent in the same packet as STARTTLS is dropped, not answered after the handshake", async () => {
    const { client } = await SmtpTlsClient.connect(server.ports.smtp!);
    await client.ehlo();
    client.write("STARTTLS\r\nRSET\r\n");
    expect((await client.read()).code).toBe(220);
    await client.startTls(trusting(server));
    // The first reply over TLS must be the one to our EHLO, and nothing may follow it.
    const ehlo = await client.command("EHLO client.test");
    expect(ehlo.code).toBe(250);
    expect(ehlo.lines[0]).toContain(HOSTNAME);
    expect((await client.command("NOOP")).text).toMatch(/^250 .*OK/);
    expect(client.unread).toBe("");
    await client.close();
  });

  test("a MAIL FROM injected behind STARTTLS does not open a transaction in the TLS session", async () => {
    const { client } = await SmtpTlsClient.connect(server.ports.submission!);
    await client.ehlo();
    client.write(`STARTTLS\r\nAUTH PLAIN ${PLAIN}\r\nMAIL FROM:<alice@example.com>\r\n`);
    expect((await client.read()).code).toBe(220);
    await client.startTls(trusting(server));
    await client.ehlo();
    // Neither the AUTH nor the MAIL took effect: RCPT is refused for want of authentication.
    expect((await client.command("RCPT TO:<alice@example.com>")).code).toBe(530);
    expect(client.unread).toBe("");
    await client.close();
  });
});

describe("certificate reload", () => {
  let dir: string;
  let reloading: TestServer;
  const first = selfSignedCertificate(HOSTNAME, { days: 90 });
  const second = selfSignedCertificate(HOSTNAME, { days: 90 });
  const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
  const install = (pair: { certPem: string; keyPem: string }) => {
    writeFileSync(join(dir, "cert.pem"), pair.certPem);
    writeFileSync(join(dir, "key.pem"), pair.keyPem, { mode: 0o600 });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "mailroom-smtp-reload-"));
    install(first);
    reloading = await startTlsServer({ tlsCert: join(dir, "cert.pem"), tlsKey: join(dir, "key.pem") });
  });

  afterAll(async () => {
    await reloading.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The certificate a new handshake presents, with or without SNI (MTAs often send none). */
  async function presented(kind: "starttls" | "smtps", sni: boolean, ca: string): Promise<string> {
    const tls = { ca: [ca], checkServerIdentity: () => undefined, ...(sni ? { servername: HOSTNAME } : {}) };
    if (kind === "smtps") {
      const { client } = await SmtpTlsClient.connect(reloading.ports.smtps!, { tls });
      const fp = (client.socket as TLSSocket).getPeerCertificate().fingerprint256;
      await client.close();
      return fp;
    }
    const { client } = await SmtpTlsClient.connect(reloading.ports.smtp!);
    await client.ehlo();
    await client.command("STARTTLS");
    const fp = (await client.startTls(tls)).getPeerCertificate().fingerprint256;
    await client.close();
    return fp;
  }

  test("after reload() new STARTTLS and SMTPS handshakes present the new certificate; open sessions go on", async () => {
    for (const kind of ["starttls", "smtps"] as const)
      for (const sni of [true, false])
        expect(await presented(kind, sni, first.certPem)).toBe(fingerprint(first.certPem));

    const { client: before } = await SmtpTlsClient.connect(reloading.ports.smtp!);
    await before.ehlo();
    await before.command("STARTTLS");
    await before.startTls({ ca: [first.certPem], servername: HOSTNAME });

    install(second);
    reloading.tls.reload();

    for (const kind of ["starttls", "smtps"] as const)
      for (const sni of [true, false])
        expect(await presented(kind, sni, second.certPem)).toBe(fingerprint(second.certPem));
    // The session secured before the reload keeps working on its old certificate.
    expect(await before.ehlo()).toContain("AUTH PLAIN LOGIN");
    expect((await before.command("NOOP")).code).toBe(250);
    await before.close();
  });
});

describe("stock clients", () => {
  let cafile: string;
  beforeAll(() => {
    cafile = server.tls.source.certPath;
  });

  /** s_client verifying the chain and host name; the input goes in after a pause (after the greeting). */
  function sClient(port: number, input: string, extra: string[]) {
    return run(
      "sh",
      [
        "-c",
        // An SMTP client that talks before the greeting is refused (421 "You talk too soon").
        'input="$1"; shift; (sleep 0.5; printf "%s" "$input") | openssl "$@"',
        "sh",
        input,
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
      { timeoutMs: 20_000 },
    );
  }

  function expectVerifiedTls(output: string): void {
    expect(output).toContain("CONNECTION ESTABLISHED");
    expect(output).toMatch(/Protocol version: TLSv1\.[23]/);
    expect(output).toContain("Verification: OK");
    expect(output).toContain(`Peer certificate: CN = ${HOSTNAME}`);
  }

  test("openssl s_client -starttls smtp (25) and implicit TLS (SMTPS): verified handshakes", async () => {
    if (!(await hasCommand("openssl"))) return console.warn("openssl is not installed: skipped");
    const starttls = await sClient(server.ports.smtp!, "EHLO client.test\nQUIT\n", ["-starttls", "smtp"]);
    expectVerifiedTls(starttls.stdout + starttls.stderr);
    expect(starttls.stdout).toContain(`250-${HOSTNAME}`);
    expect(starttls.stdout).toContain("221 ");
    const smtps = await sClient(server.ports.smtps!, "EHLO client.test\nQUIT\n", ["-servername", HOSTNAME]);
    expectVerifiedTls(smtps.stdout + smtps.stderr);
    expect(smtps.stdout).toContain("250-AUTH PLAIN LOGIN");
  });

  test("TLS 1.1 and 1.0 are refused on STARTTLS and on SMTPS", async () => {
    if (!(await hasCommand("openssl"))) return console.warn("openssl is not installed: skipped");
    for (const [port, extra] of [
      [server.ports.smtp!, ["-starttls", "smtp"]],
      [server.ports.smtps!, []],
    ] as const) {
      for (const version of ["-tls1_1", "-tls1"]) {
        const r = await run(
          "openssl",
          // SECLEVEL=0 lets this client offer the old versions at all; the server must still say no.
          ["s_client", "-connect", `127.0.0.1:${port}`, version, "-cipher", "DEFAULT@SECLEVEL=0", ...extra],
          { input: "", timeoutMs: 20_000 },
        );
        expect(r.stdout + r.stderr).not.toContain("CONNECTION ESTABLISHED");
        expect(r.stdout).toContain("Cipher is (NONE)");
      }
    }
  });

  test("swaks --tls (STARTTLS on 25) and --tlsc (SMTPS with AUTH) deliver a message", async () => {
    if (!(await hasCommand("swaks"))) return console.warn("swaks is not installed: skipped");
    const common = ["--server", "127.0.0.1", "--to", "alice@example.com", "--from", "alice@example.com"];
    const starttls = await run(
      "swaks",
      [...common, "--port", String(server.ports.smtp), "--tls", "--header", "Subject: swaks starttls"],
      { timeoutMs: 30_000 },
    );
    expect(starttls.code).toBe(0);
    expect(starttls.stdout).toMatch(/=== TLS started with cipher TLSv1\.[23]:/);
    expect(starttls.stdout).toContain(`=== TLS peer DN="/CN=${HOSTNAME}"`);
    const smtps = await run(
      "swaks",
      [
        ...common,
        "--port",
        String(server.ports.smtps),
        "--tlsc",
        "--auth",
        "PLAIN",
        "--auth-user",
        "alice@example.com",
        "--auth-password",
        "secret",
        "--header",
        "Subject: swaks smtps",
      ],
      { timeoutMs: 30_000 },
    );
    expect(smtps.code).toBe(0);
    expect(smtps.stdout).toMatch(/=== TLS started with cipher TLSv1\.[23]:/);
    expect(smtps.stdout).toContain("<~  235 ");
    expect(await stored("swaks starttls")).toContain(" with ESMTPS id ");
    expect(await stored("swaks smtps")).toContain(" with ESMTPSA id ");
  });

  test("Python smtplib: starttls() with the certificate as CA, login() and send on 587", async () => {
    if (!(await hasCommand("python3"))) return console.warn("python3 is not installed: skipped");
    const script = [
      "import smtplib, ssl, sys",
      "ctx = ssl.create_default_context(cafile=sys.argv[2])",
      "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))",
      "s.ehlo()",
      "print('before', s.has_extn('starttls'))",
      "s.starttls(context=ctx)",
      "s.ehlo()",
      "print('after', s.sock.version(), s.has_extn('starttls'), s.has_extn('auth'))",
      "print('login', s.login('alice@example.com', 'secret')[0])",
      "msg = 'From: alice@example.com\\r\\nTo: alice@example.com\\r\\nSubject: smtplib starttls\\r\\n\\r\\nhi\\r\\n'",
      "print('refused', s.sendmail('alice@example.com', ['alice@example.com'], msg))",
      "s.quit()",
    ].join("\n");
    const r = await run("python3", ["-c", script, String(server.ports.submission), cafile], {
      timeoutMs: 30_000,
    });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n")).toEqual([
      "before True",
      expect.stringMatching(/^after TLSv1\.[23] False True$/),
      "login 235",
      "refused {}",
    ]);
    expect(await stored("smtplib starttls")).toContain(" with ESMTPSA id ");
  });

  test("nodemailer with requireTLS on 587 and secure on the SMTPS port, trusting only our certificate", async () => {
    const ca = server.tls.credentials().cert;
    for (const [port, secure, subject] of [
      [server.ports.submission!, false, "nodemailer requireTLS"],
      [server.ports.smtps!, true, "nodemailer smtps"],
    ] as const) {
      const transport = nodemailer.createTransport({
        host: "127.0.0.1",
        port,
        secure,
        requireTLS: !secure,
        tls: { ca, servername: HOSTNAME },
        auth: { user: "alice@example.com", pass: "secret" },
      });
      try {
        const info = await transport.sendMail({
          from: "alice@example.com",
          to: "alice@example.com",
          subject,
          text: "hello",
        });
        expect(info.accepted).toEqual(["alice@example.com"]);
      } finally {
        transport.close();
      }
      expect(await stored(subject)).toContain(" with ESMTPSA id ");
    }
  });
});
