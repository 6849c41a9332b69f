/**
 * The Authentication-Results field, both ways: removing incoming fields that claim our authserv-id
 * (RFC 8601 §5), and writing our own (RFC 8601 §2.2, folded at spaces so that unfolding gives the
 * text back, lines within RFC 5322 §2.1.1's limits).
 */
import { describe, expect, test } from "bun:test";
import { authservIdOf, stripOwnResults } from "../../src/smtp/authentication/forged-results.ts";
import { authenticationResultsField } from "../../src/smtp/authentication/header.ts";

const BODY =
  "From: a@b.example\r\nSubject: s\r\n\r\nAuthentication-Results: mx.ours.example; body text, not a field\r\n";

describe("authservIdOf()", () => {
  const cases: Array<[string, string]> = [
    [" mx.ours.example; dkim=pass", "mx.ours.example"],
    [" MX.Ours.Example ; spf=pass", "mx.ours.example"],
    [" mx.ours.example 1; none", "mx.ours.example"],
    [' "mx.ours.example"; none', "mx.ours.example"],
    [" (comment (nested) here) mx.ours.example; none", "mx.ours.example"],
    [" (comment with \\) escaped) mx.ours.example; none", "mx.ours.example"],
    ["\r\n\tmx.ours.example;\r\n\tdkim=pass", "mx.ours.example"],
    [" ; none", ""],
    ["", ""],
  ];
  for (const [value, id] of cases)
    test(`authservIdOf(${JSON.stringify(value)}) is ${JSON.stringify(id)}`, () => {
      expect(authservIdOf(value)).toBe(id);
    });
});

describe("stripOwnResults()", () => {
  test("a message without Authentication-Results comes back as the same buffer", () => {
    const raw = Buffer.from(BODY);
    const out = stripOwnResults(raw, "mx.ours.example");
    expect(out.body).toBe(raw);
    expect(out.removed).toBe(0);
  });

  test("fields claiming our authserv-id go, folded lines and all; others stay byte for byte; the body is untouched", () => {
    const raw = Buffer.from(
      [
        "Received: from x",
        "Authentication-Results: mx.ours.example;",
        "\tdkim=pass header.d=bank.example",
        "Authentication-Results: relay.other.example; spf=pass",
        "authentication-results : (hidden) MX.OURS.EXAMPLE; dmarc=pass",
        "X-Last: 1",
        "",
        "",
      ].join("\r\n") + BODY.slice(BODY.indexOf("\r\n\r\n") + 4),
    );
    const out = stripOwnResults(raw, "mx.ours.example");
    expect(out.removed).toBe(2);
    expect(out.body.toString()).toBe(
      [
        "Received: from x",
        "Authentication-Results: relay.other.example; spf=pass",
        "X-Last: 1",
        "",
        "Authentication-Results: mx.ours.example; body text, not a field",
        "",
      ].join("\r\n"),
    );
  });

  test("the last header field, right before the empty line, is removed too", () => {
    const raw = Buffer.from("Subject: s\r\nAuthentication-Results: mx.ours.example; none\r\n\r\nbody\r\n");
    expect(stripOwnResults(raw, "mx.ours.example").body.toString()).toBe("Subject: s\r\n\r\nbody\r\n");
  });

  test("a message that is all header (no empty line) is handled", () => {
    const raw = Buffer.from("Subject: s\r\nAuthentication-Results: mx.ours.example; none\r\n");
    expect(stripOwnResults(raw, "mx.ours.example").body.toString()).toBe("Subject: s\r\n");
  });

  test("a long comment before the authserv-id does not hide it", () => {
    const raw = Buffer.from(
      `Authentication-Results: (${"x".repeat(10_000)}) mx.ours.example; dkim=pass\r\n\r\nb\r\n`,
    );
    expect(stripOwnResults(raw, "mx.ours.example").removed).toBe(1);
  });
});

describe("authenticationResultsField()", () => {
  test("one resinfo per line, folded at spaces near 78 columns; unfolding gives the text back", () => {
    const long = `spf=pass (mx.ours.example: domain of someone@example.org designates 192.0.2.1 as permitted sender) smtp.mailfrom=someone@example.org`;
    const field = authenticationResultsField("mx.ours.example", [
      "dkim=none (message not signed)",
      long,
      "dmarc=pass",
    ]);
    expect(field.endsWith("\r\n")).toBe(true);
    const lines = field.slice(0, -2).split("\r\n");
    expect(lines[0]).toBe("Authentication-Results: mx.ours.example;");
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    const unfolded = field.replace(/\r\n/g, "");
    expect(unfolded).toBe(
      `Authentication-Results: mx.ours.example;\tdkim=none (message not signed);\t${long};\tdmarc=pass`,
    );
  });

  test("outside SMTPUTF8 the field is ASCII; a line break in a resinfo never survives", () => {
    const info = "dmarc=fail header.from=bäd.example (x\r\nX-Injected: yes)";
    const ascii = authenticationResultsField("mx.ours.example", [info]);
    expect([...Buffer.from(ascii)].every((b) => b < 0x80)).toBe(true);
    expect(ascii).toContain("header.from=b?d.example");
    expect(ascii).not.toContain("\r\nX-Injected");
    expect(authenticationResultsField("mx.ours.example", [info], { utf8: true })).toContain("bäd.example");
  });

  test("a word longer than a line stays whole on its own line (no line past 998 octets from what mailauth gives)", () => {
    const field = authenticationResultsField("mx.ours.example", [`dkim=pass header.b=${"A".repeat(200)}`]);
    expect(field.split("\r\n").every((l) => l.length <= 998)).toBe(true);
    expect(field.replace(/\r\n/g, "")).toContain(`header.b=${"A".repeat(200)}`);
  });
});
