/**
 * The compact stored form of the parse at delivery (src/store/content-codec.ts, issue 12): every
 * envelope and MIME tree reads back exactly as parsed, the object form stored by earlier releases
 * still reads, and the compact form is much smaller than the object form. An envelope stored beside
 * its contents row's columns reads back exactly too, whether its fields refer to the columns or not.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { mailCorpus } from "../../bench/lib/mail-corpus.ts";
import { parseMessage, searchHeadersOfHeader } from "../../src/mime/mod.ts";
import {
  envelopeDateDecode,
  envelopeDecode,
  envelopeEncode,
  structureDecode,
  structureEncode,
} from "../../src/store/content-codec.ts";
import { envelopeColumnsOf } from "../../src/store/contents.ts";

const fixtures = join(import.meta.dir, "../fixtures/imap");

const crafted: Array<[string, string]> = [
  ["empty subject, no date", "From: a@b.example\r\nSubject:\r\n\r\nbody\r\n"],
  ["no header at all", "\r\njust a body"],
  ["a part without parameters", "Content-Type: application/octet-stream\r\n\r\nAAAA\r\n"],
  ["an explicit US-ASCII charset", "Content-Type: text/plain; charset=US-ASCII; format=flowed\r\n\r\nhi\r\n"],
  [
    "group, source route, Sender and Reply-To of their own",
    'From: A <a@b.example>\r\nSender: s@b.example\r\nReply-To: undisclosed:;\r\nTo: team: x@y.example, <@relay1,@relay2:z@w.example>;\r\nCc: "" <c@d.example>\r\nBcc: b@e.example\r\nIn-Reply-To: <p@x>\r\nMessage-ID: <m@x>\r\n\r\nhi\r\n',
  ],
  [
    "multipart with an attached message, parameters, disposition, language and location",
    [
      "From: a@b.example",
      'Content-Type: multipart/mixed; boundary="XX"',
      "",
      "--XX",
      "Content-Type: text/html; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "Content-ID: <c1@x>",
      "Content-Description: ",
      "Content-Language: en, de",
      "Content-Location: http://x.example/a",
      "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==",
      "",
      "<p>hi=3D</p>",
      "--XX",
      "Content-Type: message/rfc822",
      'Content-Disposition: attachment; filename="m.eml"',
      "",
      "From: inner@x.example",
      "Subject: inner",
      "",
      "inner body",
      "--XX--",
      "",
    ].join("\r\n"),
  ],
];

const messages: Array<[string, Uint8Array]> = [
  ...mailCorpus().map((m) => [m.kind, m.raw] as [string, Uint8Array]),
  ...readdirSync(fixtures).map((f) => [f, readFileSync(join(fixtures, f))] as [string, Uint8Array]),
  ...crafted.map(([name, text]) => [name, Buffer.from(text)] as [string, Uint8Array]),
];

for (const [name, raw] of messages) {
  test(`the envelope and structure of "${name}" read back exactly as parsed`, () => {
    const parsed = parseMessage(raw);
    expect(envelopeDecode(envelopeEncode(parsed.envelope))).toEqual(parsed.envelope);
    expect(structureDecode(structureEncode(parsed.structure))).toEqual(parsed.structure);
  });

  test(`the envelope and structure of "${name}" stored beside their row's columns read back exactly as parsed`, () => {
    const parsed = parseMessage(raw);
    const columns = envelopeColumnsOf(parsed);
    const stored = envelopeEncode(parsed.envelope, columns);
    expect(envelopeDecode(stored, columns)).toEqual(parsed.envelope);
    expect(envelopeDateDecode(stored, columns.sentAt)).toBe(parsed.envelope.date);
    const row = { headerEnd: parsed.headerEnd, size: raw.byteLength };
    expect(structureDecode(structureEncode(parsed.structure, row), row)).toEqual(parsed.structure);
  });

  test(`the header search text of "${name}" derived from the header bytes is the one parsed at delivery`, () => {
    const parsed = parseMessage(raw);
    expect(searchHeadersOfHeader(raw.subarray(0, parsed.headerEnd))).toBe(parsed.searchHeaders);
  });
}

test("the object form stored by earlier releases still reads", () => {
  const parsed = parseMessage(readFileSync(join(fixtures, "nested.eml")));
  expect(envelopeDecode(JSON.stringify(parsed.envelope))).toEqual(parsed.envelope);
  expect(structureDecode(JSON.stringify(parsed.structure))).toEqual(parsed.structure);
});

test("a small message's envelope and structure take under a third of their object form", () => {
  const parsed = parseMessage(
    Buffer.from(
      "From: Sender 6 <sender6@remote.example>\r\nTo: <user@example.com>\r\nSubject: reminder 6\r\n" +
        "Date: Thu, 26 Nov 2026 10:03:42 +0000\r\nMessage-ID: <6.6@remote.example>\r\n\r\nHi.\r\n",
    ),
  );
  const compact = envelopeEncode(parsed.envelope).length + structureEncode(parsed.structure).length;
  const objects = JSON.stringify(parsed.envelope).length + JSON.stringify(parsed.structure).length;
  expect(compact * 3).toBeLessThan(objects);
});

const small =
  "From: Sam 15 <s15@remote.example>\r\nTo: user@example.com\r\nSubject: question 500\r\n" +
  "Date: Thu, 26 Nov 2026 15:08:20 +0000\r\nMessage-ID: <500@remote.example>\r\n\r\nAbout the question.\r\n";

test("a small message's envelope is its date reference alone: everything else comes from its row", () => {
  const parsed = parseMessage(Buffer.from(small));
  const columns = envelopeColumnsOf(parsed);
  const stored = envelopeEncode(parsed.envelope, columns);
  expect(stored).toBe("10000");
  expect(stored.length * 4).toBeLessThan(envelopeEncode(parsed.envelope).length);
  expect(envelopeDecode(stored, columns)).toEqual(parsed.envelope);
});

test("a small text message's structure is its line count alone, and needs its row's columns to read", () => {
  const raw = Buffer.from(small);
  const parsed = parseMessage(raw);
  const row = { headerEnd: parsed.headerEnd, size: raw.byteLength };
  const stored = structureEncode(parsed.structure, row);
  expect(stored).toBe("1");
  expect(structureDecode(stored, row)).toEqual(parsed.structure);
  expect(() => structureDecode(stored)).toThrow(/columns/);
  // Another part type, or a row that does not match, keeps the whole tree.
  const html = parseMessage(
    Buffer.from(small.replace("Message-ID", "Content-Type: text/html\r\nMessage-ID")),
  );
  expect(
    structureEncode(html.structure, { headerEnd: html.headerEnd, size: raw.byteLength + 40 }),
  ).toStartWith("[");
});

test("an envelope that refers to its row cannot be read without the row's columns", () => {
  const parsed = parseMessage(Buffer.from(small));
  expect(() => envelopeDecode(envelopeEncode(parsed.envelope, envelopeColumnsOf(parsed)))).toThrow(/columns/);
});

const fullFields: Array<[string, string, number]> = [
  ["an encoded-word subject", "Subject: =?utf-8?q?caf=C3=A9?=", 1],
  ["two From addresses", "From: a@x.example, b@y.example", 2],
  ["a From name that needs quotes", 'From: "Doe, Jane" <jane@x.example>', 2],
  ["an encoded-word From name", "From: =?utf-8?q?J=C3=B6rg?= <j@x.example>", 2],
  ["a To group", "To: team: a@x.example;", 5],
  ["a To with a source route", "To: <@relay:z@w.example>", 5],
  ["a date without seconds", "Date: Thu, 26 Nov 2026 15:08 +0000", 0],
  ["a date with a comment", "Date: Thu, 26 Nov 2026 15:08:20 +0000 (UTC)", 0],
  ["a date with -0000", "Date: Thu, 26 Nov 2026 15:08:20 -0000", 0],
  ["a date without its weekday", "Date: 26 Nov 2026 15:08:20 +0000", 0],
  ["a date whose weekday is wrong", "Date: Sun, 26 Nov 2026 15:08:20 +0000", 0],
  ["a Message-ID with a comment", "Message-ID: <500@remote.example> (x)", 9],
];

for (const [name, field, index] of fullFields) {
  test(`${name} is stored in full and reads back exactly`, () => {
    const key = field.slice(0, field.indexOf(":"));
    const raw = small.replace(new RegExp(`${key}: [^\\r]*`), field);
    const parsed = parseMessage(Buffer.from(raw));
    const columns = envelopeColumnsOf(parsed);
    const stored = envelopeEncode(parsed.envelope, columns);
    expect(JSON.parse(stored)[index]).not.toBe(1);
    expect(typeof JSON.parse(stored)[index]).not.toBe("number");
    expect(envelopeDecode(stored, columns)).toEqual(parsed.envelope);
  });
}

test("dates at any offset, padded or not, are referred to and read back exactly", () => {
  for (const date of [
    "Mon, 3 Feb 2025 09:05:01 -0500",
    "Sat, 29 Feb 2020 23:59:59 +1400",
    "Thu, 01 Jan 1970 00:00:00 +0000",
    "Wed, 31 Dec 2025 23:30:00 -0930",
  ]) {
    const parsed = parseMessage(Buffer.from(small.replace(/Date: [^\r]*/, `Date: ${date}`)));
    const columns = envelopeColumnsOf(parsed);
    const stored = envelopeEncode(parsed.envelope, columns);
    const value = JSON.parse(stored);
    expect(typeof (Array.isArray(value) ? value[0] : value)).toBe("number");
    expect(envelopeDecode(stored, columns).date).toBe(date);
  }
});

test("any header values read back exactly, referred to or not (property)", () => {
  const word = fc.stringMatching(/^[A-Za-z0-9 ,.<>@"=?_-]{0,12}$/);
  const local = fc.stringMatching(/^[a-z0-9.]{1,8}$/);
  const host = fc.stringMatching(/^[a-z0-9]{1,8}\.example$/);
  const address = fc
    .tuple(word, local, host)
    .map(([n, l, h]) => (n.trim() ? `${n} <${l}@${h}>` : `${l}@${h}`));
  const date = fc
    .tuple(
      fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }),
      fc.integer({ min: -720, max: 840 }),
    )
    .map(([d, offset]) => {
      const t = new Date(d.getTime() + offset * 60_000);
      const sign = offset < 0 ? "-" : "+";
      const abs = Math.abs(offset);
      const hhmm = `${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
      return t.toUTCString().replace("GMT", `${sign}${hhmm}`);
    });
  fc.assert(
    fc.property(
      word,
      fc.array(address, { minLength: 1, maxLength: 3 }),
      fc.array(address, { maxLength: 3 }),
      date,
      word,
      (subject, from, to, d, id) => {
        const raw =
          `From: ${from.join(", ")}\r\n${to.length ? `To: ${to.join(", ")}\r\n` : ""}Subject: ${subject}\r\n` +
          `Date: ${d}\r\nMessage-ID: <${id.replace(/[<> ]/g, "")}x@y>\r\n\r\nbody\r\n`;
        const parsed = parseMessage(Buffer.from(raw));
        const columns = envelopeColumnsOf(parsed);
        expect(envelopeDecode(envelopeEncode(parsed.envelope, columns), columns)).toEqual(parsed.envelope);
      },
    ),
    { numRuns: 500 },
  );
});
