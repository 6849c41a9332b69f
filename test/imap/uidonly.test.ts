/**
 * UIDONLY (RFC 9586) over real sockets: after ENABLE UIDONLY no message number crosses the wire:
 * commands that take them are BAD [UIDREQUIRED], FETCH data comes as UIDFETCH, removals as VANISHED,
 * and a second session's changes reach this one the same way.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.imap!;
});

afterAll(async () => {
  await server.close();
});

async function uidOnly(address: string): Promise<ImapClient> {
  const client = await ImapClient.login(port, address);
  expect((await client.command("ENABLE UIDONLY")).untagged).toEqual(["ENABLED UIDONLY"]);
  return client;
}

describe("UIDONLY", () => {
  test("UIDONLY is advertised after login; ENABLE UIDONLY in the selected state is BAD", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    expect((await client.command("CAPABILITY")).untagged[0]).toContain(" UIDONLY");
    await client.command("SELECT INBOX");
    expect((await client.command("ENABLE UIDONLY")).status).toBe("BAD");
    await client.close();
  });

  test.each([
    ["FETCH 1 FLAGS"],
    ["STORE 1 +FLAGS (\\Seen)"],
    ["SEARCH ALL"],
    ["COPY 1 Archive"],
    ["MOVE 1 Archive"],
    ["UID SEARCH 1:2"],
    ["UID SEARCH OR UID 1 NOT 2"],
  ])("%s is BAD [UIDREQUIRED] and changes nothing", async (line) => {
    const address = await freshAccount(server, { messages: 2 });
    const client = await uidOnly(address);
    await client.command("SELECT INBOX");
    const r = await client.command(line);
    expect(r.status).toBe("BAD");
    expect(r.text).toStartWith("[UIDREQUIRED]");
    expect((await client.command("UID SEARCH ALL")).untagged).toEqual(["SEARCH 1 2"]);
    await client.close();
  });

  test("SELECT sends no UNSEEN code; UID FETCH answers UIDFETCH keyed by UID without a UID item", async () => {
    const address = await freshAccount(server, { messages: 3 });
    const client = await uidOnly(address);
    const selected = await client.command("SELECT INBOX");
    expect(selected.untagged.some((l) => l.includes("UNSEEN"))).toBe(false);
    const r = await client.command("UID FETCH 2:3 (FLAGS RFC822.SIZE)");
    expect(r.untagged).toEqual([
      "2 UIDFETCH (FLAGS () RFC822.SIZE 23)",
      "3 UIDFETCH (FLAGS () RFC822.SIZE 23)",
    ]);
    await client.close();
  });

  test("UID STORE answers UIDFETCH; UID EXPUNGE and UID MOVE report VANISHED, never EXPUNGE", async () => {
    const address = await freshAccount(server, { messages: 3 });
    const client = await uidOnly(address);
    await client.command("SELECT INBOX");
    expect((await client.command("UID STORE 1 +FLAGS (\\Deleted)")).untagged).toEqual([
      "1 UIDFETCH (FLAGS (\\Deleted))",
    ]);
    expect((await client.command("UID EXPUNGE 1")).untagged).toEqual(["VANISHED 1"]);
    const moved = await client.command("UID MOVE 3 Archive");
    expect(moved.untagged.filter((l) => !l.startsWith("OK [COPYUID"))).toEqual(["VANISHED 3"]);
    await client.close();
  });

  test("another session's flag change and expunge reach a UIDONLY session as UIDFETCH and VANISHED", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const client = await uidOnly(address);
    await client.command("SELECT INBOX");
    const other = await ImapClient.login(port, address);
    await other.command("SELECT INBOX");
    await other.command("STORE 2 +FLAGS (\\Flagged)");
    await other.command("STORE 1 +FLAGS.SILENT (\\Deleted)");
    await other.command("EXPUNGE");
    await other.close();
    const r = await client.command("NOOP");
    expect(r.untagged).toEqual(["VANISHED 1", "2 UIDFETCH (FLAGS (\\Flagged))"]);
    await client.close();
  });

  test("UIDONLY with IMAP4rev2: UID SEARCH answers ESEARCH UID", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const client = await uidOnly(address);
    await client.command("ENABLE IMAP4rev2");
    await client.command("SELECT INBOX");
    expect((await client.command("UID SEARCH ALL", "S1")).untagged).toEqual([
      'ESEARCH (TAG "S1") UID ALL 1:2',
    ]);
    await client.close();
  });
});
