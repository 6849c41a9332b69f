/**
 * CONDSTORE turned on by use (RFC 7162 §3.1): the first CONDSTORE-enabling command issued while a
 * mailbox is selected is answered with `OK [HIGHESTMODSEQ n]` for that mailbox before its tagged
 * OK; after that, no more of them until the next SELECT, which sends its own. Real sockets.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accountGet, mailboxGet } from "../../src/store/mod.ts";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

async function highestModseq(address: string): Promise<number> {
  const account = await accountGet(server.store.read, address);
  return (await mailboxGet(server.store.read, account.id, "INBOX")).highestModseq;
}

const ENABLING = [
  "FETCH 1 (MODSEQ)",
  "FETCH 1 (FLAGS) (CHANGEDSINCE 1)",
  "UID FETCH 1 (FLAGS) (CHANGEDSINCE 1)",
  "SEARCH MODSEQ 1",
  "UID SEARCH MODSEQ 1",
  "STORE 1 (UNCHANGEDSINCE 100) +FLAGS.SILENT (\\Flagged)",
  "STATUS INBOX (HIGHESTMODSEQ)",
  "ENABLE CONDSTORE",
  'LIST "" "INBOX" RETURN (STATUS (HIGHESTMODSEQ))',
];

describe("the first CONDSTORE-enabling command in a selected mailbox (RFC 7162 §3.1)", () => {
  test.each(ENABLING)(
    "%s is followed by OK [HIGHESTMODSEQ n] before its tagged OK, once",
    async (command) => {
      const address = await freshAccount(server, { messages: 2 });
      const client = await ImapClient.login(server.ports.imap!, address);
      expect((await client.command("SELECT INBOX")).status).toBe("OK");
      const r = await client.command(command);
      expect(r.status).toBe("OK");
      expect(r.untagged[r.untagged.length - 1]).toBe(
        `OK [HIGHESTMODSEQ ${await highestModseq(address)}] Highest`,
      );
      const again = await client.command(command);
      expect(again.untagged.some((l) => l.includes("HIGHESTMODSEQ") && l.startsWith("OK"))).toBe(false);
      await client.close();
    },
  );

  test("after SELECT (CONDSTORE) no second report follows the enabling commands", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const client = await ImapClient.login(server.ports.imap!, address);
    const select = await client.command("SELECT INBOX (CONDSTORE)");
    expect(select.untagged.filter((l) => l.startsWith("OK [HIGHESTMODSEQ"))).toHaveLength(1);
    const r = await client.command("FETCH 1 (MODSEQ)");
    expect(r.untagged).toEqual([`1 FETCH (MODSEQ (${await highestModseq(address)}))`]);
    await client.close();
  });

  test("enabled before SELECT: SELECT's own HIGHESTMODSEQ is the report", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const client = await ImapClient.login(server.ports.imap!, address);
    expect((await client.command("ENABLE CONDSTORE")).untagged).toEqual(["ENABLED CONDSTORE"]);
    await client.command("SELECT INBOX");
    const r = await client.command("FETCH 1 (MODSEQ)");
    expect(r.untagged.filter((l) => l.startsWith("OK"))).toEqual([]);
    await client.close();
  });
});
