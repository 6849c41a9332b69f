/**
 * FETCH and UID FETCH over real sockets: every data item and section form against slices of the
 * stored bytes, partial fetches, implicit \Seen, CONDSTORE/QRESYNC modifiers, bad input, a large
 * mailbox, and Python's imaplib as a stock client. Messages are stored with messageIngest directly
 * (exact bytes, no trace headers), fixtures from test/fixtures/imap.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseMessage } from "../../src/mime/mod.ts";
import {
  accountGet,
  mailboxGet,
  messageIngest,
  messagesExpunge,
  messagesUpdateFlags,
  SEEN,
} from "../../src/store/mod.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { hasCommand, run } from "../harness/run.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";

const FIXTURES = join(import.meta.dir, "../fixtures/imap");
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));

// Stored in this order in alice's INBOX: UIDs 1..5.
const NESTED = fixture("nested.eml");
const SIMPLE = fixture("simple.eml");
const UTF8 = fixture("utf8.eml");
const MALFORMED = fixture("malformed.eml");
const FORWARD = fixture("forward.eml");

let server: TestServer;
let port: number;

/** Stores raw messages in an account's INBOX, in one write. */
async function ingest(address: string, raws: Buffer[], flags = 0): Promise<void> {
  const account = await accountGet(server.store.read, address);
  await server.store.write(async (w) => {
    for (const raw of raws) {
      await messageIngest(w, {
        raw,
        parsed: parseMessage(raw),
        internalDate: Date.UTC(2026, 2, 3, 10, 0, 0),
        targets: [{ accountId: account.id, mailboxName: "INBOX", flags }],
      });
    }
  });
}

async function inbox(address: string) {
  const account = await accountGet(server.store.read, address);
  return mailboxGet(server.store.read, account.id, "INBOX");
}

/** The value of one data item in a FETCH response line (literals are inlined latin1 by the client). */
function item(line: string, label: string): Buffer {
  const at = line.indexOf(`${label} `);
  if (at < 0) throw new Error(`no ${label} in ${JSON.stringify(line.slice(0, 300))}`);
  const p = at + label.length + 1;
  if (line.startsWith('""', p)) return Buffer.alloc(0);
  const m = /^\{(\d+)\}\r\n/.exec(line.slice(p, p + 20));
  if (!m) throw new Error(`${label} is not a literal: ${JSON.stringify(line.slice(p, p + 40))}`);
  const start = p + m[0].length;
  return Buffer.from(line.slice(start, start + Number(m[1])), "latin1");
}

/** The bytes of `raw` from the first `from` (or its end, with `after`) to the first `to` after that. */
function between(raw: Buffer, from: string, to: string | null, after = false): Buffer {
  const a = raw.indexOf(from);
  if (a < 0) throw new Error(`fixture lacks ${from}`);
  const start = after ? a + Buffer.byteLength(from) : a;
  const end = to === null ? raw.length : raw.indexOf(to, start);
  if (end < 0) throw new Error(`fixture lacks ${to}`);
  return raw.subarray(start, end);
}

async function selected(address: string, mailbox = "INBOX", before: string[] = []): Promise<ImapClient> {
  const client = await ImapClient.login(port, address);
  for (const c of before) expect((await client.command(c)).status).toBe("OK");
  expect((await client.command(`SELECT ${mailbox}`)).status).toBe("OK");
  return client;
}

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.imap!;
  await createAccounts(server, [
    { address: "alice@example.com" },
    { address: "bob@example.com" },
    { address: "carol@example.com" },
    { address: "dave@example.com" },
    { address: "erin@example.com" },
  ]);
  await ingest("alice@example.com", [NESTED, SIMPLE, UTF8, MALFORMED, FORWARD]);
});

afterAll(async () => {
  await server.close();
});

describe("data items", () => {
  let client: ImapClient;
  beforeAll(async () => {
    client = await selected("alice@example.com");
  });
  afterAll(async () => {
    await client.close();
  });

  test("FETCH BODYSTRUCTURE returns the hand-written structure of a single-part message", async () => {
    const r = await client.command("FETCH 2 BODYSTRUCTURE");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual([
      '2 FETCH (BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "us-ascii" "FORMAT" "flowed") NIL NIL "7BIT" 20 2 NIL NIL NIL NIL))',
    ]);
  });

  test("FETCH BODYSTRUCTURE of the nested message carries the RFC 2231 filename as a literal", async () => {
    const r = await client.command("FETCH 1 BODYSTRUCTURE");
    const line = r.untagged[0]!;
    expect(line).toStartWith(
      '1 FETCH (BODYSTRUCTURE ((("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 35 2 NIL NIL NIL NIL)',
    );
    const filename = Buffer.from("résumé Q1.pdf");
    expect(line).toContain(
      `("ATTACHMENT" ("FILENAME" {${filename.length}}\r\n${filename.toString("latin1")}))`,
    );
    expect(line).toEndWith(' "MIXED" ("BOUNDARY" "outer-boundary") NIL NIL NIL))');
  });

  test("FETCH FLAGS, INTERNALDATE, RFC822.SIZE and UID come from the message row", async () => {
    const r = await client.command("FETCH 2 (FLAGS INTERNALDATE RFC822.SIZE UID)");
    expect(r.untagged).toEqual([
      `2 FETCH (FLAGS () INTERNALDATE "03-Mar-2026 10:00:00 +0000" RFC822.SIZE ${SIMPLE.length} UID 2)`,
    ]);
  });

  test("FETCH ENVELOPE sends 8-bit UTF-8 header values as literals", async () => {
    const r = await client.command("FETCH 3 ENVELOPE");
    const subject = Buffer.from("=?ISO-8859-1?Q?Gr=FC=DFe?= und Küsse");
    expect(r.untagged[0]).toStartWith(
      `3 FETCH (ENVELOPE ("Thu, 5 Mar 2026 12:00:00 +0100" {${subject.length}}\r\n${subject.toString("latin1")} (("=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?=" NIL "juergen" "example.de"))`,
    );
  });

  test("the ALL, FAST and FULL macros expand to their items", async () => {
    const all = (await client.command("FETCH 2 ALL")).untagged[0]!;
    expect(all).toMatch(/^2 FETCH \(FLAGS \(\) INTERNALDATE "[^"]+" RFC822\.SIZE \d+ ENVELOPE \(.*\)\)$/);
    const fast = (await client.command("FETCH 2 FAST")).untagged[0]!;
    expect(fast).toMatch(/^2 FETCH \(FLAGS \(\) INTERNALDATE "[^"]+" RFC822\.SIZE \d+\)$/);
    const full = (await client.command("FETCH 2 FULL")).untagged[0]!;
    expect(full).toContain(
      ' BODY ("TEXT" "PLAIN" ("CHARSET" "us-ascii" "FORMAT" "flowed") NIL NIL "7BIT" 20 2))',
    );
  });

  test("UID FETCH always includes UID, first when it was not asked for", async () => {
    const r = await client.command("UID FETCH 2:3 FLAGS");
    expect(r.untagged).toEqual(["2 FETCH (UID 2 FLAGS ())", "3 FETCH (UID 3 FLAGS ())"]);
  });

  test("RFC822, RFC822.HEADER and RFC822.TEXT return the message, its header and its body", async () => {
    const line = (await client.command("FETCH 2 (RFC822.HEADER RFC822.TEXT)")).untagged[0]!;
    const headerEnd = SIMPLE.indexOf("\r\n\r\n") + 4;
    expect(item(line, "RFC822.HEADER")).toEqual(SIMPLE.subarray(0, headerEnd));
    expect(item(line, "RFC822.TEXT")).toEqual(SIMPLE.subarray(headerEnd));
  });
});

describe("body sections", () => {
  let client: ImapClient;
  beforeAll(async () => {
    client = await selected("alice@example.com");
  });
  afterAll(async () => {
    await client.close();
  });

  const nestedHeaderEnd = NESTED.indexOf("\r\n\r\n") + 4;
  const forwardHeaderEnd = FORWARD.indexOf("\r\n\r\n") + 4;
  const cases: Array<[number, string, Buffer | string]> = [
    [1, "", NESTED],
    [1, "HEADER", NESTED.subarray(0, nestedHeaderEnd)],
    [1, "TEXT", NESTED.subarray(nestedHeaderEnd)],
    [
      1,
      "HEADER.FIELDS (subject FROM)",
      "From: Alice Example <alice@example.org>\r\nSubject: Quarterly report\r\n\r\n",
    ],
    [
      1,
      "HEADER.FIELDS.NOT (Received Return-Path Content-Type MIME-Version Message-ID Date Cc To)",
      "From: Alice Example <alice@example.org>\r\nSubject: Quarterly report\r\n\r\n",
    ],
    [1, "1", between(NESTED, "--alt-boundary\r\n", "\r\n--outer-boundary\r\nContent-Type: application/pdf")],
    [1, "1.MIME", "Content-Type: multipart/alternative; boundary=alt-boundary\r\n\r\n"],
    [1, "1.1", "Hello Bob,\r\nthe report is attached."],
    [1, "1.2", "<p>Hello Bob,<br>the report is attached.</p>"],
    [1, "1.2.MIME", between(NESTED, 'Content-Type: text/html; charset="utf-8"', "<p>")],
    [1, "2", between(NESTED, "report.pdf\r\n\r\n", "\r\n--outer-boundary", true)],
    [1, "3", between(NESTED, "From: Carol", "\r\n--outer-boundary--")],
    [1, "3.HEADER", between(NESTED, "From: Carol", "--inner\r\n")],
    [1, "3.TEXT", between(NESTED, "--inner\r\n", "\r\n--outer-boundary--")],
    [1, "3.HEADER.FIELDS (Subject)", "Subject: Inner message\r\n\r\n"],
    [1, "3.MIME", "Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n"],
    [1, "3.1", "inner text"],
    [1, "3.2", "iVBORw0KGgo="],
    [1, "3.2.MIME", "Content-Type: image/png; name=dot.png\r\nContent-Transfer-Encoding: base64\r\n\r\n"],
    [1, "4", ""],
    [1, "1.1.1", ""],
    [1, "1.1.HEADER", ""],
    [1, "3.2.1", ""],
    [2, "1", "Line one\r\nLine two\r\n"],
    [2, "2", ""],
    [4, "2", "second part, never closed\r\n"],
    [5, "1", "see below"],
    [5, "2.HEADER", "From: Frank <frank@example.org>\r\nSubject: hello\r\nX-Trace: one\r\n\r\n"],
    [5, "2.HEADER.FIELDS.NOT (x-trace)", "From: Frank <frank@example.org>\r\nSubject: hello\r\n\r\n"],
    [5, "2.TEXT", "just text"],
    [5, "2.1", "just text"],
    [5, "TEXT", FORWARD.subarray(forwardHeaderEnd)],
  ];
  for (const [seq, section, expected] of cases) {
    test(`FETCH ${seq} BODY.PEEK[${section}] returns exactly the expected bytes`, async () => {
      const r = await client.command(`FETCH ${seq} (BODY.PEEK[${section}])`);
      expect(r.status).toBe("OK");
      expect(r.untagged).toHaveLength(1);
      const label = `BODY[${section.replace(/^([\d.]*)([a-z.]+)/i, (_, p: string, t: string) => p + t.toUpperCase())}]`;
      expect(item(r.untagged[0]!, label)).toEqual(Buffer.from(expected));
    });
  }

  test("FETCH BODY[1.2.HEADER] of a non-message part and a part past the end are empty strings", async () => {
    const r = await client.command("FETCH 1 (BODY.PEEK[1.2.HEADER] BODY.PEEK[9.9])");
    expect(r.untagged).toEqual(['1 FETCH (BODY[1.2.HEADER] "" BODY[9.9] "")']);
  });

  test("a partial fetch returns the octets from the origin and labels the response with it", async () => {
    const r = await client.command(
      "FETCH 1 (BODY.PEEK[]<0.10> BODY.PEEK[1.1]<6.100> BODY.PEEK[1.1]<5000.10>)",
    );
    const line = r.untagged[0]!;
    expect(item(line, "BODY[]<0>")).toEqual(NESTED.subarray(0, 10));
    expect(item(line, "BODY[1.1]<6>").toString()).toBe("Bob,\r\nthe report is attached.");
    expect(item(line, "BODY[1.1]<5000>").length).toBe(0);
  });

  test("a FETCH of several messages answers each in sequence order", async () => {
    const r = await client.command("FETCH 1:5 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
    expect(r.untagged.map((l) => l.split(" ")[0])).toEqual(["1", "2", "3", "4", "5"]);
    expect(item(r.untagged[4]!, "BODY[HEADER.FIELDS (SUBJECT)]").toString()).toBe(
      "Subject: Fwd: hello\r\n\r\n",
    );
  });
});

describe("implicit \\Seen", () => {
  test("BODY.PEEK[] leaves \\Seen alone and BODY[] sets it, reporting FLAGS once", async () => {
    await ingest("carol@example.com", [SIMPLE, SIMPLE]);
    const client = await selected("carol@example.com");
    const watcher = await selected("carol@example.com");
    const peek = await client.command("FETCH 1 BODY.PEEK[]");
    expect(peek.untagged[0]).not.toContain("FLAGS");
    expect((await client.command("FETCH 1 FLAGS")).untagged).toEqual(["1 FETCH (FLAGS ())"]);

    const read = await client.command("FETCH 1 BODY[TEXT]");
    expect(read.untagged).toEqual([`1 FETCH (BODY[TEXT] {20}\r\nLine one\r\nLine two\r\n FLAGS (\\Seen))`]);
    expect((await client.command("NOOP")).untagged).toEqual([]);
    // Already seen: nothing changes, so no FLAGS.
    expect((await client.command("FETCH 1 BODY[TEXT]")).untagged[0]).not.toContain("FLAGS");
    // Another session learns of the change the usual way.
    expect((await watcher.command("NOOP")).untagged).toEqual(["1 FETCH (UID 1 FLAGS (\\Seen))"]);
    await client.close();
    await watcher.close();
  });

  test("RFC822.HEADER does not set \\Seen but RFC822 does", async () => {
    const client = await selected("carol@example.com");
    expect((await client.command("FETCH 2 RFC822.HEADER")).untagged[0]).not.toContain("FLAGS");
    expect((await client.command("FETCH 2 FLAGS")).untagged).toEqual(["2 FETCH (FLAGS ())"]);
    expect((await client.command("FETCH 2 RFC822")).untagged[0]).toEndWith(" FLAGS (\\Seen))");
    await client.close();
  });

  test("FETCH (FLAGS BODY[]) on an unseen message sends FLAGS once, with \\Seen", async () => {
    await ingest("carol@example.com", [SIMPLE]);
    const client = await selected("carol@example.com");
    const r = await client.command("FETCH 3 (FLAGS BODY[])");
    expect(r.untagged).toHaveLength(1);
    expect(r.untagged[0]).toStartWith("3 FETCH (FLAGS (\\Seen) BODY[] {");
    expect(r.untagged[0]!.match(/FLAGS/g)).toHaveLength(1);
    expect((await client.command("NOOP")).untagged).toEqual([]);
    await client.close();
  });

  test("BODY[] in a mailbox opened with EXAMINE does not set \\Seen", async () => {
    await ingest("erin@example.com", [SIMPLE]);
    const client = await ImapClient.login(port, "erin@example.com");
    await client.command("EXAMINE INBOX");
    expect((await client.command("FETCH 1 BODY[]")).untagged[0]).not.toContain("FLAGS");
    expect((await client.command("FETCH 1 FLAGS")).untagged).toEqual(["1 FETCH (FLAGS ())"]);
    await client.close();
  });
});

describe("CONDSTORE and QRESYNC", () => {
  test("UID FETCH with CHANGEDSINCE returns only messages changed since, with MODSEQ", async () => {
    await ingest("dave@example.com", [SIMPLE, SIMPLE, SIMPLE]);
    const box = await inbox("dave@example.com");
    const client = await selected("dave@example.com");
    const since = box.highestModseq;
    const {
      changed: [changed],
    } = await server.store.write((w) =>
      messagesUpdateFlags(w, box.id, [2], { mode: "add", flags: SEEN, keywords: [] }),
    );
    await client.command("NOOP");
    const r = await client.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${since})`);
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual([`2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ (${changed!.modseq}))`]);
    // CHANGEDSINCE turned CONDSTORE on: every later FETCH carries MODSEQ.
    expect((await client.command("FETCH 1 FLAGS")).untagged[0]).toMatch(
      /^1 FETCH \(FLAGS \(\) MODSEQ \(\d+\)\)$/,
    );
    await client.close();
  });

  test("FETCH MODSEQ returns the message's mod-sequence", async () => {
    const client = await selected("dave@example.com");
    expect((await client.command("FETCH 1 (MODSEQ)")).untagged[0]).toMatch(/^1 FETCH \(MODSEQ \(\d+\)\)$/);
    await client.close();
  });

  test("UID FETCH (CHANGEDSINCE n VANISHED) reports expunged UIDs of the requested set as VANISHED (EARLIER)", async () => {
    const client = await selected("dave@example.com", "INBOX", ["ENABLE QRESYNC"]);
    const box = await inbox("dave@example.com");
    const since = box.highestModseq;
    await server.store.write((w) => messagesExpunge(w, box, [1]));
    expect((await client.command("NOOP")).untagged).toEqual(["VANISHED 1"]);
    const r = await client.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${since} VANISHED)`);
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual(["VANISHED (EARLIER) 1"]);
    const outside = await client.command(`UID FETCH 2:* (FLAGS) (CHANGEDSINCE ${since} VANISHED)`);
    expect(outside.untagged).toEqual([]);
    await client.close();
  });

  test("VANISHED is BAD without QRESYNC, without CHANGEDSINCE and in a non-UID FETCH", async () => {
    const plain = await selected("dave@example.com");
    expect((await plain.command("UID FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)")).status).toBe("BAD");
    await plain.close();
    const client = await selected("dave@example.com", "INBOX", ["ENABLE QRESYNC"]);
    expect((await client.command("UID FETCH 1:* FLAGS (VANISHED)")).status).toBe("BAD");
    expect((await client.command("FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)")).status).toBe("BAD");
    await client.close();
  });
});

describe("message sets and bad input", () => {
  let client: ImapClient;
  beforeAll(async () => {
    client = await selected("alice@example.com");
  });
  afterAll(async () => {
    await client.close();
  });

  test("FETCH of a sequence number beyond EXISTS is BAD", async () => {
    const r = await client.command("FETCH 6 FLAGS");
    expect(r.status).toBe("BAD");
    expect(r.untagged).toEqual([]);
    expect((await client.command("FETCH 4:9 FLAGS")).status).toBe("BAD");
  });

  test("FETCH 1:* in an empty mailbox is OK with no responses", async () => {
    const empty = await selected("alice@example.com", "Trash");
    const r = await empty.command("FETCH 1:* FLAGS");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual([]);
    expect((await empty.command("FETCH 1 FLAGS")).status).toBe("BAD");
    await empty.close();
  });

  test("UID FETCH of UIDs that do not exist is OK with no responses", async () => {
    const r = await client.command("UID FETCH 90:99 FLAGS");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual([]);
  });

  const bad = [
    "FETCH 1",
    "FETCH 1 ()",
    "FETCH 1 BOGUS",
    "FETCH 1 (FLAGS BOGUS)",
    "FETCH 1 (ALL)",
    "FETCH 1 (BODY[0])",
    "FETCH 1 (BODY[1.0])",
    "FETCH 1 (BODY[MIME])",
    "FETCH 1 (BODY[1.MIMEX])",
    "FETCH 1 (BODY[1.])",
    "FETCH 1 (BODY[HEADER.FIELDS ()])",
    "FETCH 1 (BODY[HEADER.FIELDS])",
    "FETCH 1 (BODY[HEADER.FIELDS (Subject])",
    'FETCH 1 (BODY[HEADER.FIELDS ("Sub ject")])',
    "FETCH 1 (BODY[]<0.0>)",
    "FETCH 1 (BODY[]<1>)",
    "FETCH 1 (BODY[]",
    "FETCH 1 (BODY.PEEK)",
    "FETCH 1 (BINARY[1.HEADER])", // BINARY takes part numbers only (RFC 3516 §7)
    `FETCH 1 (BODY[${Array(300).fill("1").join(".")}])`,
    "FETCH 1 (FLAGS) (BOGUS)",
    "FETCH 1 (FLAGS) (CHANGEDSINCE x)",
    "FETCH 1 (FLAGS) trailing",
    "FETCH $ FLAGS",
    "FETCH 0 FLAGS",
  ];
  for (const command of bad) {
    test(`${command.slice(0, 60)} is BAD and the session goes on`, async () => {
      expect((await client.command(command)).status).toBe("BAD");
      expect((await client.command("NOOP")).status).toBe("OK");
    });
  }
});

describe("a large mailbox", () => {
  test("UID FETCH 1:* (FLAGS ENVELOPE) over 2,000 messages returns 2,000 responses", async () => {
    const raws = Array.from({ length: 2000 }, (_, i) =>
      Buffer.from(
        `From: Sender ${i} <s${i}@example.org>\r\nTo: bob@example.com\r\nSubject: message ${i}\r\n\r\nbody ${i}\r\n`,
      ),
    );
    for (let i = 0; i < raws.length; i += 500) await ingest("bob@example.com", raws.slice(i, i + 500));
    const client = await selected("bob@example.com");
    const r = await client.command("UID FETCH 1:* (FLAGS ENVELOPE)");
    expect(r.status).toBe("OK");
    expect(r.untagged).toHaveLength(2000);
    expect(r.untagged[1999]).toStartWith('2000 FETCH (UID 2000 FLAGS () ENVELOPE (NIL "message 1999" ');
    await client.close();
  });
});

describe("stock clients", () => {
  test("Python imaplib fetches BODYSTRUCTURE and BODY[] and gets the exact bytes", async () => {
    if (!(await hasCommand("python3"))) throw new Error("python3 is not installed");
    const script = `
import imaplib, json, sys, base64
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login("alice@example.com", "secret")
m.select("INBOX")
typ, data = m.fetch("1", "(BODYSTRUCTURE BODY[])")
# imaplib splits the response at each literal: (text before it, literal bytes) pairs, then the rest.
pairs = [d for d in data if isinstance(d, tuple)]
body = [b for (h, b) in pairs if h.endswith(b"BODY[] {%d}" % len(b))]
out = {"status": typ, "head": pairs[0][0].decode("latin1"), "filename": pairs[0][1].decode("utf-8"),
       "body": base64.b64encode(body[0]).decode()}
typ, data = m.uid("FETCH", "5", "(BODY.PEEK[2.HEADER])")
out["uid"] = [typ, data[0][0].decode("latin1"), data[0][1].decode("latin1")]
m.logout()
print(json.dumps(out))
`;
    const result = await run("python3", ["-c", script, String(port)]);
    expect(result.stderr).toBe("");
    const out = JSON.parse(result.stdout);
    expect(out.status).toBe("OK");
    expect(out.head).toStartWith("1 (BODYSTRUCTURE (((");
    expect(out.filename).toBe("résumé Q1.pdf");
    expect(Buffer.from(out.body, "base64").toString("latin1")).toBe(NESTED.toString("latin1"));
    expect(out.uid[0]).toBe("OK");
    expect(out.uid[1]).toStartWith("5 (UID 5 BODY[2.HEADER] {");
    expect(out.uid[2]).toBe("From: Frank <frank@example.org>\r\nSubject: hello\r\nX-Trace: one\r\n\r\n");
  });
});
