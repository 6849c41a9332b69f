import { describe, expect, test } from "bun:test";
import { messageToJson, parseMessage } from "../../src/mime/mod.ts";
import { bytes, crlf } from "./helpers.ts";

const simple = crlf(
  "Return-Path: <alice@example.com>",
  "From: Alice Example <alice@example.com>",
  "To: Bob <bob@example.net>, carol@example.org",
  "Cc: undisclosed:;",
  "Subject: =?utf-8?B?SGVsbG8g8J+Riw==?=",
  "Date: Tue, 2 Jan 2024 03:04:05 -0800 (PST)",
  "Message-ID: <m1@example.com>",
  "In-Reply-To: <m0@example.com>",
  "",
  "Hi Bob,",
  "",
  "   how   are you?",
  "",
);

const withAttachment = crlf(
  "From: =?iso-8859-1?Q?J=F6rg?= <j@x.de>",
  "To: a@b.c",
  "Subject: report",
  "Content-Type: multipart/mixed; boundary=m",
  "",
  "--m",
  "Content-Type: multipart/alternative; boundary=a",
  "",
  "--a",
  "Content-Type: text/plain; charset=iso-8859-1",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "Sch=F6ne Gr=FC=DFe, the report is =",
  "attached.",
  "--a",
  "Content-Type: text/html; charset=utf-8",
  "",
  "<html><head><style>p{color:red}</style></head><body><p>Sch&ouml;ne <b>Gr&uuml;&szlig;e</b>&nbsp;&amp; more</p></body></html>",
  "--a--",
  "--m",
  "Content-Type: multipart/related; boundary=r",
  "",
  "--r",
  "Content-Type: image/png",
  "Content-ID: <logo>",
  "Content-Transfer-Encoding: base64",
  "",
  "iVBORw==",
  "--r--",
  "--m",
  'Content-Type: application/pdf; name="=?utf-8?q?B=C3=A9richt.pdf?="',
  "Content-Disposition: attachment",
  "Content-Transfer-Encoding: base64",
  "",
  "JVBERi0xLjQK",
  "JSVFT0YK",
  "--m--",
);

describe("parseMessage() derived fields", () => {
  test("parseMessage() reads a simple text message", () => {
    const p = parseMessage(simple);
    expect(p.subject).toBe("Hello 👋");
    expect(p.envelope.subject).toBe("=?utf-8?B?SGVsbG8g8J+Riw==?=");
    expect(p.from).toBe("Alice Example <alice@example.com>");
    expect(p.to).toBe("Bob <bob@example.net>, carol@example.org");
    expect(p.date).toBe(Date.UTC(2024, 0, 2, 11, 4, 5));
    expect(p.preview).toBe("Hi Bob, how are you?");
    expect(p.searchText).toBe("hi bob, how are you?");
    expect(p.hasAttachments).toBe(false);
    expect(p.envelope).toEqual({
      date: "Tue, 2 Jan 2024 03:04:05 -0800 (PST)",
      subject: "=?utf-8?B?SGVsbG8g8J+Riw==?=",
      from: [{ name: "Alice Example", mailbox: "alice", host: "example.com" }],
      sender: [{ name: "Alice Example", mailbox: "alice", host: "example.com" }],
      replyTo: [{ name: "Alice Example", mailbox: "alice", host: "example.com" }],
      to: [
        { name: "Bob", mailbox: "bob", host: "example.net" },
        { name: null, mailbox: "carol", host: "example.org" },
      ],
      cc: [
        { name: null, mailbox: "undisclosed", host: null },
        { name: null, mailbox: null, host: null },
      ],
      bcc: null,
      inReplyTo: "<m0@example.com>",
      messageId: "<m1@example.com>",
    });
    expect(p.searchHeaders.split("\n")).toEqual([
      "return-path: <alice@example.com>",
      "from: alice example <alice@example.com>",
      "to: bob <bob@example.net>, carol@example.org",
      "cc: undisclosed:;",
      "subject: hello 👋",
      "date: tue, 2 jan 2024 03:04:05 -0800 (pst)",
      "message-id: <m1@example.com>",
      "in-reply-to: <m0@example.com>",
    ]);
  });

  test("parseMessage() keeps Sender and Reply-To when present", () => {
    const p = parseMessage(crlf("From: a@x", "Sender: s@x", "Reply-To: r@x", "", ""));
    expect(p.envelope.sender).toEqual([{ name: null, mailbox: "s", host: "x" }]);
    expect(p.envelope.replyTo).toEqual([{ name: null, mailbox: "r", host: "x" }]);
  });

  const dates: Array<[string, number | null]> = [
    ["Mon, 1 Jan 2024 00:00:00 +0000", Date.UTC(2024, 0, 1)],
    ["1 Jan 2024 00:00 GMT", Date.UTC(2024, 0, 1)],
    ["Mon, 01 Jan 24 01:00:00 +0100", Date.UTC(2024, 0, 1)],
    ["Fri, 31 Dec 99 19:00:00 EST", Date.UTC(2000, 0, 1)],
    ["Sat, 1 Jan 100 00:00:00 +0000", Date.UTC(2000, 0, 1)],
    ["2024-01-01T00:00:00Z", Date.UTC(2024, 0, 1)],
    ["not a date", null],
  ];
  test.each(dates)("parseMessage() parses the date %s", (value, expected) => {
    expect(parseMessage(crlf(`Date: ${value}`, "", "")).date).toBe(expected);
  });

  // RFC 3501 §6.4.4: SENT* keys take the date as the Date header writes it, in its own zone.
  const days: Array<[string, string | null]> = [
    ["Sun, 25 Mar 2007 00:00:00 +0200", "2007-03-25"],
    ["Sat, 24 Mar 2007 23:30:00 -0500", "2007-03-24"],
    ["Mon, 01 Jan 24 01:00:00 +0100", "2024-01-01"],
    ["Fri, 31 Dec 99 19:00:00 EST", "1999-12-31"],
    ["2007-03-25T00:30:00+02:00", "2007-03-25"],
    ["not a date", null],
  ];
  test.each(days)("parseMessage() takes the sent day of %s in its own zone", (value, expected) => {
    const day = parseMessage(crlf(`Date: ${value}`, "", "")).sentDay;
    expect(day === null ? null : new Date(day * 86_400_000).toISOString().slice(0, 10)).toBe(expected);
  });

  test("parseMessage() adds the parsed addresses to the search headers (RFC 5322 §3.4)", () => {
    const p = parseMessage(
      crlf(
        "From: <user-from (comment)@ (comment) domain.org>",
        "To: Joe\r\n (the boss) <joe@example.org>",
        "",
        "",
      ),
    );
    expect(p.searchHeaders.split("\n")).toContain("from: user-from@domain.org");
    expect(p.searchHeaders.split("\n")).toContain("to: joe <joe@example.org>");
  });

  test("parseMessage() adds no address line the header already spells the same way", () => {
    const p = parseMessage(crlf("From: Alice <alice@example.org>", "", ""));
    expect(p.searchHeaders).toBe("from: alice <alice@example.org>");
  });

  test("parseMessage() builds preview and search text from decoded text and HTML parts", () => {
    const p = parseMessage(withAttachment);
    expect(p.from).toBe("Jörg <j@x.de>");
    expect(p.preview).toBe("Schöne Grüße, the report is attached.");
    expect(p.searchText).toBe("schöne grüße, the report is attached. schöne grüße & more");
    expect(p.hasAttachments).toBe(true);
  });

  test("parseMessage() handles a message without header, without body, and empty input", () => {
    const noHeader = parseMessage(bytes("Hello there\r\nsecond line"));
    expect([noHeader.headerEnd, noHeader.structure.size, noHeader.preview]).toEqual([
      0,
      24,
      "Hello there second line",
    ]);
    const noBody = parseMessage(bytes("Subject: only a header\r\n"));
    expect([noBody.headerEnd, noBody.structure.size, noBody.subject]).toEqual([24, 0, "only a header"]);
    const empty = parseMessage(new Uint8Array(0));
    expect(empty).toMatchObject({ headerEnd: 0, subject: "", from: "", to: "", date: null, preview: "" });
    expect(empty.structure).toMatchObject({ partId: "1", start: 0, bodyStart: 0, end: 0, size: 0, lines: 0 });
  });
});

describe("messageToJson()", () => {
  test("messageToJson() gives decoded headers, bodies and the attachment list", () => {
    const json = messageToJson(withAttachment, parseMessage(withAttachment));
    expect(json.headers[0]).toEqual({ name: "From", value: "Jörg <j@x.de>" });
    expect(json.from).toEqual([{ name: "Jörg", mailbox: "j", host: "x.de" }]);
    expect(json.to).toEqual([{ name: null, mailbox: "a", host: "b.c" }]);
    expect(json.cc).toEqual([]);
    expect(json.subject).toBe("report");
    expect(json.text).toBe("Schöne Grüße, the report is attached.");
    expect(json.html).toStartWith("<html><head>");
    // The related image has a Content-ID and no disposition: an embedded resource, not an attachment.
    expect(json.attachments).toEqual([
      {
        partId: "3",
        filename: "Béricht.pdf",
        contentType: "application/pdf",
        size: 15,
        disposition: "attachment",
        contentId: null,
      },
    ]);
  });

  test("messageToJson() reports the date as ISO 8601 and flattens groups", () => {
    const json = messageToJson(simple, parseMessage(simple));
    expect(json.date).toBe("2024-01-02T11:04:05.000Z");
    expect(json.messageId).toBe("<m1@example.com>");
    expect(json.cc).toEqual([]);
    expect(json.text).toBe("Hi Bob,\r\n\r\n   how   are you?\r\n");
    expect(json.html).toBeNull();
    expect(json.attachments).toEqual([]);
  });

  test("messageToJson() lists attached messages and unnamed non-text parts as attachments", () => {
    const raw = crlf(
      "Content-Type: multipart/mixed; boundary=b",
      "",
      "--b",
      "",
      "body",
      "--b",
      "Content-Type: message/rfc822",
      "",
      "Subject: fwd",
      "",
      "x",
      "--b",
      "Content-Type: image/gif",
      "Content-Disposition: inline",
      "",
      "GIF",
      "--b",
      "Content-Type: application/octet-stream",
      "",
      "bin",
      "--b--",
    );
    const json = messageToJson(raw, parseMessage(raw));
    expect(json.text).toBe("body");
    expect(json.attachments.map((a) => [a.partId, a.contentType, a.size])).toEqual([
      ["2", "message/rfc822", 17],
      ["4", "application/octet-stream", 3],
    ]);
  });
});
