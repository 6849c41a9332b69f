/**
 * SEARCH's SENT* keys and address keys as RFC 3501 §6.4.4 reads them: SENTBEFORE / SENTON /
 * SENTSINCE compare the Date header's date in its own time zone, time and zone disregarded; FROM,
 * TO, CC and BCC also match the parsed address, comments and folding removed (RFC 5322 §3.4).
 * Over a real socket; messages delivered through the one ingest path.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseMessage } from "../../src/mime/mod.ts";
import { accountGet, messageIngest } from "../../src/store/mod.ts";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let client: ImapClient;

/** UID n is MESSAGES[n - 1]. */
const MESSAGES = [
  // 1: just after midnight in +0200, still the 24th in UTC.
  "From: a@example.org\r\nDate: Sun, 25 Mar 2007 00:00:00 +0200\r\nSubject: one\r\n\r\n.\r\n",
  // 2: late evening in -0500, already the 25th in UTC.
  "From: b@example.org\r\nDate: Sat, 24 Mar 2007 23:30:00 -0500\r\nSubject: two\r\n\r\n.\r\n",
  // 3: comments inside the angle address, folding in To and Cc.
  'From: <user-from (comment)@ (comment) domain.org>\r\nTo: Joe\r\n (the boss) <joe (x) @ example . org>\r\nCc: "Cee, See" <cc@example.net> (copy)\r\nDate: Mon, 26 Mar 2007 12:00:00 +0000\r\nSubject: three\r\n\r\n.\r\n',
  // 4: no Date at all.
  "From: d@example.org\r\nSubject: four\r\n\r\n.\r\n",
];

beforeAll(async () => {
  server = await startTestServer();
  const address = await freshAccount(server);
  const { id } = await accountGet(server.store.read, address);
  for (const text of MESSAGES) {
    const raw = Buffer.from(text);
    await server.store.write((w) =>
      messageIngest(w, {
        raw,
        parsed: parseMessage(raw),
        targets: [{ accountId: id, mailboxName: "INBOX" }],
      }),
    );
  }
  client = await ImapClient.login(server.ports.imap!, address);
  expect((await client.command("SELECT INBOX")).status).toBe("OK");
});

afterAll(async () => {
  await client.close();
  await server.close();
});

async function uids(criteria: string): Promise<number[]> {
  const r = await client.command(`UID SEARCH ${criteria}`);
  expect({ criteria, status: r.status }).toEqual({ criteria, status: "OK" });
  const line = r.untagged.find((l) => l.startsWith("SEARCH"))!;
  return line.split(" ").slice(1).map(Number);
}

describe("SENTBEFORE, SENTON, SENTSINCE (RFC 3501 §6.4.4)", () => {
  const cases: Array<[string, number[]]> = [
    ["SENTON 25-Mar-2007", [1]],
    ["SENTON 24-Mar-2007", [2]],
    ["SENTBEFORE 25-Mar-2007", [2]],
    ["SENTSINCE 25-Mar-2007", [1, 3]],
    ["SENTSINCE 26-Mar-2007", [3]],
    ["NOT SENTON 25-Mar-2007", [2, 3, 4]],
  ];
  test.each(cases)("UID SEARCH %s takes the Date header's own day", async (criteria, expected) => {
    expect(await uids(criteria)).toEqual(expected);
  });

  test("messages stored before the sent day was kept are compared by their stored Date header", async () => {
    await server.store.execute("UPDATE contents SET sent_day = NULL");
    expect(await uids("SENTON 25-Mar-2007")).toEqual([1]);
    expect(await uids("SENTBEFORE 25-Mar-2007")).toEqual([2]);
  });
});

describe("FROM, TO, CC, BCC match the parsed address (RFC 5322 §3.4)", () => {
  const cases: Array<[string, number[]]> = [
    ["FROM user-from@domain.org", [3]],
    ["FROM user-from", [3]],
    ["TO joe@example.org", [3]],
    ['TO "Joe <joe@example.org>"', [3]],
    ["TO boss", [3]],
    ['CC "cee, see"', [3]],
    ["CC cc@example.net", [3]],
    ["FROM b@example.org", [2]],
    ["BCC joe@example.org", []],
  ];
  test.each(cases)("UID SEARCH %s", async (criteria, expected) => {
    expect(await uids(criteria)).toEqual(expected);
  });
});
