/**
 * Where the merged extensions meet, over real sockets: IMAP4rev2 has no \Recent (RFC 9051 §1.4,
 * Appendix E item 6: no flag, no RECENT response, no STATUS RECENT, no RECENT/NEW/OLD keys) while
 * IMAP4rev1 sessions on the same mailbox keep it; SEARCHRES's SAVE and "$" (RFC 5182) under rev2's
 * ESEARCH-by-default answers (RFC 9051 §6.4.4.1); and SEARCHRES in a UIDONLY session (RFC 9586).
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

async function enabled(address: string, what: string): Promise<ImapClient> {
  const client = await ImapClient.login(port, address);
  expect((await client.command(`ENABLE ${what}`)).status).toBe("OK");
  return client;
}

async function ok(client: ImapClient, command: string, tag?: string): Promise<string[]> {
  const r = await client.command(command, tag);
  expect({ command, status: r.status, text: r.text }).toEqual({ command, status: "OK", text: r.text });
  return r.untagged;
}

describe("IMAP4rev2 has no \\Recent", () => {
  test("FETCH FLAGS, SELECT and an arrival while selected say nothing of \\Recent", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const client = await enabled(address, "IMAP4rev2");
    const selected = await ok(client, "SELECT INBOX");
    expect(selected.some((l) => /RECENT/.test(l))).toBe(false);
    expect(await ok(client, "FETCH 1:* (FLAGS)")).toEqual(["1 FETCH (FLAGS ())", "2 FETCH (FLAGS ())"]);
    const other = await ImapClient.login(port, address);
    await ok(other, "APPEND INBOX {5}\r\nx\r\n\r\n");
    await other.close();
    expect(await ok(client, "NOOP")).toEqual(["3 EXISTS"]);
    expect(await ok(client, "FETCH 3 (FLAGS)")).toEqual(["3 FETCH (FLAGS ())"]);
    await client.close();
  });

  test("a rev2 session takes no \\Recent: the next IMAP4rev1 session still finds the messages recent", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const rev2 = await enabled(address, "IMAP4rev2");
    await ok(rev2, "SELECT INBOX");
    await rev2.close();
    const rev1 = await ImapClient.login(port, address);
    expect(await ok(rev1, "SELECT INBOX")).toContain("2 RECENT");
    expect(await ok(rev1, "FETCH 1 (FLAGS)")).toEqual(["1 FETCH (FLAGS (\\Recent))"]);
    await rev1.close();
  });

  test("STATUS (RECENT) and LIST RETURN (STATUS (RECENT)) are BAD; the other items still answer", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const client = await enabled(address, "IMAP4rev2");
    expect((await client.command("STATUS INBOX (MESSAGES RECENT)")).status).toBe("BAD");
    expect((await client.command('LIST "" INBOX RETURN (STATUS (RECENT))')).status).toBe("BAD");
    expect(await ok(client, "STATUS INBOX (MESSAGES UNSEEN)")).toEqual([
      "STATUS INBOX (MESSAGES 1 UNSEEN 1)",
    ]);
    await client.close();
  });

  test("a rev1 session still gets STATUS RECENT", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const client = await ImapClient.login(port, address);
    expect(await ok(client, "STATUS INBOX (RECENT)")).toEqual(["STATUS INBOX (RECENT 1)"]);
    await client.close();
  });

  test.each([["SEARCH RECENT"], ["SEARCH NEW"], ["SEARCH OLD"], ["UID SEARCH NOT RECENT"]])(
    "%s is BAD under IMAP4rev2",
    async (line) => {
      const address = await freshAccount(server, { messages: 1 });
      const client = await enabled(address, "IMAP4rev2");
      await ok(client, "SELECT INBOX");
      expect((await client.command(line)).status).toBe("BAD");
      await client.close();
    },
  );
});

describe("SEARCHRES under IMAP4rev2 (RFC 9051 §6.4.4.1)", () => {
  async function rev2Session(): Promise<ImapClient> {
    const address = await freshAccount(server, { messages: 5 });
    const client = await enabled(address, "IMAP4rev2");
    await ok(client, "SELECT INBOX");
    await ok(client, "STORE 2,4 +FLAGS.SILENT (\\Flagged)");
    return client;
  }

  test("RETURN (SAVE) alone answers nothing; SEARCH $ answers ESEARCH ALL with the saved messages", async () => {
    const client = await rev2Session();
    expect(await ok(client, "SEARCH RETURN (SAVE) FLAGGED")).toEqual([]);
    expect(await ok(client, "SEARCH $", "T1")).toEqual(['ESEARCH (TAG "T1") ALL 2,4']);
    expect(await ok(client, "UID SEARCH $", "T2")).toEqual(['ESEARCH (TAG "T2") UID ALL 2,4']);
    expect(await ok(client, "FETCH $ (FLAGS)")).toEqual([
      "2 FETCH (FLAGS (\\Flagged))",
      "4 FETCH (FLAGS (\\Flagged))",
    ]);
    await client.close();
  });

  test("SAVE with COUNT answers ESEARCH COUNT and still saves every match", async () => {
    const client = await rev2Session();
    expect(await ok(client, "SEARCH RETURN (SAVE COUNT) UNFLAGGED", "C")).toEqual([
      'ESEARCH (TAG "C") COUNT 3',
    ]);
    expect(await ok(client, "SEARCH $", "D")).toEqual(['ESEARCH (TAG "D") ALL 1,3,5']);
    await client.close();
  });

  test("a plain SEARCH (ESEARCH by default) does not touch $", async () => {
    const client = await rev2Session();
    await ok(client, "SEARCH RETURN (SAVE) FLAGGED");
    expect(await ok(client, "SEARCH ALL", "A")).toEqual(['ESEARCH (TAG "A") ALL 1:5']);
    expect(await ok(client, "SEARCH $", "B")).toEqual(['ESEARCH (TAG "B") ALL 2,4']);
    await client.close();
  });

  test("an empty saved result: SEARCH $ is a bare ESEARCH", async () => {
    const client = await rev2Session();
    await ok(client, "SEARCH RETURN (SAVE) KEYWORD nothere");
    expect(await ok(client, "SEARCH $", "E")).toEqual(['ESEARCH (TAG "E")']);
    await client.close();
  });
});

describe("SEARCHRES with UIDONLY (RFC 9586)", () => {
  async function uidOnlySession(): Promise<{ client: ImapClient; address: string }> {
    const address = await freshAccount(server, { messages: 4, recentTaken: true });
    const client = await enabled(address, "UIDONLY");
    await ok(client, "SELECT INBOX");
    await ok(client, "UID STORE 2,3 +FLAGS.SILENT (\\Flagged)");
    return { client, address };
  }

  test("UID SEARCH RETURN (SAVE), then UID FETCH $ answers UIDFETCH; UID SEARCH $ is allowed", async () => {
    const { client } = await uidOnlySession();
    expect(await ok(client, "UID SEARCH RETURN (SAVE) FLAGGED")).toEqual([]);
    expect(await ok(client, "UID FETCH $ (FLAGS)")).toEqual([
      "2 UIDFETCH (FLAGS (\\Flagged))",
      "3 UIDFETCH (FLAGS (\\Flagged))",
    ]);
    expect(await ok(client, "UID SEARCH $", "U")).toEqual(["SEARCH 2 3"]);
    await client.close();
  });

  test("FETCH $ and SEARCH $ (message-number forms) stay BAD [UIDREQUIRED]", async () => {
    const { client } = await uidOnlySession();
    await ok(client, "UID SEARCH RETURN (SAVE) FLAGGED");
    for (const line of ["FETCH $ (FLAGS)", "SEARCH $"]) {
      const r = await client.command(line);
      expect({ line, status: r.status, code: r.text.slice(0, 13) }).toEqual({
        line,
        status: "BAD",
        code: "[UIDREQUIRED]",
      });
    }
    await client.close();
  });

  test("UID MOVE $ reports VANISHED for the saved messages, and $ loses them", async () => {
    const { client } = await uidOnlySession();
    await ok(client, "UID SEARCH RETURN (SAVE) FLAGGED");
    const moved = await ok(client, "UID MOVE $ Archive");
    expect(moved.filter((l) => !l.startsWith("OK [COPYUID"))).toEqual(["VANISHED 2:3"]);
    expect(await ok(client, "UID FETCH $ (FLAGS)")).toEqual([]);
    await client.close();
  });

  test("UIDONLY with IMAP4rev2: UID SEARCH $ answers ESEARCH UID", async () => {
    const { address } = await uidOnlySession();
    const client = await ImapClient.login(port, address);
    await ok(client, "ENABLE IMAP4rev2 UIDONLY");
    await ok(client, "SELECT INBOX");
    await ok(client, "UID SEARCH RETURN (SAVE) FLAGGED");
    expect(await ok(client, "UID SEARCH $", "R")).toEqual(['ESEARCH (TAG "R") UID ALL 2:3']);
    await client.close();
  });
});
