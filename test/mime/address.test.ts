import { describe, expect, test } from "bun:test";
import { type Address, parseAddressList } from "../../src/mime/mod.ts";

const a = (name: string | null, mailbox: string | null, host: string | null): Address => ({
  name,
  mailbox,
  host,
});
const groupStart = (name: string) => a(null, name, null);
const groupEnd = a(null, null, null);

const cases: Array<[string, string, Address[]]> = [
  ["bare addr-spec", "user@example.com", [a(null, "user", "example.com")]],
  ["name-addr", "John Doe <john@example.com>", [a("John Doe", "john", "example.com")]],
  [
    "quoted display name with comma",
    '"Doe, John" <john@x.org>, b@y',
    [a("Doe, John", "john", "x.org"), a(null, "b", "y")],
  ],
  ["quoted-pair in display name", '"A \\"B\\" C" <a@b>', [a('A "B" C', "a", "b")]],
  [
    "encoded-word name stays raw for IMAP",
    "=?utf-8?q?J=C3=BCrgen?= <j@x>",
    [a("=?utf-8?q?J=C3=BCrgen?=", "j", "x")],
  ],
  [
    "comment after addr-spec is the name",
    "john@example.com (John Doe)",
    [a("John Doe", "john", "example.com")],
  ],
  [
    "comments inside are ignored",
    "John (the man) Doe <john(x)@example.com>",
    [a("John Doe", "john", "example.com")],
  ],
  [
    "comments around the @ of an angle address (RFC 5322 §3.4)",
    "<user-from (comment)@ (comment) domain.org>",
    [a(null, "user-from", "domain.org")],
  ],
  ["quoted local part", '"john doe"@example.com', [a(null, "john doe", "example.com")]],
  ["domain literal", "user@[192.168.0.1]", [a(null, "user", "[192.168.0.1]")]],
  [
    "group with members",
    "Friends: a@x, B <b@y>;, c@z",
    [groupStart("Friends"), a(null, "a", "x"), a("B", "b", "y"), groupEnd, a(null, "c", "z")],
  ],
  ["empty group", "undisclosed-recipients:;", [groupStart("undisclosed-recipients"), groupEnd]],
  ["unterminated group", "G: a@x", [groupStart("G"), a(null, "a", "x"), groupEnd]],
  [
    "obsolete route: the at-domain-list goes to adl (RFC 3501 §7.4.2)",
    "<@relay1,@relay2:user@host>",
    [{ ...a(null, "user", "host"), adl: "@relay1,@relay2" }],
  ],
  [
    "obsolete route with a name, and white space and comments in the route",
    "Joe <@ relay1 (c) , @relay2 :joe@host>",
    [{ ...a("Joe", "joe", "host"), adl: "@relay1,@relay2" }],
  ],
  ["obsolete phrase with dots", "John Q. Public <jqp@x>", [a("John Q. Public", "jqp", "x")]],
  [
    "obsolete local part with spaces around dots",
    "john . doe @ example . com",
    [a(null, "john.doe", "example.com")],
  ],
  ["empty list members are skipped", ", ,a@b,,", [a(null, "a", "b")]],
  ["missing domain gives host ''", "root", [a(null, "root", "")]],
  ["empty angle address with no name is dropped", "<>", []],
  ["unbalanced quote runs to the end", '"oops <a@b>', [a(null, "oops <a@b>", "")]],
  ["unclosed angle bracket", "Name <a@b", [a("Name", "a", "b")]],
  ["UTF-8 address (RFC 6532)", "Jörg <jörg@bücher.de>", [a("Jörg", "jörg", "bücher.de")]],
  ["empty input", "", []],
];

describe("parseAddressList()", () => {
  test.each(cases)("parseAddressList() parses %s", (_name, input, expected) => {
    expect(parseAddressList(input)).toEqual(expected);
  });

  test("parseAddressList() never throws on junk", () => {
    for (const junk of [
      '"',
      "(",
      "<",
      ">",
      ":",
      ";",
      "@",
      "\\",
      "(((",
      '"\\',
      "a:b:c;;",
      "<<>>",
      ":;:;",
      "@@@",
      "[",
      "a@[b",
    ]) {
      expect(() => parseAddressList(junk)).not.toThrow();
    }
  });

  test("parseAddressList() caps very long lists", () => {
    const list = parseAddressList("a@b, ".repeat(100_000));
    expect(list.length).toBe(1000);
  });
});
