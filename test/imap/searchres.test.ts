/**
 * SEARCHRES (RFC 5182): SEARCH ... RETURN (SAVE) keeps its result for "$", which FETCH, STORE,
 * COPY, MOVE, UID EXPUNGE and SEARCH itself accept as a sequence set (UIDs or sequence numbers as
 * the command's form wants); "$" is empty after SELECT, loses expunged messages, is emptied by a
 * SAVE search that fails with NO and left alone by one that is BAD. Real sockets.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
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

async function ok(client: ImapClient, command: string): Promise<string[]> {
  const r = await client.command(command);
  expect({ command, status: r.status, text: r.text }).toEqual({ command, status: "OK", text: r.text });
  return r.untagged;
}

/**
 * Five messages in INBOX, UID 1 expunged first so that UIDs (2..6) and sequence numbers (1..5)
 * differ; 2 and 4 (UIDs 3 and 5) \Flagged. None \Recent, so FLAGS show stored flags only.
 */
async function session(mailboxes: string[] = []): Promise<ImapClient> {
  const address = await freshAccount(server, { messages: 6, deleted: [1], mailboxes, recentTaken: true });
  const client = await ImapClient.login(server.ports.imap!, address);
  await ok(client, "SELECT INBOX");
  await ok(client, "EXPUNGE");
  await ok(client, "STORE 2,4 +FLAGS.SILENT (\\Flagged)");
  return client;
}

const uidsOf = (lines: string[]) =>
  lines.filter((l) => / FETCH /.test(l)).map((l) => Number(/UID (\d+)/.exec(l)![1]));

describe("capability", () => {
  test("SEARCHRES is advertised once logged in", async () => {
    const { client, greeting } = await ImapClient.connect(server.ports.imap!);
    expect(greeting).not.toContain("SEARCHRES");
    await client.close();
    const c = await session();
    expect((await ok(c, "CAPABILITY"))[0]).toContain(" SEARCHRES");
    await c.close();
  });
});

describe("SEARCH RETURN (SAVE) and $ (RFC 5182 §2)", () => {
  test("RETURN (SAVE) alone answers no SEARCH or ESEARCH; FETCH $ fetches the result", async () => {
    const c = await session();
    expect(await ok(c, "SEARCH RETURN (SAVE) FLAGGED")).toEqual([]);
    expect(await ok(c, "FETCH $ (UID)")).toEqual(["2 FETCH (UID 3)", "4 FETCH (UID 5)"]);
    expect(await ok(c, "UID FETCH $ (FLAGS)")).toEqual([
      "2 FETCH (UID 3 FLAGS (\\Flagged))",
      "4 FETCH (UID 5 FLAGS (\\Flagged))",
    ]);
    await c.close();
  });

  test("a UID SEARCH saves the same messages, used by sequence number or UID alike", async () => {
    const c = await session();
    expect(await ok(c, "UID SEARCH RETURN (SAVE) UNFLAGGED")).toEqual([]);
    expect(uidsOf(await ok(c, "FETCH $ (UID)"))).toEqual([2, 4, 6]);
    expect(await ok(c, "SEARCH $")).toEqual(["SEARCH 1 3 5"]);
    expect(await ok(c, "UID SEARCH UID $")).toEqual(["SEARCH 2 4 6"]);
    expect(await ok(c, "SEARCH OR $ FLAGGED")).toEqual(["SEARCH 1 2 3 4 5"]);
    await c.close();
  });

  test("SAVE with other options answers ESEARCH; with MIN or MAX alone only those are saved", async () => {
    const c = await session();
    const r = await c.command("SEARCH RETURN (SAVE MIN MAX) ALL", "S1");
    expect(r.untagged).toEqual(['ESEARCH (TAG "S1") MIN 1 MAX 5']);
    expect(uidsOf(await ok(c, "FETCH $ (UID)"))).toEqual([2, 6]);
    const all = await c.command("SEARCH RETURN (SAVE MIN COUNT) ALL", "S2");
    expect(all.untagged).toEqual(['ESEARCH (TAG "S2") MIN 1 COUNT 5']);
    expect(uidsOf(await ok(c, "FETCH $ (UID)"))).toEqual([2, 3, 4, 5, 6]);
    await c.close();
  });

  test("STORE, COPY and MOVE take $", async () => {
    const c = await session(["Kept", "Moved"]);
    await ok(c, "SEARCH RETURN (SAVE) FLAGGED");
    expect(await ok(c, "STORE $ +FLAGS (\\Seen)")).toEqual([
      "2 FETCH (FLAGS (\\Seen \\Flagged))",
      "4 FETCH (FLAGS (\\Seen \\Flagged))",
    ]);
    const copied = await c.command("UID COPY $ Kept");
    expect(copied.text).toMatch(/^\[COPYUID \d+ 3,5 1:2\]/);
    const moved = await c.command("MOVE $ Moved");
    expect(moved.status).toBe("OK");
    expect(moved.untagged).toEqual([
      expect.stringMatching(/^OK \[COPYUID \d+ 3,5 1:2\]/),
      "4 EXPUNGE",
      "2 EXPUNGE",
    ]);
    // The moved messages left the mailbox, and so left $.
    expect(await ok(c, "FETCH $ (UID)")).toEqual([]);
    await c.close();
  });

  test("UID EXPUNGE $ removes the saved messages that are \\Deleted", async () => {
    const c = await session();
    await ok(c, "STORE 1:3 +FLAGS.SILENT (\\Deleted)");
    await ok(c, "UID SEARCH RETURN (SAVE) UID 3:6");
    expect(await ok(c, "UID EXPUNGE $")).toEqual(["3 EXPUNGE", "2 EXPUNGE"]);
    expect(uidsOf(await ok(c, "UID FETCH 1:* (UID)"))).toEqual([2, 5, 6]);
    expect(uidsOf(await ok(c, "UID FETCH $ (UID)"))).toEqual([5, 6]);
    await c.close();
  });

  test("$ in the SEARCH that saves refers to the result saved before", async () => {
    const c = await session();
    await ok(c, "SEARCH RETURN (SAVE) FLAGGED");
    expect(await ok(c, "SEARCH RETURN (SAVE) NOT $")).toEqual([]);
    expect(await ok(c, "SEARCH $")).toEqual(["SEARCH 1 3 5"]);
    await c.close();
  });

  test("a SEARCH without SAVE leaves $ as it was", async () => {
    const c = await session();
    await ok(c, "SEARCH RETURN (SAVE) FLAGGED");
    await ok(c, "SEARCH UNFLAGGED");
    await ok(c, "SEARCH RETURN (COUNT) UNFLAGGED");
    expect(await ok(c, "SEARCH $")).toEqual(["SEARCH 2 4"]);
    await c.close();
  });
});

describe("the saved result's life (RFC 5182 §2.1)", () => {
  test("$ is empty after SELECT: FETCH $ is OK and returns nothing", async () => {
    const c = await session();
    expect(await ok(c, "FETCH $ (UID)")).toEqual([]);
    await ok(c, "SEARCH RETURN (SAVE) ALL");
    await ok(c, "SELECT INBOX");
    expect(await ok(c, "FETCH $ (UID)")).toEqual([]);
    expect(await ok(c, "SEARCH $")).toEqual(["SEARCH"]);
    await c.close();
  });

  test("a message expunged by another session leaves $ once the expunge is reported", async () => {
    const address = await freshAccount(server, { messages: 3, recentTaken: true });
    const c = await ImapClient.login(server.ports.imap!, address);
    const other = await ImapClient.login(server.ports.imap!, address);
    await ok(c, "SELECT INBOX");
    await ok(other, "SELECT INBOX");
    await ok(c, "SEARCH RETURN (SAVE) ALL");
    await ok(other, "STORE 2 +FLAGS.SILENT (\\Deleted)");
    await ok(other, "EXPUNGE");
    expect(await ok(c, "UID FETCH $ (UID)")).toEqual(["1 FETCH (UID 1)", "3 FETCH (UID 3)", "2 EXPUNGE"]);
    expect(await ok(c, "FETCH $ (UID)")).toEqual(["1 FETCH (UID 1)", "2 FETCH (UID 3)"]);
    await Promise.all([c.close(), other.close()]);
  });

  test("a SAVE search answered NO empties $; one answered BAD leaves it", async () => {
    const c = await session();
    await ok(c, "SEARCH RETURN (SAVE) FLAGGED");
    expect((await c.command("SEARCH RETURN (SAVE) FROBNICATE")).status).toBe("BAD");
    expect(await ok(c, "SEARCH $")).toEqual(["SEARCH 2 4"]);
    const no = await c.command("SEARCH RETURN (SAVE) CHARSET KOI8-R ALL");
    expect(no.status).toBe("NO");
    expect(no.text).toStartWith("[BADCHARSET");
    expect(await ok(c, "SEARCH $")).toEqual(["SEARCH"]);
    await c.close();
  });
});

describe("bad uses of $ are BAD", () => {
  const bad = [
    "FETCH $,1 (UID)",
    "FETCH 1:$ (UID)",
    "FETCH $$ (UID)",
    "SEARCH $:1",
    "UID SEARCH UID 1,$",
    "SEARCH RETURN (SAVE ALL",
    "SEARCH RETURN (SAVE FROB) ALL",
  ];
  test.each(bad)("%s is BAD and the session goes on", async (command) => {
    const c = await session();
    expect((await c.command(command)).status).toBe("BAD");
    expect((await c.command("NOOP")).status).toBe("OK");
    await c.close();
  });
});
