/** SEARCH, UID SEARCH, ESEARCH (RFC 4731) and MODSEQ search (RFC 7162 §3.1.5) over real sockets. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseMessage } from "../../src/mime/mod.ts";
import {
  accountGet,
  flagsFromNames,
  mailboxGet,
  messageIngest,
  messagesExpunge,
  messagesUpdateFlags,
} from "../../src/store/mod.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let port: number;

interface Fixture {
  raw: string;
  /** Internal date, ISO. */
  at: string;
  flags?: string[];
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

/**
 * A dozen varied messages. The mailbox's first UID is expunged before the tests, so fixture n has
 * UID n + 1 and sequence number n: SEARCH and UID SEARCH answers differ.
 */
const FIXTURES: Fixture[] = [
  {
    // 1: Date header a day before the internal date (SENT* vs internal-date keys).
    raw: "From: alice@example.org\r\nTo: bob@example.com\r\nSubject: Quarterly report\r\nDate: Mon, 01 Jan 2024 09:00:00 +0000\r\n\r\nNumbers are up.\r\n",
    at: "2024-01-02T10:00:00Z",
    flags: ["\\Seen"],
  },
  {
    // 2
    raw: "From: Bob Builder <bob@builder.example>\r\nTo: carol@example.com\r\nCc: dave@example.com\r\nSubject: Lunch plans\r\nDate: Thu, 15 Feb 2024 12:00:00 +0000\r\n\r\nPizza at noon?\r\n",
    at: "2024-02-15T12:00:00Z",
    flags: ["\\Seen", "\\Answered", "$Work"],
  },
  {
    // 3: RFC 2047 ISO-8859-1 Q-encoded subject, quoted-printable UTF-8 body.
    raw:
      "From: carol@example.com\r\nTo: alice@example.org\r\nBcc: eve@example.net\r\nSubject: =?ISO-8859-1?Q?Caf=E9?= meeting\r\n" +
      "Date: Sun, 10 Mar 2024 08:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" +
      "Content-Transfer-Encoding: quoted-printable\r\n\r\nViele Gr=C3=BC=C3=9Fe aus Berlin\r\n",
    at: "2024-03-10T08:00:00Z",
    flags: ["\\Flagged"],
  },
  {
    // 4: base64 text body.
    raw:
      "From: dave@example.com\r\nTo: bob@example.com\r\nSubject: Encoded body\r\nDate: Mon, 01 Apr 2024 08:00:00 +0000\r\n" +
      `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64("The secret word is xylophone.")}\r\n`,
    at: "2024-04-01T08:00:00Z",
    flags: ["\\Deleted"],
  },
  {
    // 5: no Date header at all.
    raw: "From: bob@example.com\r\nTo: alice@example.org\r\nSubject: Draft reply\r\n\r\nnot finished\r\n",
    at: "2024-05-05T08:00:00Z",
    flags: ["\\Draft"],
  },
  {
    // 6: the big one.
    raw: `From: eve@example.net\r\nTo: bob@example.com\r\nSubject: Big attachment\r\nDate: Sat, 01 Jun 2024 08:00:00 +0000\r\n\r\n${"lorem ipsum ".repeat(500)}\r\n`,
    at: "2024-06-01T08:00:00Z",
    flags: ["$Work", "Urgent"],
  },
  {
    // 7: same internal day as 6, at its last second (UTC).
    raw: "From: ops@example.com\r\nTo: oncall@example.com\r\nSubject: Urgent: server down\r\nX-Priority: 1 (Highest)\r\nDate: Sat, 01 Jun 2024 23:59:59 +0000\r\n\r\nThe server is down.\r\n",
    at: "2024-06-01T23:59:59Z",
  },
  {
    // 8: HTML only.
    raw:
      "From: News <news@lists.example>\r\nTo: bob@example.com\r\nSubject: Newsletter\r\nDate: Mon, 01 Jul 2024 08:00:00 +0000\r\n" +
      "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>World</b></p>\r\n",
    at: "2024-07-01T08:00:00Z",
    flags: ["\\Seen"],
  },
  {
    // 9: multipart with an attachment.
    raw:
      "From: billing@shop.example\r\nTo: bob@example.com\r\nSubject: Invoice 42\r\nDate: Thu, 01 Aug 2024 08:00:00 +0000\r\n" +
      'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nSee attached invoice.\r\n' +
      `--b1\r\nContent-Type: application/pdf; name="i.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64("%PDF-1.4 zebra")}\r\n--b1--\r\n`,
    at: "2024-08-01T08:00:00Z",
  },
  {
    // 10
    raw: "From: alice@example.org\r\nTo: bob@example.com\r\nSubject: MiXeD CaSe Subject\r\nDate: Sun, 01 Sep 2024 08:00:00 +0000\r\n\r\nUPPER and lower\r\n",
    at: "2024-09-01T08:00:00Z",
    flags: ["\\Seen", "\\Flagged"],
  },
  {
    // 11
    raw: "From: alice@example.org\r\nTo: bob@example.com\r\nCc: carol@example.com\r\nSubject: Re: Lunch plans\r\nDate: Tue, 01 Oct 2024 08:00:00 +0000\r\n\r\nYes please.\r\n",
    at: "2024-10-01T08:00:00Z",
  },
  {
    // 12: folded subject.
    raw: "From: zed@example.com\r\nTo: bob@example.com\r\nSubject: Last one,\r\n folded  over two lines\r\nDate: Fri, 01 Nov 2024 08:00:00 +0000\r\n\r\nbye\r\n",
    at: "2024-11-01T08:00:00Z",
    flags: ["\\Seen"],
  },
];

const SIZES = FIXTURES.map((f) => Buffer.byteLength(f.raw));
let modseqs: number[] = [];

async function ingest(address: string, fixtures: Fixture[], mailboxName = "INBOX"): Promise<number[]> {
  const account = await accountGet(server.store.read, address);
  const out: number[] = [];
  for (const f of fixtures) {
    const raw = Buffer.from(f.raw);
    const { flags, keywords } = flagsFromNames(f.flags ?? []);
    const [m] = await server.store.write((w) =>
      messageIngest(w, {
        raw,
        parsed: parseMessage(raw),
        internalDate: Date.parse(f.at),
        targets: [{ accountId: account.id, mailboxName, flags, keywords }],
      }),
    );
    out.push(m!.modseq);
  }
  return out;
}

async function expungeUids(address: string, uids: number[], mailboxName = "INBOX"): Promise<void> {
  const account = await accountGet(server.store.read, address);
  const box = await mailboxGet(server.store.read, account.id, mailboxName);
  await server.store.write((w) => messagesExpunge(w, box, uids));
}

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.imap!;
  await createAccounts(server, [
    { address: "search@example.com" },
    { address: "view@example.com" },
    { address: "bulk@example.com" },
  ]);
  await ingest("search@example.com", [{ raw: "Subject: gone\r\n\r\ngone\r\n", at: "2024-01-01T00:00:00Z" }]);
  await expungeUids("search@example.com", [1]);
  modseqs = await ingest("search@example.com", FIXTURES);
  // Whichever test's session selects first, none takes \Recent here (test/imap/recent.test.ts has
  // RECENT, NEW and OLD with sessions taking it): as if another session had selected INBOX already.
  const { id } = await accountGet(server.store.read, "search@example.com");
  await server.store.execute(`UPDATE mailboxes SET recent_uid = uid_next - 1 WHERE account_id = ${id}`);
});

afterAll(async () => {
  await server.close();
});

async function selected(address = "search@example.com", mailbox = "INBOX"): Promise<ImapClient> {
  const client = await ImapClient.login(port, address);
  const r = await client.command(`SELECT ${mailbox}`);
  if (r.status !== "OK") throw new Error(`SELECT failed: ${r.text}`);
  return client;
}

/** The numbers of the one `* SEARCH` response. */
function searchNumbers(untagged: string[]): number[] {
  const lines = untagged.filter((l) => l === "SEARCH" || l.startsWith("SEARCH "));
  expect(lines).toHaveLength(1);
  return lines[0]!
    .replace(/ \(MODSEQ \d+\)$/, "")
    .split(" ")
    .slice(1)
    .map(Number);
}

/** UIDs of fixtures (1-based fixture numbers). */
const uidsOf = (...fixtures: number[]) => fixtures.map((n) => n + 1);
const ALL_FIXTURES = FIXTURES.map((_, i) => i + 1);
const except = (...fixtures: number[]) => ALL_FIXTURES.filter((n) => !fixtures.includes(n));

describe("SEARCH keys (RFC 3501 §6.4.4)", () => {
  let client: ImapClient;
  beforeAll(async () => {
    client = await selected();
  });
  afterAll(async () => {
    await client.close();
  });

  const largeThreshold = 4000;
  const smallThreshold = 200;
  // [criteria, fixture numbers expected]
  const table: Array<[string, number[]]> = [
    ["ALL", ALL_FIXTURES],
    ["ANSWERED", [2]],
    ["UNANSWERED", except(2)],
    ["DELETED", [4]],
    ["UNDELETED", except(4)],
    ["DRAFT", [5]],
    ["UNDRAFT", except(5)],
    ["FLAGGED", [3, 10]],
    ["UNFLAGGED", except(3, 10)],
    ["SEEN", [1, 2, 8, 10, 12]],
    ["UNSEEN", except(1, 2, 8, 10, 12)],
    ["RECENT", []],
    ["NEW", []],
    ["OLD", ALL_FIXTURES],
    ["KEYWORD $Work", [2, 6]],
    ["KEYWORD $work", [2, 6]],
    ["KEYWORD Urgent", [6]],
    ["KEYWORD Nope", []],
    ["UNKEYWORD $Work", except(2, 6)],
    ['FROM "alice"', [1, 10, 11]],
    ['FROM "Bob Builder"', [2]],
    ["FROM bob", [2, 5]],
    ['TO "bob@example.com"', [1, 4, 6, 8, 9, 10, 11, 12]],
    ["CC carol", [11]],
    ["CC dave", [2]],
    ["BCC eve", [3]],
    ['SUBJECT "lunch plans"', [2, 11]],
    ['SUBJECT "urgent:"', [7]],
    ['HEADER "X-Priority" ""', [7]],
    ['HEADER x-priority "highest"', [7]],
    ['HEADER "X-Missing" ""', []],
    ['HEADER Subject "report"', [1]],
    ['BODY "pizza"', [2]],
    ['BODY "xylophone"', [4]],
    ['BODY "hello world"', [8]],
    ['BODY "attached invoice"', [9]],
    ['BODY "zebra"', []], // inside the PDF attachment: not text
    ['BODY "lunch"', []], // only in headers
    ['TEXT "lunch"', [2, 11]],
    ['TEXT "pizza"', [2]],
    ['TEXT "billing@shop"', [9]],
    ["BEFORE 1-Mar-2024", [1, 2]],
    ["BEFORE 2-Jan-2024", []],
    ["ON 2-Jan-2024", [1]],
    ["ON 1-Jan-2024", []],
    ['ON "1-Jun-2024"', [6, 7]],
    ["SINCE 1-Oct-2024", [11, 12]],
    ["SENTBEFORE 2-Jan-2024", [1]],
    ["SENTON 1-Jan-2024", [1]],
    ["SENTON 10-Mar-2024", [3]],
    ["SENTSINCE 1-Nov-2024", [12]],
    ["SENTSINCE 1-Jan-2000", except(5)],
    ["NOT SENTBEFORE 1-Jan-2100", [5]],
    [`LARGER ${largeThreshold}`, SIZES.flatMap((s, i) => (s > largeThreshold ? [i + 1] : []))],
    [`SMALLER ${smallThreshold}`, SIZES.flatMap((s, i) => (s < smallThreshold ? [i + 1] : []))],
    [`LARGER ${SIZES[0]}`, SIZES.flatMap((s, i) => (s > SIZES[0]! ? [i + 1] : []))],
    ["UID 2:4", [1, 2, 3]],
    ["UID 1", []],
    ["1:3", [1, 2, 3]],
    ["*", [12]],
    ["11:*", [11, 12]],
    ["2,4,6:7", [2, 4, 6, 7]],
  ];

  test("the size thresholds split the fixture", () => {
    expect(SIZES.some((s) => s > largeThreshold)).toBe(true);
    expect(SIZES.some((s) => s < smallThreshold)).toBe(true);
  });

  for (const [criteria, expected] of table) {
    test(`UID SEARCH ${criteria} finds fixtures [${expected.join(",")}]`, async () => {
      const r = await client.command(`UID SEARCH ${criteria}`);
      expect(r.status).toBe("OK");
      expect(searchNumbers(r.untagged)).toEqual(uidsOf(...expected));
    });
  }

  test("SEARCH answers with sequence numbers, UID SEARCH with UIDs", async () => {
    const bySeq = await client.command("SEARCH FLAGGED");
    expect(bySeq.untagged).toContain("SEARCH 3 10");
    const byUid = await client.command("UID SEARCH FLAGGED");
    expect(byUid.untagged).toContain("SEARCH 4 11");
  });

  test("SEARCH with no match answers a bare * SEARCH", async () => {
    const r = await client.command('SEARCH SUBJECT "no such subject anywhere"');
    expect(r.untagged).toContain("SEARCH");
    expect(r.text).toBe("SEARCH completed");
  });

  test("keys are case-insensitive atoms", async () => {
    const r = await client.command("uid search flagged unseen");
    expect(searchNumbers(r.untagged)).toEqual(uidsOf(3));
  });
});

describe("combining keys", () => {
  let client: ImapClient;
  beforeAll(async () => {
    client = await selected();
  });
  afterAll(async () => {
    await client.close();
  });

  const table: Array<[string, number[]]> = [
    ["SEEN FLAGGED", [10]],
    ["FROM alice SINCE 1-Jun-2024", [10, 11]],
    ["OR ANSWERED DRAFT", [2, 5]],
    ["OR OR ANSWERED DRAFT DELETED", [2, 4, 5]],
    ["NOT SEEN", except(1, 2, 8, 10, 12)],
    ["NOT NOT SEEN", [1, 2, 8, 10, 12]],
    ["NOT (SEEN FLAGGED)", except(10)],
    ["(SEEN FLAGGED)", [10]],
    ["(SEEN) (FLAGGED)", [10]],
    ["OR (FROM alice SEEN) (SUBJECT lunch NOT SEEN)", [1, 10, 11]],
    ["(OR SUBJECT lunch SUBJECT invoice) UID 1:10", [2, 9]],
    ["1:6 NOT 2:5", [1, 6]],
    ["((((ALL))))", ALL_FIXTURES],
    ['OR KEYWORD $Work TEXT "server is down"', [2, 6, 7]],
  ];
  for (const [criteria, expected] of table) {
    test(`UID SEARCH ${criteria} finds fixtures [${expected.join(",")}]`, async () => {
      const r = await client.command(`UID SEARCH ${criteria}`);
      expect(r.status).toBe("OK");
      expect(searchNumbers(r.untagged)).toEqual(uidsOf(...expected));
    });
  }
});

describe("sequence sets and UID ranges", () => {
  let client: ImapClient;
  beforeAll(async () => {
    client = await selected();
  });
  afterAll(async () => {
    await client.close();
  });

  test("SEARCH 1:3 names sequence numbers; UID SEARCH 1:3 returns their UIDs", async () => {
    expect(searchNumbers((await client.command("SEARCH 1:3")).untagged)).toEqual([1, 2, 3]);
    expect(searchNumbers((await client.command("UID SEARCH 1:3")).untagged)).toEqual([2, 3, 4]);
  });

  test('"*" is the last message, and "*:n" is the same range as "n:*"', async () => {
    expect(searchNumbers((await client.command("SEARCH *")).untagged)).toEqual([12]);
    expect(searchNumbers((await client.command("SEARCH *:11")).untagged)).toEqual([11, 12]);
    expect(searchNumbers((await client.command("UID SEARCH UID *")).untagged)).toEqual([13]);
  });

  test("UID n:* with n above every UID still matches the highest UID (RFC 3501 §6.4.8)", async () => {
    expect(searchNumbers((await client.command("UID SEARCH UID 100:*")).untagged)).toEqual([13]);
  });

  test("sequence numbers beyond the mailbox match nothing", async () => {
    expect(searchNumbers((await client.command("SEARCH 50:60")).untagged)).toEqual([]);
  });

  test("SEARCH UID picks by UID and answers sequence numbers", async () => {
    expect(searchNumbers((await client.command("SEARCH UID 2,4")).untagged)).toEqual([1, 3]);
  });
});

describe("charsets and decoded text", () => {
  let client: ImapClient;
  beforeAll(async () => {
    client = await selected();
  });
  afterAll(async () => {
    await client.close();
  });

  const literal = (prefix: string, value: string) => {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([Buffer.from(`${prefix}{${bytes.length}+}\r\n`), bytes]);
  };

  test("CHARSET UTF-8 with a literal finds an ISO-8859-1 Q-encoded subject", async () => {
    const r = await client.command(literal("UID SEARCH CHARSET UTF-8 SUBJECT ", "Café"));
    expect(r.status).toBe("OK");
    expect(searchNumbers(r.untagged)).toEqual(uidsOf(3));
  });

  test("a non-ASCII literal matches a quoted-printable UTF-8 body, case-insensitively", async () => {
    const r = await client.command(literal("UID SEARCH CHARSET utf-8 BODY ", "GRÜßE"));
    expect(searchNumbers(r.untagged)).toEqual(uidsOf(3));
  });

  test("a literal followed by more keys", async () => {
    const r = await client.command(
      Buffer.concat([literal("UID SEARCH CHARSET UTF-8 TEXT ", "café"), Buffer.from(" FLAGGED")]),
    );
    expect(searchNumbers(r.untagged)).toEqual(uidsOf(3));
    const none = await client.command(
      Buffer.concat([literal("UID SEARCH TEXT ", "café"), Buffer.from(" SEEN")]),
    );
    expect(searchNumbers(none.untagged)).toEqual([]);
  });

  test("CHARSET US-ASCII is accepted", async () => {
    const r = await client.command('UID SEARCH CHARSET US-ASCII SUBJECT "quarterly"');
    expect(searchNumbers(r.untagged)).toEqual(uidsOf(1));
  });

  test("matching ignores case on both sides", async () => {
    for (const criteria of [
      'SUBJECT "mixed case"',
      'SUBJECT "MIXED CASE SUBJECT"',
      'BODY "upper AND LOWER"',
    ]) {
      expect(searchNumbers((await client.command(`UID SEARCH ${criteria}`)).untagged)).toEqual(uidsOf(10));
    }
    expect(searchNumbers((await client.command('UID SEARCH FROM "BOB@BUILDER"')).untagged)).toEqual(
      uidsOf(2),
    );
  });

  test("a folded header is searched as one line with its whitespace collapsed", async () => {
    const r = await client.command('UID SEARCH SUBJECT "folded over  two"');
    expect(searchNumbers(r.untagged)).toEqual(uidsOf(12));
  });

  test("an unsupported charset is NO [BADCHARSET (UTF-8 US-ASCII)]", async () => {
    const r = await client.command('SEARCH CHARSET ISO-8859-1 SUBJECT "x"');
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[BADCHARSET (UTF-8 US-ASCII)]");
  });
});

describe("ESEARCH (RFC 4731)", () => {
  let client: ImapClient;
  beforeAll(async () => {
    client = await selected();
  });
  afterAll(async () => {
    await client.close();
  });

  test("RETURN (MIN MAX COUNT ALL) answers one ESEARCH with the tag", async () => {
    const r = await client.command("SEARCH RETURN (MIN MAX COUNT ALL) SEEN", "A5");
    expect(r.untagged).toEqual(['ESEARCH (TAG "A5") MIN 1 MAX 12 COUNT 5 ALL 1:2,8,10,12']);
  });

  test("UID SEARCH RETURN marks the answer UID and uses UIDs", async () => {
    const r = await client.command("UID SEARCH RETURN (MIN MAX COUNT ALL) SEEN", "A6");
    expect(r.untagged).toEqual(['ESEARCH (TAG "A6") UID MIN 2 MAX 13 COUNT 5 ALL 2:3,9,11,13']);
  });

  test("RETURN () means ALL", async () => {
    const r = await client.command("SEARCH RETURN () 1:4", "A7");
    expect(r.untagged).toEqual(['ESEARCH (TAG "A7") ALL 1:4']);
  });

  test("RETURN (COUNT) alone", async () => {
    const r = await client.command("UID SEARCH RETURN (COUNT) ALL", "A8");
    expect(r.untagged).toEqual(['ESEARCH (TAG "A8") UID COUNT 12']);
  });

  test("with no matches MIN, MAX and ALL are left out and COUNT is 0", async () => {
    const r = await client.command("SEARCH RETURN (MIN MAX ALL COUNT) RECENT", "A9");
    expect(r.untagged).toEqual(['ESEARCH (TAG "A9") COUNT 0']);
    const bare = await client.command("SEARCH RETURN (MIN) RECENT", "A10");
    expect(bare.untagged).toEqual(['ESEARCH (TAG "A10")']);
  });

  test("RETURN with CHARSET", async () => {
    const r = await client.command('SEARCH RETURN (COUNT) CHARSET UTF-8 SUBJECT "lunch"', "A11");
    expect(r.untagged).toEqual(['ESEARCH (TAG "A11") COUNT 2']);
  });

  test("RETURN (SAVE) alone answers nothing but the tagged OK (RFC 5182; more in searchres.test.ts)", async () => {
    const r = await client.command("SEARCH RETURN (SAVE) ALL");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual([]);
  });
});

describe("MODSEQ search (RFC 7162 §3.1.5)", () => {
  test("MODSEQ n matches messages at or above n and reports the highest", async () => {
    const client = await selected();
    const from = modseqs[9]!; // fixture 10
    const r = await client.command(`UID SEARCH MODSEQ ${from}`);
    expect(r.untagged).toContain(`SEARCH ${uidsOf(10, 11, 12).join(" ")} (MODSEQ ${modseqs[11]})`);
    await client.close();
  });

  test("MODSEQ with an entry name and type parses them and ignores them", async () => {
    const client = await selected();
    const r = await client.command(`SEARCH MODSEQ "/flags/\\\\draft" all ${modseqs[10]}`);
    expect(r.status).toBe("OK");
    expect(r.untagged).toContain(`SEARCH 11 12 (MODSEQ ${modseqs[11]})`);
    await client.close();
  });

  test("MODSEQ with no match answers a bare * SEARCH", async () => {
    const client = await selected();
    const r = await client.command("SEARCH MODSEQ 999999999");
    expect(r.untagged).toContain("SEARCH");
    await client.close();
  });

  test("ESEARCH MODSEQ: the matches' highest with ALL, the returned ones' with MIN alone", async () => {
    const client = await selected();
    const all = await client.command("SEARCH RETURN (ALL) MODSEQ 1 UNSEEN", "M1");
    // The first CONDSTORE-enabling command in the mailbox: HIGHESTMODSEQ follows (RFC 7162 §3.1).
    expect(all.untagged).toEqual([
      `ESEARCH (TAG "M1") ALL 3:7,9,11 MODSEQ ${modseqs[10]}`,
      `OK [HIGHESTMODSEQ ${modseqs[11]}] Highest`,
    ]);
    const min = await client.command("SEARCH RETURN (MIN) MODSEQ 1 UNSEEN", "M2");
    expect(min.untagged).toEqual([`ESEARCH (TAG "M2") MIN 3 MODSEQ ${modseqs[2]}`]);
    const minMax = await client.command("SEARCH RETURN (MIN MAX) MODSEQ 1 UNSEEN", "M3");
    expect(minMax.untagged).toEqual([`ESEARCH (TAG "M3") MIN 3 MAX 11 MODSEQ ${modseqs[10]}`]);
    await client.close();
  });

  test("a MODSEQ search enables CONDSTORE: later flag updates carry MODSEQ", async () => {
    await createAccounts(server, [{ address: "condstore@example.com" }]);
    await ingest("condstore@example.com", FIXTURES.slice(0, 2));
    const client = await selected("condstore@example.com");
    const before = await client.command("SEARCH MODSEQ 1");
    expect(before.status).toBe("OK");
    const account = await accountGet(server.store.read, "condstore@example.com");
    const box = await mailboxGet(server.store.read, account.id, "INBOX");
    const {
      changed: [changed],
    } = await server.store.write((w) =>
      messagesUpdateFlags(w, box.id, [1], {
        mode: "add",
        flags: flagsFromNames(["\\Flagged"]).flags,
        keywords: [],
      }),
    );
    const r = await client.command("NOOP");
    expect(r.untagged).toContain(
      `1 FETCH (UID 1 FLAGS (\\Seen \\Flagged \\Recent) MODSEQ (${changed!.modseq}))`,
    );
    await client.close();
  });
});

describe("the session's view", () => {
  test("a message delivered after SELECT is not searched until EXISTS is sent", async () => {
    await ingest("view@example.com", FIXTURES.slice(0, 3));
    const client = await selected("view@example.com");
    await ingest("view@example.com", FIXTURES.slice(3, 4));
    const first = await client.command("SEARCH ALL");
    expect(first.untagged).toEqual(["SEARCH 1 2 3", "4 EXISTS", "4 RECENT"]);
    const second = await client.command("SEARCH ALL");
    expect(second.untagged).toEqual(["SEARCH 1 2 3 4"]);
    await client.close();
  });

  test("SEARCH sends no EXPUNGE and keeps numbers; UID SEARCH then reports the EXPUNGE", async () => {
    const client = await selected("view@example.com");
    await expungeUids("view@example.com", [2]);
    const bySeq = await client.command("SEARCH ALL");
    expect(bySeq.untagged).toEqual(["SEARCH 1 3 4"]);
    const byUid = await client.command("UID SEARCH ALL");
    expect(byUid.untagged).toEqual(["SEARCH 1 3 4", "2 EXPUNGE"]);
    const after = await client.command("SEARCH ALL");
    expect(after.untagged).toEqual(["SEARCH 1 2 3"]);
    await client.close();
  });

  test("SEARCH in an empty mailbox answers a bare * SEARCH", async () => {
    const client = await selected("view@example.com", "Trash");
    const r = await client.command('SEARCH TEXT "x"');
    expect(r.untagged).toEqual(["SEARCH"]);
    await client.close();
  });

  test("SEARCH outside the selected state is BAD", async () => {
    const client = await ImapClient.login(port, "view@example.com");
    expect((await client.command("SEARCH ALL")).status).toBe("BAD");
    await client.close();
  });
});

describe("syntax errors are BAD", () => {
  let client: ImapClient;
  beforeAll(async () => {
    client = await selected();
  });
  afterAll(async () => {
    await client.close();
  });

  const bad = [
    "SEARCH",
    "SEARCH ",
    "SEARCH FROBNICATE",
    "SEARCH (ALL",
    "SEARCH ALL)",
    "SEARCH ()",
    "SEARCH OR ALL",
    "SEARCH NOT",
    "SEARCH LARGER x",
    "SEARCH LARGER 99999999999",
    "SEARCH BEFORE 32-Foo-2024",
    "SEARCH BEFORE 2024-01-01",
    "SEARCH HEADER Subject",
    "SEARCH KEYWORD \\Seen",
    "SEARCH UID x",
    "SEARCH 0",
    "SEARCH 1:0",
    "SEARCH $,2",
    "SEARCH ALL  SEEN",
    "SEARCH ALL ",
    'SEARCH SUBJECT "unterminated',
    "SEARCH CHARSET",
    "SEARCH CHARSET UTF-8",
    "SEARCH RETURN (BOGUS) ALL",
    "SEARCH RETURN ALL",
    "SEARCH MODSEQ",
    'SEARCH MODSEQ "/flags/\\\\seen" bogus 1',
    'SEARCH MODSEQ "/nonsense" all 1',
    `SEARCH ${"(".repeat(200)}ALL${")".repeat(200)}`,
    `SEARCH ${"NOT ".repeat(200)}ALL`,
    `SEARCH ${"ALL ".repeat(2000)}ALL`,
  ];
  for (const text of bad) {
    test(`${text.length > 60 ? `${text.slice(0, 40)}…` : JSON.stringify(text)} is BAD`, async () => {
      const r = await client.command(text);
      expect(r.status).toBe("BAD");
      expect(r.untagged.filter((l) => l.startsWith("SEARCH"))).toEqual([]);
      // Twenty BADs in a row end the session (IMAP_LIMITS.maxBadCommands); a good command resets the count.
      expect((await client.command("NOOP")).status).toBe("OK");
    });
  }

  test("the session works after the BAD answers", async () => {
    const r = await client.command("SEARCH 1");
    expect(r.untagged).toEqual(["SEARCH 1"]);
  });
});

describe("performance", () => {
  test("a TEXT search over 10,000 messages finishes well under a second", async () => {
    const account = await accountGet(server.store.read, "bulk@example.com");
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < 10_000; i++) {
      const raw = Buffer.from(
        `From: sender${i}@example.net\r\nTo: bulk@example.com\r\nSubject: message ${i}\r\nDate: Mon, 01 Jan 2024 08:00:00 +0000\r\n\r\n` +
          `${"Some ordinary body text that goes on for a while. ".repeat(20)}${i % 1000 === 7 ? "needle-in-haystack" : ""}\r\n`,
      );
      const parsed = parseMessage(raw);
      batch.push(
        server.store.write((w) =>
          messageIngest(w, { raw, parsed, targets: [{ accountId: account.id, mailboxName: "INBOX" }] }),
        ),
      );
      if (batch.length === 500) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
    const client = await selected("bulk@example.com");
    const started = performance.now();
    const r = await client.command('UID SEARCH TEXT "needle-in-haystack"');
    const elapsed = performance.now() - started;
    expect(searchNumbers(r.untagged)).toHaveLength(10);
    expect(elapsed).toBeLessThan(1000);
    const flags = performance.now();
    const unseen = await client.command("SEARCH RETURN (COUNT) UNSEEN", "P1");
    expect(unseen.untagged).toEqual(['ESEARCH (TAG "P1") COUNT 10000']);
    expect(performance.now() - flags).toBeLessThan(500);
    await client.close();
  }, 120_000);
});
