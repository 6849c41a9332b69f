/**
 * SMTP passwords only over TLS or from a trusted network (RFC 8314 §5.4, RFC 4954 §4), the policy IMAP
 * and POP3 follow too: the test server trusts 127.0.0.1 alone, so a client bound to 127.0.0.2 is a
 * remote client. Its EHLO without TLS lists no AUTH and AUTH is answered 538 5.7.11; after STARTTLS,
 * on the SMTPS port, from 127.0.0.1, or with MAILROOM_ALLOW_PLAINTEXT_AUTH, AUTH is offered and works.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestServer } from "../harness/server.ts";
import { REMOTE, startTlsServer, trusting } from "./fixtures.ts";
import { SmtpTlsClient } from "./smtp-tls-client.ts";

let server: TestServer;
let permissive: TestServer;

beforeAll(async () => {
  server = await startTlsServer();
  permissive = await startTlsServer({ allowPlaintextAuth: true });
});

afterAll(async () => {
  await server.close();
  await permissive.close();
});

const b64 = (s: string) => Buffer.from(s).toString("base64");
const PLAIN = b64("\0alice@example.com\0secret");
const hasAuth = (ehlo: string[]) => ehlo.some((l) => /^AUTH\b/.test(l));

describe("SMTP from a remote address without TLS", () => {
  for (const [name, port] of [
    ["port 587", () => server.ports.submission!],
    ["port 25", () => server.ports.smtp!],
  ] as const) {
    test(`${name}: EHLO lists STARTTLS and no AUTH`, async () => {
      const { client } = await SmtpTlsClient.connect(port(), { localAddress: REMOTE });
      const ehlo = await client.ehlo();
      expect(ehlo).toContain("STARTTLS");
      expect(hasAuth(ehlo)).toBe(false);
      await client.close();
    });

    test(`${name}: AUTH PLAIN and AUTH LOGIN are 538 5.7.11, even with the right password`, async () => {
      const { client } = await SmtpTlsClient.connect(port(), { localAddress: REMOTE });
      await client.ehlo();
      for (const line of [
        `AUTH PLAIN ${PLAIN}`,
        "AUTH PLAIN",
        "AUTH LOGIN",
        `AUTH LOGIN ${b64("alice@example.com")}`,
      ]) {
        const r = await client.command(line);
        expect(r.code).toBe(538);
        expect(r.text).toStartWith("538 5.7.11 Encryption required");
      }
      // The connection is still good for what needs no password.
      expect((await client.command("NOOP")).code).toBe(250);
      await client.close();
    });
  }

  test("port 587: MAIL without AUTH stays 530 5.7.0", async () => {
    const { client } = await SmtpTlsClient.connect(server.ports.submission!, { localAddress: REMOTE });
    await client.ehlo();
    const mail = await client.command("MAIL FROM:<alice@example.com>");
    expect(mail.code).toBe(530);
    expect(mail.text).toContain("5.7.0");
    await client.close();
  });

  test("port 25: mail for a local address is still accepted without AUTH (MTA to MTA)", async () => {
    const { client } = await SmtpTlsClient.connect(server.ports.smtp!, { localAddress: REMOTE });
    await client.ehlo();
    expect((await client.command("MAIL FROM:<sender@remote.example>")).code).toBe(250);
    expect((await client.command("RCPT TO:<alice@example.com>")).code).toBe(250);
    const r = await client.data("From: sender@remote.example\r\nSubject: plain inbound\r\n\r\nhi\r\n");
    expect(r.code).toBe(250);
    await client.close();
  });

  test("after STARTTLS, EHLO lists AUTH PLAIN LOGIN and AUTH PLAIN logs in; a message is accepted", async () => {
    const { client } = await SmtpTlsClient.connect(server.ports.submission!, { localAddress: REMOTE });
    await client.ehlo();
    expect((await client.command("STARTTLS")).code).toBe(220);
    await client.startTls(trusting(server));
    expect(await client.ehlo()).toContain("AUTH PLAIN LOGIN");
    expect((await client.command(`AUTH PLAIN ${PLAIN}`)).code).toBe(235);
    expect((await client.command("MAIL FROM:<alice@example.com>")).code).toBe(250);
    expect((await client.command("RCPT TO:<alice@example.com>")).code).toBe(250);
    const r = await client.data("From: alice@example.com\r\nSubject: after starttls\r\n\r\nhi\r\n");
    expect(r.code).toBe(250);
    await client.close();
  });

  test("after STARTTLS, AUTH LOGIN works on port 25", async () => {
    const { client } = await SmtpTlsClient.connect(server.ports.smtp!, { localAddress: REMOTE });
    await client.ehlo();
    await client.command("STARTTLS");
    await client.startTls(trusting(server));
    await client.ehlo();
    expect((await client.command("AUTH LOGIN")).code).toBe(334);
    expect((await client.command(b64("alice@example.com"))).code).toBe(334);
    expect((await client.command(b64("secret"))).code).toBe(235);
    await client.close();
  });

  test("over SMTPS AUTH is listed and works at once", async () => {
    const { client } = await SmtpTlsClient.connect(server.ports.smtps!, {
      localAddress: REMOTE,
      tls: trusting(server),
    });
    expect(await client.ehlo()).toContain("AUTH PLAIN LOGIN");
    expect((await client.command(`AUTH PLAIN ${PLAIN}`)).code).toBe(235);
    await client.close();
  });
});

describe("SMTP from a trusted address, or with allowPlaintextAuth", () => {
  test("from 127.0.0.1 AUTH is listed without TLS and works", async () => {
    const { client } = await SmtpTlsClient.connect(server.ports.submission!);
    const ehlo = await client.ehlo();
    expect(ehlo).toContain("AUTH PLAIN LOGIN");
    expect(ehlo).toContain("STARTTLS");
    expect((await client.command(`AUTH PLAIN ${PLAIN}`)).code).toBe(235);
    await client.close();
  });

  test("with allowPlaintextAuth a remote client sees AUTH and logs in without TLS", async () => {
    for (const port of [permissive.ports.submission!, permissive.ports.smtp!]) {
      const { client } = await SmtpTlsClient.connect(port, { localAddress: REMOTE });
      const ehlo = await client.ehlo();
      expect(ehlo).toContain("AUTH PLAIN LOGIN");
      expect(ehlo).toContain("STARTTLS");
      expect((await client.command(`AUTH PLAIN ${PLAIN}`)).code).toBe(235);
      await client.close();
    }
  });
});
