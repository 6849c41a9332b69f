/**
 * Passwords only over TLS or from a trusted network (RFC 8314 §5.4, RFC 2595 §2.1): the test server
 * trusts 127.0.0.1 alone, so a client bound to 127.0.0.2 is a remote client. IMAP then advertises
 * LOGINDISABLED and answers LOGIN/AUTHENTICATE with NO [PRIVACYREQUIRED]; POP3 hides USER and SASL
 * and answers USER/PASS/AUTH with -ERR [AUTH]; after STARTTLS/STLS both work, and with
 * MAILROOM_ALLOW_PLAINTEXT_AUTH they work without TLS.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ImapClient } from "../harness/imap-client.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import type { TestServer } from "../harness/server.ts";
import { REMOTE, startTlsServer, trusting } from "./fixtures.ts";

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

const PLAIN = Buffer.from("\0alice@example.com\0secret").toString("base64");

describe("IMAP from a remote address without TLS", () => {
  test("the greeting has LOGINDISABLED and STARTTLS and no AUTH= mechanisms", async () => {
    const { client, greeting } = await ImapClient.connect(server.ports.imap!, "127.0.0.1", {
      localAddress: REMOTE,
    });
    expect(greeting).toContain(" LOGINDISABLED");
    expect(greeting).toContain(" STARTTLS");
    expect(greeting).not.toContain("AUTH=");
    await client.close();
  });

  test("LOGIN and AUTHENTICATE are NO [PRIVACYREQUIRED], even with the right password", async () => {
    const { client } = await ImapClient.connect(server.ports.imap!, "127.0.0.1", { localAddress: REMOTE });
    const login = await client.command('LOGIN "alice@example.com" "secret"');
    expect(login.status).toBe("NO");
    expect(login.text).toStartWith("[PRIVACYREQUIRED]");
    const auth = await client.command(`AUTHENTICATE PLAIN ${PLAIN}`);
    expect(auth.status).toBe("NO");
    expect(auth.text).toStartWith("[PRIVACYREQUIRED]");
    await client.close();
  });

  test("after STARTTLS the capabilities lose LOGINDISABLED, gain AUTH=PLAIN, and LOGIN works", async () => {
    const { client } = await ImapClient.connect(server.ports.imap!, "127.0.0.1", { localAddress: REMOTE });
    expect((await client.command("STARTTLS")).status).toBe("OK");
    await client.startTls(trusting(server));
    const caps = (await client.command("CAPABILITY")).untagged[0]!;
    expect(caps).not.toContain("LOGINDISABLED");
    expect(caps).toContain("AUTH=PLAIN");
    expect((await client.command('LOGIN "alice@example.com" "secret"')).status).toBe("OK");
    await client.close();
  });

  test("AUTHENTICATE PLAIN works after STARTTLS", async () => {
    const { client } = await ImapClient.connect(server.ports.imap!, "127.0.0.1", { localAddress: REMOTE });
    await client.command("STARTTLS");
    await client.startTls(trusting(server));
    expect((await client.command(`AUTHENTICATE PLAIN ${PLAIN}`)).status).toBe("OK");
    await client.close();
  });

  test("over IMAPS LOGIN works at once", async () => {
    const { client, greeting } = await ImapClient.connect(server.ports.imaps!, "127.0.0.1", {
      localAddress: REMOTE,
      tls: trusting(server),
    });
    expect(greeting).not.toContain("LOGINDISABLED");
    expect((await client.command('LOGIN "alice@example.com" "secret"')).status).toBe("OK");
    await client.close();
  });

  test("from a trusted address (127.0.0.1) LOGIN works without TLS", async () => {
    const { client, greeting } = await ImapClient.connect(server.ports.imap!);
    expect(greeting).not.toContain("LOGINDISABLED");
    expect(greeting).toContain("AUTH=PLAIN");
    expect((await client.command('LOGIN "alice@example.com" "secret"')).status).toBe("OK");
    await client.close();
  });

  test("with allowPlaintextAuth a remote client logs in without TLS", async () => {
    const { client, greeting } = await ImapClient.connect(permissive.ports.imap!, "127.0.0.1", {
      localAddress: REMOTE,
    });
    expect(greeting).not.toContain("LOGINDISABLED");
    expect(greeting).toContain("STARTTLS");
    expect((await client.command('LOGIN "alice@example.com" "secret"')).status).toBe("OK");
    await client.close();
  });
});

describe("POP3 from a remote address without TLS", () => {
  test("CAPA lists STLS but neither USER nor SASL", async () => {
    const { client } = await Pop3Client.connect(server.ports.pop3!, "127.0.0.1", { localAddress: REMOTE });
    const capa = await client.multi("CAPA");
    expect(capa.lines).toContain("STLS");
    expect(capa.lines).not.toContain("USER");
    expect(capa.lines.some((l) => l.startsWith("SASL"))).toBe(false);
    await client.quit();
  });

  test("USER, PASS and AUTH are -ERR [AUTH] pointing to STLS", async () => {
    const { client } = await Pop3Client.connect(server.ports.pop3!, "127.0.0.1", { localAddress: REMOTE });
    for (const line of ["USER alice@example.com", "PASS secret", `AUTH PLAIN ${PLAIN}`, "AUTH"]) {
      const r = await client.command(line);
      expect(r.ok).toBe(false);
      expect(r.code).toBe("AUTH");
      expect(r.text).toContain("STLS");
    }
    await client.quit();
  });

  test("after STLS, CAPA lists USER and SASL, and USER/PASS log in", async () => {
    const { client } = await Pop3Client.connect(server.ports.pop3!, "127.0.0.1", { localAddress: REMOTE });
    expect((await client.command("STLS")).ok).toBe(true);
    await client.startTls(trusting(server));
    const capa = await client.multi("CAPA");
    expect(capa.lines).toContain("USER");
    expect(capa.lines).toContain("SASL PLAIN LOGIN");
    expect((await client.command("USER alice@example.com")).ok).toBe(true);
    expect((await client.command("PASS secret")).ok).toBe(true);
    await client.quit();
  });

  test("AUTH PLAIN works after STLS", async () => {
    const { client } = await Pop3Client.connect(server.ports.pop3!, "127.0.0.1", { localAddress: REMOTE });
    await client.command("STLS");
    await client.startTls(trusting(server));
    expect((await client.command(`AUTH PLAIN ${PLAIN}`)).ok).toBe(true);
    await client.quit();
  });

  test("over POP3S USER/PASS work at once", async () => {
    const { client } = await Pop3Client.connect(server.ports.pop3s!, "127.0.0.1", {
      localAddress: REMOTE,
      tls: trusting(server),
    });
    expect((await client.multi("CAPA")).lines).toContain("USER");
    expect((await client.command("USER alice@example.com")).ok).toBe(true);
    expect((await client.command("PASS secret")).ok).toBe(true);
    await client.quit();
  });

  test("with allowPlaintextAuth a remote client logs in without TLS", async () => {
    const { client } = await Pop3Client.connect(permissive.ports.pop3!, "127.0.0.1", {
      localAddress: REMOTE,
    });
    const capa = await client.multi("CAPA");
    expect(capa.lines).toContain("USER");
    expect(capa.lines).toContain("STLS");
    expect((await client.command("USER alice@example.com")).ok).toBe(true);
    expect((await client.command("PASS secret")).ok).toBe(true);
    await client.quit();
  });
});
