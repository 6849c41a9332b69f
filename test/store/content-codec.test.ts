/**
 * The compact stored form of the parse at delivery (src/store/content-codec.ts, issue 12): every
 * envelope and MIME tree reads back exactly as parsed, the object form stored by earlier releases
 * still reads, and the compact form is much smaller than the object form.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { mailCorpus } from "../../bench/lib/mail-corpus.ts";
import { parseMessage, searchHeadersOfHeader } from "../../src/mime/mod.ts";
import {
  envelopeDecode,
  envelopeEncode,
  structureDecode,
  structureEncode,
} from "../../src/store/content-codec.ts";

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
