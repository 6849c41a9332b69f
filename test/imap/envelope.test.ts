/**
 * FETCH ENVELOPE (RFC 3501 §7.4.2) for address forms beyond the usual: the obsolete source route of
 * RFC 5322 §4.4 goes into the address's adl field. Envelopes stored before the route was kept
 * have NIL there (the parse at delivery is not repeated).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let client: ImapClient;

beforeAll(async () => {
  server = await startTestServer();
  const address = await freshAccount(server);
  client = await ImapClient.login(server.ports.imap!, address);
  const message =
    "From: <@route:user@domain>\r\nTo: Joe <@relay1,@relay2:joe@example.org>, plain@example.org\r\nSubject: routes\r\n\r\n.\r\n";
  expect((await client.append("INBOX", message)).status).toBe("OK");
  expect((await client.command("SELECT INBOX")).status).toBe("OK");
});

afterAll(async () => {
  await client.close();
  await server.close();
});

describe("ENVELOPE addresses", () => {
  test('a source route goes into the adl field: (NIL "@route" "user" "domain")', async () => {
    const r = await client.command("FETCH 1 ENVELOPE");
    expect(r.status).toBe("OK");
    expect(r.untagged[0]).toContain('((NIL "@route" "user" "domain"))');
    expect(r.untagged[0]).toContain(
      '(("Joe" "@relay1,@relay2" "joe" "example.org")(NIL NIL "plain" "example.org"))',
    );
  });
});
