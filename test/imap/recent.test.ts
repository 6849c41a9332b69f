/**
 * \Recent (RFC 3501 §2.3.2, §6.3.1-2, §7.3.2): a new message is recent in exactly one session, the
 * first to SELECT the mailbox after it arrived or the one that has the mailbox selected and reports
 * it; EXAMINE sees it without taking it. SELECT/EXAMINE report `n RECENT`, EXISTS comes with
 * RECENT, STATUS counts what no session took, FETCH FLAGS shows \Recent and SEARCH RECENT, NEW and
 * OLD use it. Real sockets, several sessions, and a restart on the same database.
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

const message = (n: number) => `Subject: new ${n}\r\n\r\nbody ${n}\r\n`;

async function login(address: string, port = server.ports.imap!): Promise<ImapClient> {
  return ImapClient.login(port, address);
}

async function ok(client: ImapClient, command: string): Promise<string[]> {
  const r = await client.command(command);
  expect({ command, status: r.status, text: r.text }).toEqual({ command, status: "OK", text: r.text });
  return r.untagged;
}

const recentOf = (lines: string[]) => lines.find((l) => /^\d+ RECENT$/.test(l));

/** The UIDs whose FETCH FLAGS shows \Recent in this session. */
async function recentUids(client: ImapClient): Promise<number[]> {
  const lines = await ok(client, "UID FETCH 1:* FLAGS");
  return lines
    .filter((l) => l.includes("\\Recent"))
    .map((l) => Number(/UID (\d+)/.exec(l)![1]))
    .sort((a, b) => a - b);
}

describe("SELECT and EXAMINE (RFC 3501 §6.3.1-2)", () => {
  test("the first SELECT after delivery reports the new messages as RECENT and takes them", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const a = await login(address);
    const b = await login(address);
    expect(recentOf(await ok(a, "SELECT INBOX"))).toBe("2 RECENT");
    expect(await recentUids(a)).toEqual([1, 2]);
    expect(recentOf(await ok(b, "SELECT INBOX"))).toBe("0 RECENT");
    expect(await recentUids(b)).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  test("EXAMINE reports RECENT without taking it; the SELECT after it still gets it", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const a = await login(address);
    const b = await login(address);
    expect(recentOf(await ok(a, "EXAMINE INBOX"))).toBe("2 RECENT");
    expect(await recentUids(a)).toEqual([1, 2]);
    expect(recentOf(await ok(b, "SELECT INBOX"))).toBe("2 RECENT");
    expect(recentOf(await ok(a, "EXAMINE INBOX"))).toBe("0 RECENT");
    await Promise.all([a.close(), b.close()]);
  });

  test("selecting the mailbox again ends \\Recent for what the session had", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const a = await login(address);
    expect(recentOf(await ok(a, "SELECT INBOX"))).toBe("1 RECENT");
    expect(recentOf(await ok(a, "SELECT INBOX"))).toBe("0 RECENT");
    await a.close();
  });

  test("a message taken before a restart is not recent after it", async () => {
    const first = await startTestServer();
    const address = await freshAccount(first, { messages: 1 });
    const a = await login(address, first.ports.imap!);
    expect(recentOf(await ok(a, "SELECT INBOX"))).toBe("1 RECENT");
    await a.close();
    // stop() waits for the writes already queued, the watermark's among them.
    await first.stop();
    const restarted = await startTestServer({}, { dataDir: first.dataDir });
    try {
      const b = await login(address, restarted.ports.imap!);
      expect(recentOf(await ok(b, "SELECT INBOX"))).toBe("0 RECENT");
      await b.close();
    } finally {
      await restarted.close();
    }
  });
});

describe("new messages while the mailbox is selected", () => {
  test("an APPEND from another session is reported as EXISTS with RECENT and is recent here", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const a = await login(address);
    const other = await login(address);
    await ok(a, "SELECT INBOX");
    expect((await other.append("INBOX", message(2))).status).toBe("OK");
    expect(await ok(a, "NOOP")).toEqual(["2 EXISTS", "2 RECENT"]);
    expect(await recentUids(a)).toEqual([1, 2]);
    // Taken: nobody else gets it.
    expect(recentOf(await ok(other, "SELECT INBOX"))).toBe("0 RECENT");
    await Promise.all([a.close(), other.close()]);
  });

  test("of two sessions with the mailbox selected, only the first to report a new message gets \\Recent", async () => {
    const address = await freshAccount(server);
    const a = await login(address);
    const b = await login(address);
    const c = await login(address);
    await ok(a, "SELECT INBOX");
    await ok(b, "SELECT INBOX");
    expect((await c.append("INBOX", message(1))).status).toBe("OK");
    expect(await ok(b, "NOOP")).toEqual(["1 EXISTS", "1 RECENT"]);
    expect(await ok(a, "NOOP")).toEqual(["1 EXISTS", "0 RECENT"]);
    expect(await recentUids(b)).toEqual([1]);
    expect(await recentUids(a)).toEqual([]);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  test("an EXAMINE session sees a new message as recent and leaves it for a SELECT", async () => {
    const address = await freshAccount(server);
    const a = await login(address);
    const c = await login(address);
    await ok(a, "EXAMINE INBOX");
    expect((await c.append("INBOX", message(1))).status).toBe("OK");
    expect(await ok(a, "NOOP")).toEqual(["1 EXISTS", "1 RECENT"]);
    expect(recentOf(await ok(c, "SELECT INBOX"))).toBe("1 RECENT");
    await Promise.all([a.close(), c.close()]);
  });

  test("COPY into the selected mailbox reports the copies as recent", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const a = await login(address);
    await ok(a, "SELECT INBOX");
    expect(recentOf(await ok(a, "SELECT INBOX"))).toBe("0 RECENT");
    expect(await ok(a, "COPY 1:2 INBOX")).toEqual(["4 EXISTS", "2 RECENT"]);
    expect(await recentUids(a)).toEqual([3, 4]);
    await a.close();
  });

  test("MOVE into another mailbox leaves the moved messages recent for its next SELECT", async () => {
    const address = await freshAccount(server, { messages: 2, mailboxes: ["Archive2"] });
    const a = await login(address);
    await ok(a, "SELECT INBOX");
    await ok(a, "MOVE 1:2 Archive2");
    expect(recentOf(await ok(a, "SELECT Archive2"))).toBe("2 RECENT");
    await a.close();
  });
});

describe("STATUS, FETCH, STORE and SEARCH", () => {
  test("STATUS RECENT counts the messages no session took yet", async () => {
    const address = await freshAccount(server, { messages: 3 });
    const a = await login(address);
    expect(await ok(a, "STATUS INBOX (RECENT MESSAGES)")).toEqual(["STATUS INBOX (RECENT 3 MESSAGES 3)"]);
    const b = await login(address);
    await ok(b, "SELECT INBOX");
    expect(await ok(a, "STATUS INBOX (RECENT)")).toEqual(["STATUS INBOX (RECENT 0)"]);
    expect(await ok(a, 'LIST "" "INBOX" RETURN (STATUS (RECENT))')).toContain("STATUS INBOX (RECENT 0)");
    await Promise.all([a.close(), b.close()]);
  });

  test("FETCH FLAGS shows \\Recent after the system flags, and STORE cannot take it away", async () => {
    const address = await freshAccount(server, { messages: 1, keywords: { 1: ["Work"] } });
    const a = await login(address);
    await ok(a, "SELECT INBOX");
    expect(await ok(a, "STORE 1 +FLAGS (\\Seen)")).toEqual(["1 FETCH (FLAGS (\\Seen \\Recent Work))"]);
    expect(await ok(a, "STORE 1 FLAGS (\\Recent)")).toEqual(["1 FETCH (FLAGS (\\Recent))"]);
    expect(await ok(a, "FETCH 1 FLAGS")).toEqual(["1 FETCH (FLAGS (\\Recent))"]);
    await a.close();
  });

  test("SEARCH RECENT, NEW and OLD go by this session's \\Recent", async () => {
    const address = await freshAccount(server, { messages: 3 });
    const a = await login(address);
    const b = await login(address);
    await ok(a, "SELECT INBOX");
    await ok(b, "SELECT INBOX");
    await ok(a, "STORE 2 +FLAGS (\\Seen)");
    expect(await ok(a, "SEARCH RECENT")).toEqual(["SEARCH 1 2 3"]);
    expect(await ok(a, "SEARCH NEW")).toEqual(["SEARCH 1 3"]);
    expect(await ok(a, "SEARCH OLD")).toEqual(["SEARCH"]);
    // B also hears of A's STORE, after its SEARCH response.
    expect(await ok(b, "SEARCH RECENT")).toEqual(["SEARCH", "2 FETCH (UID 2 FLAGS (\\Seen))"]);
    expect(await ok(b, "SEARCH OLD")).toEqual(["SEARCH 1 2 3"]);
    await Promise.all([a.close(), b.close()]);
  });
});
