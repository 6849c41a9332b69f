import { describe, expect, test } from "bun:test";
import { decodeMimeWords } from "../../src/mime/mod.ts";

const cases: Array<[string, string, string]> = [
  ["plain text passes through", "Hello world", "Hello world"],
  ["utf-8 B", "=?UTF-8?B?R3LDvMOfZQ==?=", "Grüße"],
  ["utf-8 Q with underscores", "=?utf-8?Q?Gr=C3=BC=C3=9Fe_aus_Berlin?=", "Grüße aus Berlin"],
  ["iso-8859-1 Q", "=?ISO-8859-1?Q?caf=E9?=", "café"],
  ["iso-8859-1 B", "=?iso-8859-1?b?Y2Fm6Q==?=", "café"],
  ["windows-1252 smart quotes", "=?windows-1252?Q?=93hi=94?=", "\u201chi\u201d"],
  ["text around a word", "Re: =?utf-8?q?caf=C3=A9?= today", "Re: café today"],
  ["joins adjacent encoded words, dropping the whitespace between them", "=?utf-8?q?a?= =?utf-8?q?b?=", "ab"],
  ["joins a multi-byte character split across words", "=?utf-8?B?4oI=?=\r\n =?utf-8?B?rA==?=", "€"],
  ["joins adjacent words in different charsets", "=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?=", "éé"],
  ["keeps non-blank text between words", "=?utf-8?q?a?= - =?utf-8?q?b?=", "a - b"],
  ["language suffix (RFC 2231 §5)", "=?utf-8*en?q?hi?=", "hi"],
  ["unknown charset falls back to latin1", "=?x-unknown?q?caf=E9?=", "café"],
  ["unknown charset with UTF-8 bytes decodes as UTF-8", "=?x-unknown?q?caf=C3=A9?=", "café"],
  ["lenient base64 without padding", "=?utf-8?b?SGVsbG8?=", "Hello"],
  ["malformed word is left alone", "=?utf-8?x?abc?=", "=?utf-8?x?abc?="],
  ["unterminated word is left alone", "=?utf-8?q?abc", "=?utf-8?q?abc"],
  ["empty encoded text", "a=?utf-8?q??=b", "ab"],
];

describe("decodeMimeWords()", () => {
  test.each(cases)("decodeMimeWords() %s", (_name, input, expected) => {
    expect(decodeMimeWords(input)).toBe(expected);
  });
});
