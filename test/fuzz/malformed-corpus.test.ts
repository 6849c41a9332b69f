/**
 * A corpus of malformed messages delivered over real SMTP to an in-process server, each then read
 * back through every door: REST (raw bytes and the parsed JSON view), POP3 (LIST, TOP, RETR) and IMAP
 * (FETCH BODY[], BODYSTRUCTURE, ENVELOPE, header and text sections, SEARCH). Every message must be
 * accepted with a 250, stored as sent (after the trace header the server prepends), and served
 * byte-exact with no crash and no BAD or NO. The big inputs are generated here, not checked in.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ImapClient } from "../harness/imap-client.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";

const MB = 1024 * 1024;
const ACCOUNT = "corpus@example.com";

const ascii = (text: string) => Buffer.from(text, "latin1");
const join = (...chunks: Array<string | Buffer>) =>
  Buffer.concat(chunks.map((c) => (typeof c === "string" ? ascii(c) : c)));

function nestedMultipart(levels: number): Buffer {
  let text = "From: nest@remote.example\r\nSubject: 1000 nested multiparts\r\n";
  for (let i = 0; i < levels; i++) text += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
  text += "Content-Type: text/plain\r\n\r\ninnermost\r\n";
  for (let i = levels - 1; i >= 0; i--) text += `--b${i}--\r\n`;
  return ascii(text);
}

function nestedMessages(levels: number): Buffer {
  let text = "From: nest@remote.example\r\nSubject: 1000 nested messages\r\n";
  for (let i = 0; i < levels; i++) text += `Content-Type: message/rfc822\r\n\r\nSubject: level ${i}\r\n`;
  return ascii(`${text}\r\ninnermost body\r\n`);
}

/** [name, message bytes]; every message is a Buffer so the comparisons are byte for byte. */
const CORPUS: Array<[string, Buffer]> = [
  [
    "missing closing boundary",
    ascii(
      "From: a@remote.example\r\nSubject: unclosed\r\nContent-Type: multipart/mixed; boundary=abc\r\n\r\n" +
        "--abc\r\nContent-Type: text/plain\r\n\r\nfirst\r\n--abc\r\nContent-Type: text/html\r\n\r\n<p>never closed\r\n",
    ),
  ],
  [
    "boundary never declared",
    ascii(
      "From: a@remote.example\r\nSubject: no boundary\r\nContent-Type: multipart/mixed\r\n\r\n" +
        "--abc\r\nContent-Type: text/plain\r\n\r\nbody\r\n--abc--\r\n",
    ),
  ],
  [
    "nested boundary equal to the parent's",
    ascii(
      "From: a@remote.example\r\nSubject: same boundary\r\nContent-Type: multipart/mixed; boundary=same\r\n\r\n" +
        "--same\r\nContent-Type: multipart/alternative; boundary=same\r\n\r\n--same\r\n\r\ninner\r\n--same--\r\n" +
        "--same\r\n\r\nouter\r\n--same--\r\n",
    ),
  ],
  ["1,000-level nested multipart", nestedMultipart(1000)],
  ["1,000-level nested message/rfc822", nestedMessages(1000)],
  [
    'charset="x-unknown" body',
    join(
      'From: a@remote.example\r\nSubject: unknown charset\r\nContent-Type: text/plain; charset="x-unknown"\r\n',
      "Content-Transfer-Encoding: 8bit\r\n\r\n",
      Buffer.from([0xe9, 0xe8, 0xff, 0x80, 0x0d, 0x0a]),
    ),
  ],
  [
    'charset="utf-7" body',
    ascii(
      'From: a@remote.example\r\nSubject: =?utf-7?Q?+AOk-t+AOk-?=\r\nContent-Type: text/plain; charset="utf-7"\r\n\r\n' +
        "Hi Mom -+Jjo--!\r\n+ZeVnLIqe-\r\n+broken\r\n",
    ),
  ],
  [
    "NUL bytes in header and body",
    join("From: a@remote.example\r\nSubject: nul\0inside\r\nX-Nul: \0\0\0\r\n\r\nbefore\0after\r\n\0\r\n"),
  ],
  [
    "8-bit Latin-1 headers",
    join(
      "From: ",
      Buffer.from("Jérôme Müller <jm@remote.example>", "latin1"),
      "\r\nSubject: ",
      Buffer.from("Grüße aus Köln – çà et là", "latin1"),
      "\r\n\r\nbody\r\n",
    ),
  ],
  [
    "invalid UTF-8 headers",
    join(
      "From: a@remote.example\r\nSubject: ",
      Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, 0xff, 0xfe]),
      "\r\nTo: ",
      Buffer.from([0xed, 0xa0, 0x80]),
      " <x@example.com>\r\n\r\nbody\r\n",
    ),
  ],
  [
    "lines over 998 octets",
    ascii(
      `From: a@remote.example\r\nSubject: ${"s".repeat(5000)}\r\nX-Long: ${"h ".repeat(10_000)}\r\n\r\n` +
        `${"b".repeat(100_000)}\r\n${".".repeat(3000)}\r\n`,
    ),
  ],
  [
    "a 20 MB single line",
    Buffer.concat([ascii("From: a@remote.example\r\nSubject: one line\r\n\r\n"), Buffer.alloc(20 * MB, "a")]),
  ],
  ["empty message (just a blank line)", ascii("\r\n")],
  ["header-only message", ascii("From: a@remote.example\r\nSubject: header only")],
  [
    "base64 with garbage",
    ascii(
      "From: a@remote.example\r\nSubject: bad base64\r\nContent-Type: application/octet-stream\r\n" +
        "Content-Transfer-Encoding: base64\r\n\r\naGVs*bG8=\r\n!!!!\r\n====\r\nd29y\u00e9bGQ\r\n=\r\nA\r\n",
    ),
  ],
  [
    "quoted-printable with bad escapes",
    ascii(
      "From: a@remote.example\r\nSubject: bad qp\r\nContent-Type: text/plain; charset=utf-8\r\n" +
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=4=\r\n=E2=82 =\r\nsoft=  \r\nend=\r\n=C3\r\n=",
    ),
  ],
  [
    "attached message with an empty body right before the delimiter",
    ascii(
      "From: a@remote.example\r\nSubject: empty inner\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" +
        "--x\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\n--x--\r\n",
    ),
  ],
  [
    "dot lines (stuffing on the way in and out)",
    ascii("From: a@remote.example\r\nSubject: dots\r\n\r\n.\r\n..\r\n.a\r\n. \r\n...\r\n"),
  ],
];

let server: TestServer;
/** What the server stored for each corpus entry, read over REST, in corpus order. */
const stored: Buffer[] = [];
const ids: number[] = [];
const uids: number[] = [];

const messagesUrl = `/api/v1/accounts/${encodeURIComponent(ACCOUNT)}`;

beforeAll(async () => {
  server = await startTestServer({ maxMessageSize: 30 * MB });
  await createAccounts(server, [{ address: ACCOUNT }]);
});

afterAll(async () => {
  await server?.close();
});

/** The bytes a POP3 client gets for a stored message: a CRLF ends a last line that had none. */
function popView(raw: Buffer): Buffer {
  return raw.length === 0 || raw.at(-1) === 0x0a ? raw : Buffer.concat([raw, ascii("\r\n")]);
}

/** The string (a literal, inlined as latin1, or "") that follows `label` in an untagged FETCH line. */
function literalAfter(line: string, label: string): Buffer {
  if (line.includes(`${label} "" `) || line.endsWith(`${label} "")`)) return Buffer.alloc(0);
  const at = line.indexOf(`${label} {`);
  if (at < 0) throw new Error(`no ${label} literal in ${JSON.stringify(line.slice(0, 2000))}`);
  const open = at + label.length + 1;
  const close = line.indexOf("}\r\n", open);
  const size = Number(line.slice(open + 1, close));
  return ascii(line.slice(close + 3, close + 3 + size));
}

describe("malformed messages over SMTP, served by REST, POP3 and IMAP", () => {
  test("every message of the corpus is accepted with a 250 and stored as sent", async () => {
    for (const [name, message] of CORPUS) {
      const reply = await sendMail(server.ports.smtp!, "sender@remote.example", [ACCOUNT], message);
      expect({ name, code: reply.code }).toEqual({ name, code: 250 });
    }
    const list = await server.api(`${messagesUrl}/mailboxes/INBOX/messages?limit=500`);
    expect(list.status).toBe(200);
    const items = ((await list.json()) as { items: Array<{ id: number; uid: number }> }).items;
    items.sort((a, b) => a.uid - b.uid);
    expect(items.length).toBe(CORPUS.length);
    for (const [i, [name, message]] of CORPUS.entries()) {
      const res = await server.api(`${messagesUrl}/messages/${items[i]!.id}/raw`);
      expect({ name, status: res.status }).toEqual({ name, status: 200 });
      const raw = Buffer.from(await res.arrayBuffer());
      // The server prepends its trace headers (Return-Path, Authentication-Results, Received) and
      // stores the rest exactly as sent; SMTP ends the last line with CRLF when the message did not.
      const sent = popView(message);
      const tail = raw.subarray(raw.length - sent.length);
      expect({ name, exact: tail.equals(sent) }).toEqual({ name, exact: true });
      expect(raw.subarray(0, raw.length - sent.length).toString("latin1")).toMatch(
        /^Return-Path: <[^>]*>\r\nAuthentication-Results: mx\.test\.example;\r\n[\s\S]*\r\nReceived: [\s\S]*\r\n$/,
      );
      stored.push(raw);
      ids.push(items[i]!.id);
      uids.push(items[i]!.uid);
    }
  });

  test("REST: the parsed JSON view of every message renders", async () => {
    expect(stored.length).toBe(CORPUS.length);
    for (const [i, [name]] of CORPUS.entries()) {
      const res = await server.api(`${messagesUrl}/messages/${ids[i]}`);
      expect({ name, status: res.status }).toEqual({ name, status: 200 });
      const json = (await res.json()) as { size: number; headers: unknown[] };
      expect({ name, size: json.size }).toEqual({ name, size: stored[i]!.length });
    }
  });

  test("POP3: LIST sizes, TOP and RETR give back the stored bytes exactly", async () => {
    expect(stored.length).toBe(CORPUS.length);
    const pop = await Pop3Client.login(server.ports.pop3!, ACCOUNT);
    try {
      for (const [i, [name]] of CORPUS.entries()) {
        const n = i + 1;
        const list = await pop.command(`LIST ${n}`);
        expect({ name, line: list.line }).toEqual({ name, line: `+OK ${n} ${stored[i]!.length}` });
        const top = await pop.multi(`TOP ${n} 0`);
        expect({ name, ok: top.ok }).toEqual({ name, ok: true });
        const body = await pop.retr(n);
        expect({ name, exact: body.equals(popView(stored[i]!)) }).toEqual({ name, exact: true });
      }
      expect((await pop.quit()).ok).toBe(true);
    } finally {
      if (!pop.isClosed) await pop.drop();
    }
  });

  test("IMAP: FETCH BODY[], BODYSTRUCTURE, ENVELOPE and sections answer OK with the exact bytes", async () => {
    expect(stored.length).toBe(CORPUS.length);
    const imap = await ImapClient.login(server.ports.imap!, ACCOUNT);
    try {
      expect((await imap.command("SELECT INBOX")).status).toBe("OK");
      for (const [i, [name]] of CORPUS.entries()) {
        const raw = stored[i]!;
        const r = await imap.command(
          `UID FETCH ${uids[i]} (UID RFC822.SIZE FLAGS ENVELOPE BODYSTRUCTURE BODY BODY.PEEK[HEADER] BODY.PEEK[TEXT] BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[]<0.64>)`,
        );
        expect({ name, status: r.status, text: r.text }).toEqual({
          name,
          status: "OK",
          text: "UID FETCH completed",
        });
        expect(r.untagged.length).toBe(1);
        const line = r.untagged[0]!;
        expect(line).toContain(`RFC822.SIZE ${raw.length}`);
        expect(line).toContain("BODYSTRUCTURE (");
        expect(line).toContain("ENVELOPE (");
        // The header and text sections together are the message; <0.64> is its first 64 octets.
        const header = literalAfter(line, "BODY[HEADER]");
        const text = literalAfter(line, "BODY[TEXT]");
        expect({ name, whole: Buffer.concat([header, text]).equals(raw) }).toEqual({ name, whole: true });
        expect(literalAfter(line, "BODY[]<0>").equals(raw.subarray(0, 64))).toBe(true);

        const full = await imap.command(`UID FETCH ${uids[i]} BODY[]`);
        expect({ name, status: full.status }).toEqual({ name, status: "OK" });
        const body = literalAfter(full.untagged[0]!, "BODY[]");
        expect({ name, exact: body.equals(raw) }).toEqual({ name, exact: true });
      }
      // SEARCH reads the stored parse of every message, TEXT and header keys included.
      for (const search of ['SEARCH TEXT "innermost"', 'SEARCH SUBJECT "nul"', "SEARCH LARGER 1000000"]) {
        const r = await imap.command(`UID ${search}`);
        expect({ search, status: r.status }).toEqual({ search, status: "OK" });
      }
      expect((await imap.command("LOGOUT")).status).toBe("OK");
    } finally {
      await imap.close();
    }
  });
});
