/**
 * LITERAL- (RFC 7888 §5) over real sockets: advertised instead of LITERAL+ when the operator says
 * so (never both), non-synchronizing literals up to 4096 octets taken, larger ones BAD [TOOBIG].
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer({ imapLiteral: "minus" });
  port = server.ports.imap!;
});

afterAll(async () => {
  await server.close();
});

async function appendPlus(client: ImapClient, message: Buffer) {
  const tag = client.nextTag();
  client.write(
    Buffer.concat([
      Buffer.from(`${tag} APPEND INBOX {${message.length}+}\r\n`),
      message,
      Buffer.from("\r\n"),
    ]),
  );
  return client.readUntilTagged(tag);
}

describe("LITERAL-", () => {
  test("LITERAL- is advertised and LITERAL+ is not", async () => {
    const { client, greeting } = await ImapClient.connect(port);
    expect(greeting).toContain(" LITERAL- ");
    expect(greeting).not.toContain("LITERAL+");
    await client.close();
  });

  test("a non-synchronizing literal of 4096 octets is taken", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    const message = Buffer.from(`Subject: s\r\n\r\n${"x".repeat(4096 - 16)}\r\n`);
    expect(message.length).toBe(4096);
    expect((await appendPlus(client, message)).status).toBe("OK");
    await client.close();
  });

  test("a larger non-synchronizing APPEND literal is BAD [TOOBIG] and the session goes on", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    const message = Buffer.from(`Subject: s\r\n\r\n${"x".repeat(4097 - 16)}\r\n`);
    const r = await appendPlus(client, message);
    expect(r.status).toBe("BAD");
    expect(r.text).toStartWith("[TOOBIG]");
    expect((await client.command("NOOP")).status).toBe("OK");
    // The same message as a synchronizing literal is fine.
    expect((await client.append("INBOX", message)).status).toBe("OK");
    await client.close();
  });
});
