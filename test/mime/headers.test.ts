import { describe, expect, test } from "bun:test";
import { parseHeaders } from "../../src/mime/mod.ts";
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
