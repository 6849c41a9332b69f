import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { headerEnd, parseHeaders, parseMessage } from "../../src/mime/mod.ts";
import { bytes, crlf, lf, slice } from "./helpers.ts";

describe("parseHeaders()", () => {
  test("parseHeaders() returns raw unfolded values with byte offsets of each field incl. its CRLF", () => {
    const raw = crlf("Subject: a long", "\tsubject line", "X-Empty:", "To:  b@c  ", "", "body");
    const fields = parseHeaders(raw, 0, raw.length);
    expect(fields.map((f) => [f.name, f.value])).toEqual([
      ["Subject", "a long\tsubject line"],
      ["X-Empty", ""],
      ["To", "b@c"],
    ]);
    expect(fields.map((f) => slice(raw, f.start, f.end))).toEqual([
      "Subject: a long\r\n\tsubject line\r\n",
      "X-Empty:\r\n",
      "To:  b@c  \r\n",
    ]);
  });

  test("parseHeaders() handles bare LF line endings", () => {
    const raw = lf("A: 1", " 2", "B: 3", "", "body");
    const fields = parseHeaders(raw, 0, raw.length);
    expect(fields.map((f) => [f.name, f.value, slice(raw, f.start, f.end)])).toEqual([
      ["A", "1 2", "A: 1\n 2\n"],
      ["B", "3", "B: 3\n"],
    ]);
  });

  test("parseHeaders() decodes 8-bit header bytes as UTF-8 (RFC 6532) and falls back to latin1", () => {
    const utf8 = bytes("Subject: Grüße ✓\r\n\r\n");
    expect(parseHeaders(utf8, 0, utf8.length)[0]!.value).toBe("Grüße ✓");
    const latin = new Uint8Array([...bytes("Subject: caf"), 0xe9, 13, 10, 13, 10]);
    expect(parseHeaders(latin, 0, latin.length)[0]!.value).toBe("café");
  });

  test("parseHeaders() accepts whitespace before the colon (RFC 5322 §4.5)", () => {
    const raw = crlf("Subject : old style", "", "");
    expect(parseHeaders(raw, 0, raw.length)).toMatchObject([{ name: "Subject", value: "old style" }]);
  });

  test("parseHeaders() stops at the blank line, at a non-header line, and at the end bound", () => {
    const raw = crlf("A: 1", "B: 2", "", "C: 3");
    expect(parseHeaders(raw, 0, raw.length).map((f) => f.name)).toEqual(["A", "B"]);
    const noColon = crlf("A: 1", "this is text", "B: 2");
    expect(parseHeaders(noColon, 0, noColon.length).map((f) => f.name)).toEqual(["A"]);
    expect(parseHeaders(raw, 0, 4)).toEqual([{ name: "A", value: "1", start: 0, end: 4 }]);
    expect(parseHeaders(raw, 6, raw.length).map((f) => f.name)).toEqual(["B"]);
    expect(parseHeaders(new Uint8Array(0), 0, 0)).toEqual([]);
  });

  test("parseHeaders() keeps a final field without a line break", () => {
    const raw = bytes("A: 1\r\nB: two");
    const fields = parseHeaders(raw, 0, raw.length);
    expect(fields[1]).toEqual({ name: "B", value: "two", start: 6, end: raw.length });
  });
});

describe("headerEnd()", () => {
  test.each([
    ["a header and its blank line, CRLF", "A: 1\r\nB: 2\r\n\r\nbody\r\n", 14],
    ["a header and its blank line, bare LF", "A: 1\nB: 2\n\nbody\n", 11],
    ["mixed line ends (LF, then a CRLF blank line)", "A: 1\n\r\nbody", 7],
    ["a folded field", "A: 1\r\n\tmore\r\n\r\nbody", 15],
    ["an empty header (the message starts with its blank line)", "\r\nbody\r\n\r\nmore", 2],
    ["a message without a header: the first line is body text", "hello world\r\n\r\nmore", 0],
    ["a header cut short by a line that is not a field", "A: 1\r\nnot a field\r\n\r\nbody", 6],
    ["a header without a blank line or body", "A: 1\r\nB: 2\r\n", 12],
    ["a final field without a line break", "A: 1\r\nB: 2", 10],
    ["nothing at all", "", 0],
  ])("headerEnd() of %s", (_, text, end) => {
    expect(headerEnd(bytes(text))).toBe(end);
  });

  test("headerEnd() is where parseMessage() puts the body, on every fixture", () => {
    const dir = "test/fixtures/imap";
    const names = readdirSync(dir).filter((f) => f.endsWith(".eml"));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const raw = new Uint8Array(readFileSync(`${dir}/${name}`));
      expect([name, headerEnd(raw)]).toEqual([name, parseMessage(raw).headerEnd]);
    }
  });
});
