/**
 * APPENDLIMIT (RFC 7889) over real sockets: the capability carries the message size limit, STATUS
 * and LIST-STATUS report it per mailbox, and APPEND beyond it is NO [TOOBIG] before a byte is sent.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
const LIMIT = 5000;

beforeAll(async () => {
  server = await startTestServer({ maxMessageSize: LIMIT });
});

afterAll(async () => {
  await server.close();
});

describe("APPENDLIMIT", () => {
  test("CAPABILITY after login says APPENDLIMIT=<the message size limit>", async () => {
    const { client, greeting } = await ImapClient.connect(server.ports.imap!);
    expect(greeting).not.toContain("APPENDLIMIT");
    const login = await client.command(`LOGIN "${await freshAccount(server)}" "secret"`);
    expect(login.text).toContain(` APPENDLIMIT=${LIMIT} `);
    await client.close();
  });

  test("STATUS and LIST-STATUS report APPENDLIMIT for each mailbox", async () => {
    const client = await ImapClient.login(server.ports.imap!, await freshAccount(server));
    expect((await client.command("STATUS INBOX (APPENDLIMIT MESSAGES)")).untagged).toEqual([
      `STATUS INBOX (APPENDLIMIT ${LIMIT} MESSAGES 0)`,
    ]);
    const listed = await client.command('LIST "" "Sent" RETURN (STATUS (APPENDLIMIT))');
    expect(listed.untagged).toContain(`STATUS Sent (APPENDLIMIT ${LIMIT})`);
    await client.close();
  });

  test("APPEND of a literal over the limit is NO [TOOBIG] without a continuation", async () => {
    const client = await ImapClient.login(server.ports.imap!, await freshAccount(server));
    const r = await client.append("INBOX", Buffer.alloc(LIMIT + 1, 0x61));
    expect(r.status).toBe("NO");
    expect(r.text).toContain("[TOOBIG]");
    await client.close();
  });
});
