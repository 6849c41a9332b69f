import { describe, expect, test } from "bun:test";
import { decodeCharset, decodeTransfer } from "../../src/mime/mod.ts";
import { bytes } from "./helpers.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

const base64Cases: Array<[string, string, string]> = [
  ["canonical", "SGVsbG8gd29ybGQ=", "Hello world"],
  ["line-wrapped with CRLF", "SGVs\r\nbG8g\r\nd29y\r\nbGQ=", "Hello world"],
  ["missing padding", "SGVsbG8gd29ybGQ", "Hello world"],
  ["junk characters are ignored", "SGV*sbG8g!d29y bGQ=", "Hello world"],
  ["concatenated padded chunks", "SGk=SGk=", "HiHi"],
  ["URL-safe alphabet", "-_-_", "\ufffd\ufffd\ufffd"],
  ["empty", "", ""],
];

const qpCases: Array<[string, string, string]> = [
  ["soft line break (CRLF)", "Hello =\r\nworld", "Hello world"],
  ["soft line break (bare LF)", "Hello =\nworld", "Hello world"],
  ["soft break with transport padding", "Hello = \t\r\nworld", "Hello world"],
  ["hex octets, either case", "caf=C3=a9", "café"],
  ["hard line breaks are kept", "a\r\nb", "a\r\nb"],
  ["trailing whitespace on a line is removed", "a  \r\nb\t\n", "a\r\nb\n"],
  ["inner whitespace is kept", "a  b", "a  b"],
  ["malformed = is literal", "1=2 and =ZZ", "1=2 and =ZZ"],
  ["= at end of input", "abc=", "abc"],
];

describe("decodeTransfer()", () => {
  test.each(base64Cases)("decodeTransfer() decodes base64: %s", (_name, input, expected) => {
    expect(text(decodeTransfer(bytes(input), "base64"))).toBe(expected);
  });

  test.each(qpCases)("decodeTransfer() decodes quoted-printable: %s", (_name, input, expected) => {
    expect(text(decodeTransfer(bytes(input), "Quoted-Printable"))).toBe(expected);
  });

  test("decodeTransfer() passes 7bit, 8bit, binary and unknown encodings through", () => {
    const body = bytes("=41 plain");
    for (const enc of ["7bit", "8BIT", "binary", "x-uuencode", ""])
      expect(decodeTransfer(body, enc)).toBe(body);
  });

  test("decodeTransfer() decodes binary base64 exactly", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const encoded = bytes(btoa(String.fromCharCode(...all)));
    expect(decodeTransfer(encoded, "BASE64")).toEqual(all);
  });
});

describe("decodeCharset()", () => {
  const cases: Array<[string, number[], string | undefined, string]> = [
    ["utf-8", [0xc3, 0xa9], "utf-8", "é"],
    ["iso-8859-1", [0xe9], "ISO-8859-1", "é"],
    ["iso-8859-2", [0xb1], "iso-8859-2", "ą"],
    ["koi8-r", [0xc1], "koi8-r", "а"],
    ["missing charset, UTF-8 bytes", [0xc3, 0xa9], undefined, "é"],
    ["missing charset, latin1 bytes", [0xe9], undefined, "é"],
    ["us-ascii label with UTF-8 bytes", [0xc3, 0xa9], "us-ascii", "é"],
    ["unknown charset falls back to utf-8", [0xc3, 0xa9], "x-no-such", "é"],
    ["unknown charset falls back to latin1", [0xe9], "x-no-such", "é"],
    ["utf-7 is unknown to TextDecoder", [0x41], "utf-7", "A"],
  ];
  test.each(cases)("decodeCharset() decodes %s", (_name, input, charset, expected) => {
    expect(decodeCharset(Uint8Array.from(input), charset)).toBe(expected);
  });
});
