/**
 * BODY / BODYSTRUCTURE / ENVELOPE encoding and section slicing, on the stored parse of the fixtures
 * in test/fixtures/imap (no server): expected strings are written out by hand from RFC 3501 §7.4.2.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeBody } from "../../src/imap/fetch/bodystructure.ts";
import { encodeEnvelope } from "../../src/imap/fetch/envelope.ts";
import { PieceBuilder } from "../../src/imap/fetch/pieces.ts";
import { resolvePart, sectionBytes } from "../../src/imap/fetch/sections.ts";
import { toBuffer } from "../../src/imap/protocol/encode.ts";
import { type MimePart, parseMessage } from "../../src/mime/mod.ts";

const FIXTURES = join(import.meta.dir, "../fixtures/imap");

function load(name: string): { raw: Buffer; structure: MimePart; headerEnd: number } {
  const raw = readFileSync(join(FIXTURES, name));
  const parsed = parseMessage(raw);
  // What FETCH sees is the JSON stored at delivery, so round-trip it.
  return { raw, structure: JSON.parse(JSON.stringify(parsed.structure)), headerEnd: parsed.headerEnd };
}

function body(part: MimePart, extended: boolean): string {
  const out = new PieceBuilder();
  encodeBody(out, part, extended);
  return toBuffer(out.pieces).toString("utf8");
}

/** A UTF-8 string as an IMAP literal. */
function lit(s: string): string {
  return `{${Buffer.byteLength(s)}}\r\n${s}`;
}

const INNER_ENVELOPE =
  '("Mon, 2 Mar 2026 09:00:00 +0100" "Inner message" (("Carol" NIL "carol" "example.net")) ' +
  '(("Carol" NIL "carol" "example.net")) (("Carol" NIL "carol" "example.net")) ' +
  '(("Alice Example" NIL "alice" "example.org")) NIL NIL NIL "<inner-1@example.net>")';

describe("BODYSTRUCTURE", () => {
  test("encodeBody() gives a text/plain message its params, size, lines and extension data", () => {
    const { structure } = load("simple.eml");
    expect(body(structure, true)).toBe(
      '("TEXT" "PLAIN" ("CHARSET" "us-ascii" "FORMAT" "flowed") NIL NIL "7BIT" 20 2 NIL NIL NIL NIL)',
    );
    expect(body(structure, false)).toBe(
      '("TEXT" "PLAIN" ("CHARSET" "us-ascii" "FORMAT" "flowed") NIL NIL "7BIT" 20 2)',
    );
  });

  test("encodeBody() renders nested multiparts, an RFC 2231 filename and an attached multipart message", () => {
    const { structure } = load("nested.eml");
    const expected =
      "(" +
      '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 35 2 NIL NIL NIL NIL)' +
      '("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 44 1 NIL NIL ("en" "de") NIL)' +
      ' "ALTERNATIVE" ("BOUNDARY" "alt-boundary") NIL NIL NIL)' +
      '("APPLICATION" "PDF" ("NAME" "report.pdf") "<pdf-1@example.org>" "The report" "BASE64" 714' +
      ` "Q2hlY2sgSW50ZWdyaXR5IQ==" ("ATTACHMENT" ("FILENAME" ${lit("résumé Q1.pdf")})) NIL "http://example.org/report.pdf")` +
      `("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 396 ${INNER_ENVELOPE} ` +
      '(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 10 1 NIL NIL NIL NIL)' +
      '("IMAGE" "PNG" ("NAME" "dot.png") NIL NIL "BASE64" 12 NIL NIL NIL NIL)' +
      ' "MIXED" ("BOUNDARY" "inner") NIL NIL NIL) 18 NIL ("INLINE" NIL) NIL NIL)' +
      ' "MIXED" ("BOUNDARY" "outer-boundary") NIL NIL NIL)';
    expect(body(structure, true)).toBe(expected);
  });

  test("encodeBody() without extension data is the BODY form", () => {
    const { structure } = load("nested.eml");
    expect(body(structure, false)).toBe(
      "(" +
        '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 35 2)' +
        '("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 44 1) "ALTERNATIVE")' +
        '("APPLICATION" "PDF" ("NAME" "report.pdf") "<pdf-1@example.org>" "The report" "BASE64" 714)' +
        `("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 396 ${INNER_ENVELOPE} ` +
        '(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 10 1)("IMAGE" "PNG" ("NAME" "dot.png") NIL NIL "BASE64" 12) "MIXED") 18)' +
        ' "MIXED")',
    );
  });

  test("encodeBody() gives an attached single-part message its body and line count", () => {
    const { structure } = load("forward.eml");
    expect(body(structure, false)).toBe(
      '(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 9 1)' +
        '("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 74 (NIL "hello" (("Frank" NIL "frank" "example.org")) ' +
        '(("Frank" NIL "frank" "example.org")) (("Frank" NIL "frank" "example.org")) NIL NIL NIL NIL NIL) ' +
        '("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 9 1) 5) "MIXED")',
    );
  });

  test("encodeBody() still describes a multipart missing its closing boundary", () => {
    const { structure } = load("malformed.eml");
    expect(body(structure, true)).toBe(
      '(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 10 1 NIL NIL NIL NIL)' +
        '("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 27 1 NIL NIL NIL NIL)' +
        ' "MIXED" ("BOUNDARY" "b1") NIL NIL NIL)',
    );
  });

  test("encodeBody() renders a multipart that could not be split as a basic body", () => {
    const raw = Buffer.from("Content-Type: multipart/mixed\r\n\r\nno boundary parameter\r\n");
    const { structure } = parseMessage(raw);
    expect(body(structure, false)).toBe('("MULTIPART" "MIXED" NIL NIL NIL "7BIT" 23)');
  });

  test("encodeBody() gives a message/rfc822 part it could not open an empty envelope and body", () => {
    const raw = Buffer.from(
      "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nRnJvbTogYUBiLmMNCg0KaGk=\r\n",
    );
    const { structure } = parseMessage(raw);
    expect(body(structure, false)).toBe(
      '("MESSAGE" "RFC822" NIL NIL NIL "BASE64" 26 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ' +
        '("TEXT" "PLAIN" NIL NIL NIL "7BIT" 0 0) 1)',
    );
  });
});

describe("ENVELOPE", () => {
  test("encodeEnvelope() sends group syntax as start and end markers", () => {
    const { raw } = load("nested.eml");
    const out = new PieceBuilder();
    encodeEnvelope(out, parseMessage(raw).envelope);
    expect(toBuffer(out.pieces).toString("utf8")).toBe(
      '("Tue, 3 Mar 2026 10:00:00 +0000" "Quarterly report" (("Alice Example" NIL "alice" "example.org")) ' +
        '(("Alice Example" NIL "alice" "example.org")) (("Alice Example" NIL "alice" "example.org")) ' +
        '(("Bob" NIL "bob" "example.com")(NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) ' +
        '((NIL NIL "Team" NIL)(NIL NIL "carol" "example.net")("Dave D." NIL "dave" "example.net")(NIL NIL NIL NIL)) ' +
        'NIL NIL "<nested-1@example.org>")',
    );
  });

  test("encodeEnvelope() sends 8-bit header text as literals and RFC 2047 words as they are", () => {
    const { raw } = load("utf8.eml");
    const out = new PieceBuilder();
    encodeEnvelope(out, parseMessage(raw).envelope);
    const from = '(("=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?=" NIL "juergen" "example.de"))';
    expect(toBuffer(out.pieces).toString("utf8")).toBe(
      `("Thu, 5 Mar 2026 12:00:00 +0100" ${lit("=?ISO-8859-1?Q?Gr=FC=DFe?= und Küsse")} ${from} ${from} ${from} ` +
        `((${lit("Zoë Ünal")} NIL "zoe" "example.com")) NIL NIL NIL "<utf8-1@example.de>")`,
    );
  });
});

describe("sections", () => {
  test("resolvePart() numbers a single-part message's body 1 and nothing below it", () => {
    const { structure } = load("simple.eml");
    expect(resolvePart(structure, [1])).toBe(structure);
    expect(resolvePart(structure, [2])).toBeUndefined();
    expect(resolvePart(structure, [1, 1])).toBeUndefined();
  });

  test("resolvePart() continues numbering into attached messages", () => {
    const nested = load("nested.eml").structure;
    expect(resolvePart(nested, [3, 2])?.subtype).toBe("png");
    expect(resolvePart(nested, [1, 2])?.subtype).toBe("html");
    expect(resolvePart(nested, [3, 3])).toBeUndefined();
    const forward = load("forward.eml").structure;
    expect(resolvePart(forward, [2, 1])?.partId).toBe("2.1");
    expect(resolvePart(forward, [2, 2])).toBeUndefined();
  });

  test("sectionBytes() picks header fields case-insensitively in message order with the blank line", () => {
    const { raw, structure, headerEnd } = load("nested.eml");
    const section = { path: [], text: "HEADER.FIELDS" as const, fields: ["SUBJECT", "from", "X-Absent"] };
    expect(Buffer.from(sectionBytes(section, raw, headerEnd, structure)).toString()).toBe(
      "From: Alice Example <alice@example.org>\r\nSubject: Quarterly report\r\n\r\n",
    );
  });

  test("sectionBytes() leaves out the blank line when the header had none", () => {
    const raw = Buffer.from("Subject: no body\r\nFrom: a@b.c\r\n");
    const { headerEnd, structure } = parseMessage(raw);
    const section = { path: [], text: "HEADER.FIELDS" as const, fields: ["from"] };
    expect(Buffer.from(sectionBytes(section, raw, headerEnd, structure)).toString()).toBe("From: a@b.c\r\n");
  });
});
