/**
 * SEARCH with the trigram index as prefilter (store/search-index.ts), over real sockets: answers are
 * those of the exact substring scan (RFC 3501 §6.4.4) — inside words, across spaces, any case, in
 * the named header only, body versus text, needles too short for trigrams, quotes in the needle,
 * keys under NOT and OR — and the index forgets a content once its last message is expunged.
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

const MESSAGES = [
  'Subject: The Quick Brown fox\nFrom: "Ann Example" <ann@example.org>\nX-Ticket: ZX-4411\n\nlazy dogs sleep here\n',
  "Subject: nothing special\nFrom: bob@example.org\nTo: ann@example.org\n\nthe quick brown fox is in the body\n",
  'Subject: say "hi" to =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\nFrom: carol@example.org\nContent-Type: text/plain; charset=utf-8\n\nzq ok\n',
];

async function session(): Promise<ImapClient> {
  const client = await ImapClient.login(port, await freshAccount(server));
  for (const text of MESSAGES) {
    const raw = Buffer.from(text.replace(/\n/g, "\r\n"));
    const r = await client.command(Buffer.concat([Buffer.from(`APPEND INBOX {${raw.length}+}\r\n`), raw]));
    expect(r.status).toBe("OK");
  }
  expect((await client.command("SELECT INBOX")).status).toBe("OK");
  return client;
}

async function search(client: ImapClient, line: string | Buffer): Promise<string> {
  const r = await client.command(line);
  expect({ line: String(line), status: r.status }).toEqual({ line: String(line), status: "OK" });
  return r.untagged[0]!;
}

describe("SEARCH through the trigram index keeps substring semantics", () => {
  test.each([
    ["SEARCH SUBJECT uick", "SEARCH 1"],
    ['SEARCH SUBJECT "ick bro"', "SEARCH 1"],
    ["SEARCH SUBJECT QUICK", "SEARCH 1"],
    ["SEARCH TEXT quick", "SEARCH 1 2"],
    ["SEARCH BODY quick", "SEARCH 2"],
    ["SEARCH BODY lazy", "SEARCH 1"],
    ["SEARCH FROM ann", "SEARCH 1"],
    ["SEARCH TO ann", "SEARCH 2"],
    ["SEARCH FROM example.org", "SEARCH 1 2 3"],
    ["SEARCH HEADER X-Ticket zx-44", "SEARCH 1"],
    ["SEARCH HEADER X-Ticket quick", "SEARCH"],
    ["SEARCH SUBJECT fox FROM bob", "SEARCH"],
    ["SEARCH SUBJECT fox NOT FROM bob", "SEARCH 1"],
    ["SEARCH OR SUBJECT quick BODY quick", "SEARCH 1 2"],
    ["SEARCH NOT TEXT quick", "SEARCH 3"],
    ["SEARCH BODY zq", "SEARCH 3"],
    ["SEARCH SUBJECT x", "SEARCH 1"],
    ['SEARCH SUBJECT "say \\"hi\\""', "SEARCH 3"],
    ["SEARCH TEXT nowhere-at-all", "SEARCH"],
    ["UID SEARCH TEXT fox", "SEARCH 1 2"],
  ])("%s -> %s", async (line, expected) => {
    const client = await session();
    expect(await search(client, line)).toBe(expected);
    await client.close();
  });

  test("a UTF-8 needle finds decoded non-ASCII text, any case", async () => {
    const client = await session();
    // The stored subject is "say "hi" to grüße" (decoded from RFC 2047); the needle is upper case.
    const needle = Buffer.from("GRÜßE");
    const line = Buffer.concat([Buffer.from(`SEARCH CHARSET UTF-8 SUBJECT {${needle.length}+}\r\n`), needle]);
    expect(await search(client, line)).toBe("SEARCH 3");
    await client.close();
  });

  test("an expunged message's content leaves the index; a copy elsewhere keeps it there", async () => {
    const client = await session();
    // The index is written behind delivery (store/search-indexer.ts): count once it has caught up.
    const count = async (word: string) => {
      await server.store.searchIndexSettled();
      return Number(
        (
          await server.store.execute(
            `SELECT count(*) AS n FROM contents_fts WHERE contents_fts MATCH '"${word}"'`,
          )
        )[0]!.n,
      );
    };
    const before = await count("zx-4411");
    expect(before).toBeGreaterThanOrEqual(1);
    await client.command("COPY 1 Archive");
    await client.command("STORE 1 +FLAGS.SILENT (\\Deleted)");
    await client.command("EXPUNGE");
    expect(await count("zx-4411")).toBe(before);
    expect(await search(client, "SEARCH HEADER X-Ticket zx-4411")).toBe("SEARCH");
    await client.command("SELECT Archive");
    expect(await search(client, "SEARCH HEADER X-Ticket zx-4411")).toBe("SEARCH 1");
    await client.command("STORE 1 +FLAGS.SILENT (\\Deleted)");
    await client.command("EXPUNGE");
    expect(await count("zx-4411")).toBe(before - 1);
    await client.close();
  });
});
