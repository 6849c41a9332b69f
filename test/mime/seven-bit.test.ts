/**
 * toSevenBit() (RFC 6152 §3, RFC 2045 §6): 7-bit messages come back as the same bytes; 8-bit text
 * parts become quoted-printable and other 8-bit parts base64, with Content-Transfer-Encoding set to
 * match; containers whose content became 7-bit are relabelled 7bit; every converted part decodes to
 * the octets it had. Fixtures and generated messages (fast-check).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { decodeTransfer, type MimePart, parseMessage } from "../../src/mime/mod.ts";
import { has8bit, toSevenBit } from "../../src/mime/seven-bit.ts";
import { decodeQuotedPrintable } from "../../src/mime/transfer.ts";
import { encodeQuotedPrintable } from "../../src/mime/transfer-encode.ts";
import { allParts, crlf } from "./helpers.ts";

const FIXTURES = join(import.meta.dir, "../fixtures/imap");
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

/** The decoded octets of every leaf, in order, with the part's media type. */
function leaves(raw: Uint8Array): Array<{ type: string; data: string }> {
  const out: Array<{ type: string; data: string }> = [];
  const walk = (part: MimePart) => {
    if (part.children.length > 0) return part.children.forEach(walk);
    if (part.message) return walk(part.message.body);
    const body = raw.subarray(part.bodyStart, part.end);
    out.push({
      type: `${part.type}/${part.subtype}`,
      data: Buffer.from(decodeTransfer(body, part.encoding)).toString("latin1"),
    });
  };
  walk(parseMessage(raw).structure);
  return out;
}

/** Text compared as lines: a text part's line breaks are CRLF after conversion (its canonical form). */
const lines = (s: string) => s.replace(/\r\n/g, "\n");

describe("toSevenBit()", () => {
  test("toSevenBit() returns a 7-bit message as the very same bytes", () => {
    for (const name of ["simple.eml", "nested.eml", "forward.eml", "malformed.eml"]) {
      const raw = fixture(name);
      if (has8bit(raw)) continue;
      expect(toSevenBit(raw)).toBe(raw);
    }
    const plain = crlf("From: a@b.example", "Subject: hi", "", "Hello.", "");
    expect(toSevenBit(plain)).toBe(plain);
  });

  test("toSevenBit() leaves a message whose only 8-bit octets are in header fields unchanged", () => {
    const raw = crlf("From: Zoë <z@b.example>", "Subject: Grüße", "", "plain ascii body", "");
    expect(toSevenBit(raw)).toBe(raw);
  });

  test("toSevenBit() re-encodes an 8bit text body as quoted-printable that decodes to the same text", () => {
    const raw = fixture("utf8.eml");
    expect(has8bit(raw.subarray(parseMessage(raw).headerEnd))).toBe(true);
    const out = toSevenBit(raw);
    const header = text(out.subarray(0, parseMessage(out).headerEnd));
    expect(header).toContain("Content-Transfer-Encoding: quoted-printable\r\n");
    expect(header).not.toContain("Content-Transfer-Encoding: 8bit");
    // Only the header (RFC 2047 words, and the raw UTF-8 in To:) may still have 8-bit octets.
    expect(has8bit(out.subarray(parseMessage(out).headerEnd))).toBe(false);
    expect(leaves(out).map((l) => lines(l.data))).toEqual(leaves(raw).map((l) => lines(l.data)));
    expect(text(out)).toContain("Gr=C3=BC=C3=9Fe aus M=C3=BCnchen");
  });

  test("toSevenBit() converts each 8-bit part of a multipart and relabels the 8bit multipart 7bit", () => {
    const raw = crlf(
      "From: a@b.example",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="b1"',
      "Content-Transfer-Encoding: 8bit",
      "",
      "preamble",
      "--b1",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      "Crème brûlée = dessert ",
      "--b1",
      "Content-Type: text/plain; charset=us-ascii",
      "",
      "already 7-bit",
      "--b1",
      "Content-Type: application/octet-stream",
      "Content-Transfer-Encoding: binary",
      "",
      "\u00ff\u00fe binary-ish",
      "--b1--",
      "",
    );
    const out = toSevenBit(raw);
    expect(has8bit(out)).toBe(false);
    const parsed = parseMessage(out);
    expect(parsed.structure.encoding).toBe("7BIT");
    expect(parsed.structure.children.map((c) => c.encoding)).toEqual(["QUOTED-PRINTABLE", "7BIT", "BASE64"]);
    expect(leaves(out)).toEqual(leaves(raw));
    // The untouched part and the preamble are copied byte for byte.
    expect(text(out)).toContain("preamble\r\n--b1\r\n");
    expect(text(out)).toContain("Content-Type: text/plain; charset=us-ascii\r\n\r\nalready 7-bit\r\n--b1");
    // RFC 2045 §6.7 rules (1)-(3): "=" and the blank at the end of the line are encoded.
    expect(text(out)).toContain("Cr=C3=A8me br=C3=BBl=C3=A9e =3D dessert=20\r\n");
  });

  test("toSevenBit() converts inside an attached message/rfc822 and relabels the attachment 7bit", () => {
    const raw = crlf(
      "From: a@b.example",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="outer"',
      "",
      "--outer",
      "Content-Type: message/rfc822",
      "Content-Transfer-Encoding: 8bit",
      "",
      "From: c@d.example",
      "Subject: inner",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      "Ça va ?",
      "--outer--",
      "",
    );
    const out = toSevenBit(raw);
    expect(has8bit(out)).toBe(false);
    const attachment = parseMessage(out).structure.children[0]!;
    expect(attachment.encoding).toBe("7BIT");
    expect(attachment.message?.body.encoding).toBe("QUOTED-PRINTABLE");
    expect(leaves(out).map((l) => lines(l.data))).toEqual(
      ["Ça va ?"].map((s) => Buffer.from(s).toString("latin1")),
    );
  });

  test("toSevenBit() gives a bare 8-bit message MIME-Version and a Content-Type naming its charset", () => {
    const raw = crlf("From: a@b.example", "Subject: no MIME", "", "naïve café", "");
    const out = toSevenBit(raw);
    const header = text(out.subarray(0, parseMessage(out).headerEnd));
    expect(header).toContain("MIME-Version: 1.0\r\n");
    expect(header).toContain("Content-Type: text/plain; charset=utf-8\r\n");
    expect(header).toContain("Content-Transfer-Encoding: quoted-printable\r\n");
    expect(parseMessage(out).structure.params.charset).toBe("utf-8");
    expect(lines(leaves(out)[0]!.data)).toBe(Buffer.from("naïve café\n").toString("latin1"));
    const latin = new Uint8Array([...crlf("From: a@b.example", "", ""), 0xe9, 0x0d, 0x0a]);
    expect(text(toSevenBit(latin))).toContain("charset=unknown-8bit");
  });

  test("toSevenBit() leaves a base64 or quoted-printable body with stray 8-bit octets alone", () => {
    const raw = crlf(
      "From: a@b.example",
      "Content-Type: text/plain",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "broken é",
      "",
    );
    expect(toSevenBit(raw)).toBe(raw);
  });
});

describe("encodeQuotedPrintable()", () => {
  test("encodeQuotedPrintable() keeps every line within 76 characters and decodes back (RFC 2045 §6.7)", () => {
    const input = Buffer.from(`${"é".repeat(100)} ${"x".repeat(200)}\r\nshort\r\n`);
    const encoded = Buffer.from(encodeQuotedPrintable(input)).toString("latin1");
    for (const line of encoded.split("\r\n")) expect(line.length).toBeLessThanOrEqual(76);
    expect(Buffer.from(decodeQuotedPrintable(Buffer.from(encoded, "latin1"))).equals(input)).toBe(true);
  });

  test("encodeQuotedPrintable() round-trips any octets, line breaks becoming CRLF", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (input) => {
        // CR only as part of CRLF: a text body's line breaks (a lone CR is encoded as =0D and comes back).
        const encoded = encodeQuotedPrintable(input);
        expect(has8bit(encoded)).toBe(false);
        const canonical = Buffer.from(input).toString("latin1").replace(/\r?\n/g, "\r\n");
        expect(Buffer.from(decodeQuotedPrintable(encoded)).toString("latin1")).toBe(canonical);
      }),
      { numRuns: 300 },
    );
  });
});

describe("toSevenBit() on generated messages", () => {
  const lineArb = fc
    .array(
      fc.oneof(fc.constantFrom(" ", "\t", "=", ".", "é", "ü", "€", "日本", "a", "Z", "0"), fc.string()),
      {
        maxLength: 40,
      },
    )
    .map((pieces) => pieces.join("").replace(/[\r\n]/g, ""));
  const bodyArb = fc.array(lineArb, { minLength: 1, maxLength: 8 }).map((ls) => `${ls.join("\r\n")}\r\n`);

  test("a generated multipart converts to 7-bit bodies that decode to the original text", () => {
    fc.assert(
      fc.property(fc.array(bodyArb, { minLength: 1, maxLength: 4 }), (bodies) => {
        const parts = bodies.flatMap((b, i) => [
          "--gen",
          "Content-Type: text/plain; charset=utf-8",
          `Content-Transfer-Encoding: ${i % 2 === 0 ? "8bit" : "binary"}`,
          "",
          b,
        ]);
        const raw = crlf(
          "From: a@b.example",
          "MIME-Version: 1.0",
          'Content-Type: multipart/alternative; boundary="gen"',
          "",
          ...parts,
          "--gen--",
          "",
        );
        const out = toSevenBit(raw);
        if (!has8bit(raw)) {
          expect(out).toBe(raw);
          return;
        }
        expect(has8bit(out)).toBe(false);
        expect(leaves(out).map((l) => lines(l.data))).toEqual(leaves(raw).map((l) => lines(l.data)));
        expect(allParts(parseMessage(out).structure).length).toBe(
          allParts(parseMessage(raw).structure).length,
        );
      }),
      { numRuns: 150 },
    );
  });
});
