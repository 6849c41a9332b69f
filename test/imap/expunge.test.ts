/** EXPUNGE and UID EXPUNGE over real sockets: what is removed, the order of the responses, QRESYNC. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accountGet, mailboxGet } from "../../src/store/mod.ts";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.imap!;
});

afterAll(async () => {
  await server.close();
});

async function selectedClient(address: string, select = "SELECT INBOX"): Promise<ImapClient> {
  const client = await ImapClient.login(port, address);
  const r = await client.command(select);
  expect(r.status).toBe("OK");
  return client;
}

const storedUids = async (address: string) => (await mailboxContents(server, address)).map((m) => m.uid);

describe("EXPUNGE", () => {
  test("EXPUNGE removes every \\Deleted message and reports EXPUNGE highest sequence number first", async () => {
    const address = await freshAccount(server, { messages: 5, deleted: [2, 4, 5] });
    const client = await selectedClient(address);
    const r = await client.command("EXPUNGE");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual(["5 EXPUNGE", "4 EXPUNGE", "2 EXPUNGE"]);
    expect(await storedUids(address)).toEqual([1, 3]);
    // Sequence numbers now follow the new view: message 2 is UID 3.
    expect((await client.command("STORE 2 +FLAGS (\\Seen)")).untagged).toEqual([
      "2 FETCH (FLAGS (\\Seen \\Recent))",
    ]);
    expect((await mailboxContents(server, address)).find((m) => m.uid === 3)?.flags).toBe(1);
    await client.close();
  });

  test("EXPUNGE removes messages flagged \\Deleted by STORE in the same session", async () => {
    const address = await freshAccount(server, { messages: 3 });
    const client = await selectedClient(address);
    await client.command("STORE 1,3 +FLAGS.SILENT (\\Deleted)");
    expect((await client.command("EXPUNGE")).untagged).toEqual(["3 EXPUNGE", "1 EXPUNGE"]);
    expect(await storedUids(address)).toEqual([2]);
    await client.close();
  });

  test("EXPUNGE with nothing \\Deleted says OK and reports nothing", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const client = await selectedClient(address);
    const r = await client.command("EXPUNGE");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual([]);
    expect(await storedUids(address)).toEqual([1, 2]);
    await client.close();
  });

  test("EXPUNGE in a mailbox opened with EXAMINE is NO [READ-ONLY] and removes nothing", async () => {
    const address = await freshAccount(server, { messages: 2, deleted: [1] });
    const client = await selectedClient(address, "EXAMINE INBOX");
    const r = await client.command("EXPUNGE");
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[READ-ONLY]");
    expect(await storedUids(address)).toEqual([1, 2]);
    await client.close();
  });

  test("EXPUNGE with an argument is BAD", async () => {
    const address = await freshAccount(server, { messages: 1, deleted: [1] });
    const client = await selectedClient(address);
    expect((await client.command("EXPUNGE 1")).status).toBe("BAD");
    expect(await storedUids(address)).toEqual([1]);
    await client.close();
  });

  test("EXPUNGE with QRESYNC reports VANISHED and the new HIGHESTMODSEQ", async () => {
    const address = await freshAccount(server, { messages: 4, deleted: [2, 3] });
    const client = await ImapClient.login(port, address);
    await client.command("ENABLE QRESYNC");
    await client.command("SELECT INBOX");
    const r = await client.command("EXPUNGE");
    expect(r.untagged).toEqual(["VANISHED 2:3"]);
    const account = await accountGet(server.store.read, address);
    const inbox = await mailboxGet(server.store.read, account.id, "INBOX");
    expect(r.text).toBe(`[HIGHESTMODSEQ ${inbox.highestModseq}] EXPUNGE completed`);
    await client.close();
  });

  test("EXPUNGE frees the removed messages' bytes from the account", async () => {
    const address = await freshAccount(server, { messages: 2, deleted: [1] });
    const before = (await accountGet(server.store.read, address)).usedBytes;
    const client = await selectedClient(address);
    await client.command("EXPUNGE");
    const after = (await accountGet(server.store.read, address)).usedBytes;
    expect(before - after).toBe("Subject: m1\r\n\r\nbody 1\r\n".length);
    await client.close();
  });
});

describe("UID EXPUNGE", () => {
  test("UID EXPUNGE removes only the \\Deleted messages in its set", async () => {
    const address = await freshAccount(server, { messages: 5, deleted: [1, 2, 3, 5] });
    const client = await selectedClient(address);
    const r = await client.command("UID EXPUNGE 2:4");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual(["3 EXPUNGE", "2 EXPUNGE"]);
    expect(await storedUids(address)).toEqual([1, 4, 5]);
    await client.close();
  });

  test("UID EXPUNGE with * reaches the highest UID", async () => {
    const address = await freshAccount(server, { messages: 3, deleted: [1, 3] });
    const client = await selectedClient(address);
    expect((await client.command("UID EXPUNGE 2:*")).untagged).toEqual(["3 EXPUNGE"]);
    expect(await storedUids(address)).toEqual([1, 2]);
    await client.close();
  });

  test("UID EXPUNGE of UIDs without \\Deleted removes nothing", async () => {
    const address = await freshAccount(server, { messages: 3, deleted: [1] });
    const client = await selectedClient(address);
    const r = await client.command("UID EXPUNGE 2:3,9");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual([]);
    expect(await storedUids(address)).toEqual([1, 2, 3]);
    await client.close();
  });

  for (const command of [
    "UID EXPUNGE",
    "UID EXPUNGE 0",
    "UID EXPUNGE x",
    "UID EXPUNGE 1 2",
    "UID EXPUNGE 1:$",
  ]) {
    test(`UID EXPUNGE syntax errors are BAD and remove nothing: ${JSON.stringify(command)}`, async () => {
      const address = await freshAccount(server, { messages: 2, deleted: [1, 2] });
      const client = await selectedClient(address);
      expect((await client.command(command)).status).toBe("BAD");
      expect(await storedUids(address)).toEqual([1, 2]);
      await client.close();
    });
  }

  test("UID EXPUNGE in a mailbox opened with EXAMINE is NO [READ-ONLY]", async () => {
    const address = await freshAccount(server, { messages: 1, deleted: [1] });
    const client = await selectedClient(address, "EXAMINE INBOX");
    const r = await client.command("UID EXPUNGE 1");
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[READ-ONLY]");
    await client.close();
  });
});
