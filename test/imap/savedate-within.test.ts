/**
 * SAVEDATE (RFC 8514) and WITHIN (RFC 5032) over real sockets: the save date is when a message
 * entered its mailbox (APPEND, delivery, COPY, MOVE), never the internal date a client gave; FETCH
 * SAVEDATE, SEARCH SAVEDBEFORE/SAVEDON/SAVEDSINCE/SAVEDATESUPPORTED, and OLDER/YOUNGER against the
 * internal date.
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

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/** An IMAP date (RFC 3501 §9) `days` from today, UTC. */
function imapDay(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return `${d.getUTCDate()}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()}`;
}

const MESSAGE = "Subject: old\r\n\r\nbody\r\n";

async function withOldMessage(): Promise<ImapClient> {
  const client = await ImapClient.login(port, await freshAccount(server));
  expect((await client.append("INBOX", MESSAGE, '"01-Jan-2001 10:00:00 +0000"')).status).toBe("OK");
  await client.command("SELECT INBOX");
  return client;
}

function savedateOf(line: string): number {
  const m = /SAVEDATE "([^"]+)"/.exec(line);
  if (!m) throw new Error(`no SAVEDATE in ${line}`);
  const [, day, mon, rest = ""] = /^ ?(\d+)-(\w+)-(.*)$/.exec(m[1]!)!;
  return Date.parse(`${day} ${mon} ${rest.replace(/ \+0000$/, " GMT")}`);
}

describe("SAVEDATE", () => {
  test("SAVEDATE and WITHIN are advertised after login", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    const caps = (await client.command("CAPABILITY")).untagged[0]!;
    expect(caps).toContain(" SAVEDATE");
    expect(caps).toContain(" WITHIN");
    await client.close();
  });

  test("FETCH SAVEDATE is when APPEND stored it, not the internal date it was given", async () => {
    const before = Date.now() - 1000;
    const client = await withOldMessage();
    const r = await client.command("FETCH 1 (INTERNALDATE SAVEDATE)");
    expect(r.untagged[0]).toContain('INTERNALDATE "01-Jan-2001 10:00:00 +0000"');
    const saved = savedateOf(r.untagged[0]!);
    expect(saved).toBeGreaterThanOrEqual(before);
    expect(saved).toBeLessThanOrEqual(Date.now() + 1000);
    await client.close();
  });

  test("COPY and MOVE give the new message a new save date; the source keeps its own", async () => {
    const client = await withOldMessage();
    const first = savedateOf((await client.command("FETCH 1 SAVEDATE")).untagged[0]!);
    await client.command("COPY 1 Archive");
    await client.command("MOVE 1 Trash");
    for (const box of ["Archive", "Trash"]) {
      await client.command(`SELECT ${box}`);
      const r = await client.command("FETCH 1 (INTERNALDATE SAVEDATE)");
      expect(r.untagged[0]).toContain('INTERNALDATE "01-Jan-2001 10:00:00 +0000"');
      expect(savedateOf(r.untagged[0]!)).toBeGreaterThanOrEqual(first);
    }
    await client.close();
  });

  test("SEARCH SAVEDON / SAVEDSINCE / SAVEDBEFORE compare the save date's day; SAVEDATESUPPORTED matches all", async () => {
    const client = await withOldMessage();
    const search = async (key: string) => (await client.command(`SEARCH ${key}`)).untagged[0];
    expect(await search(`SAVEDON ${imapDay(0)}`)).toBe("SEARCH 1");
    expect(await search(`SAVEDSINCE ${imapDay(-1)}`)).toBe("SEARCH 1");
    expect(await search(`SAVEDSINCE ${imapDay(1)}`)).toBe("SEARCH");
    expect(await search(`SAVEDBEFORE ${imapDay(1)}`)).toBe("SEARCH 1");
    expect(await search("SAVEDBEFORE 2-Jan-2001")).toBe("SEARCH");
    // The internal date still answers ON/BEFORE.
    expect(await search("BEFORE 2-Jan-2001")).toBe("SEARCH 1");
    expect(await search("SAVEDATESUPPORTED")).toBe("SEARCH 1");
    await client.close();
  });

  test("a message stored before save dates were kept has SAVEDATE NIL and is searched by its internal date", async () => {
    const client = await withOldMessage();
    await server.store.execute("UPDATE messages SET save_date = NULL");
    expect((await client.command("FETCH 1 SAVEDATE")).untagged).toEqual(["1 FETCH (SAVEDATE NIL)"]);
    expect((await client.command("SEARCH SAVEDON 1-Jan-2001")).untagged).toEqual(["SEARCH 1"]);
    await client.close();
  });

  test.each(["SEARCH SAVEDON", "SEARCH SAVEDSINCE yesterday", "SEARCH SAVEDBEFORE 1-Foo-2020"])(
    "%s is BAD",
    async (line) => {
      const client = await withOldMessage();
      expect((await client.command(line)).status).toBe("BAD");
      await client.close();
    },
  );
});

describe("WITHIN", () => {
  test("YOUNGER and OLDER compare the internal date with now, in seconds", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    await client.append("INBOX", MESSAGE, '"01-Jan-2001 10:00:00 +0000"');
    await client.append("INBOX", MESSAGE);
    await client.command("SELECT INBOX");
    expect((await client.command("SEARCH YOUNGER 3600")).untagged).toEqual(["SEARCH 2"]);
    expect((await client.command("SEARCH OLDER 3600")).untagged).toEqual(["SEARCH 1"]);
    expect((await client.command("UID SEARCH NOT OLDER 3600")).untagged).toEqual(["SEARCH 2"]);
    await client.close();
  });

  test.each(["SEARCH OLDER", "SEARCH YOUNGER 0", "SEARCH OLDER -5", "SEARCH YOUNGER x"])(
    "%s is BAD",
    async (line) => {
      const client = await ImapClient.login(port, await freshAccount(server));
      await client.command("SELECT INBOX");
      expect((await client.command(line)).status).toBe("BAD");
      await client.close();
    },
  );
});
