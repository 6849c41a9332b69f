/**
 * src/mime/line-endings.ts, the one place that finds and normalises bare CR / bare LF for every
 * ingest path: table-driven, then properties over random bytes cut into random chunks (a CR at the
 * end of one chunk and its LF at the start of the next is a CRLF, not two bare line ends).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { hasBareNewline, LineEndings, normalizeNewlines } from "../../src/mime/line-endings.ts";

const bytes = (s: string) => Buffer.from(s, "latin1");
const text = (b: Uint8Array) => Buffer.from(b).toString("latin1");

/** Feeds `input` in pieces cut at `cuts` and returns the bytes kept and whether a bare one was seen. */
function streamed(policy: "reject" | "normalize", input: Uint8Array, cuts: number[]) {
  const lines = new LineEndings(policy);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b)) {
    out.push(lines.push(input.subarray(from, cut)));
    from = cut;
  }
  out.push(lines.push(input.subarray(from)));
  out.push(lines.end());
  return { bytes: Buffer.concat(out), sawBare: lines.sawBare };
}

describe("hasBareNewline() and normalizeNewlines()", () => {
  test.each([
    ["CRLF only", "a\r\nb\r\n", false, "a\r\nb\r\n"],
    ["no line end at all", "abc", false, "abc"],
    ["an empty message", "", false, ""],
    ["a bare LF", "a\nb", true, "a\r\nb"],
    ["a bare LF first", "\na", true, "\r\na"],
    ["a bare CR", "a\rb", true, "a\r\nb"],
    ["a bare CR last", "a\r", true, "a\r\n"],
    ["CR CR LF", "a\r\r\n", true, "a\r\n\r\n"],
    ["LF CR", "a\n\rb", true, "a\r\n\r\nb"],
    ["the issue's spoof", "X: y\rFrom: ceo\r\r\nFrom: a", true, "X: y\r\nFrom: ceo\r\n\r\nFrom: a"],
  ])("%s (%p): bare is %p, normalised to %p", (_name, input, bare, normalized) => {
    expect(hasBareNewline(bytes(input))).toBe(bare);
    expect(text(normalizeNewlines(bytes(input)))).toBe(normalized);
  });

  test("normalizeNewlines() returns a CRLF-clean message uncopied", () => {
    const clean = bytes("From: a\r\n\r\nbody\r\n");
    expect(normalizeNewlines(clean)).toBe(clean);
  });
});

describe("LineEndings", () => {
  test("a CRLF split across two chunks is one line end, under either policy", () => {
    for (const policy of ["reject", "normalize"] as const) {
      const lines = new LineEndings(policy);
      expect(text(lines.push(bytes("a\r")))).toBe("a\r");
      expect(text(lines.push(bytes("\nb\r\n")))).toBe("\nb\r\n");
      expect(lines.end()).toHaveLength(0);
      expect(lines.sawBare).toBe(false);
    }
  });

  test("a CR ending one chunk and not followed by LF is bare: normalised with an LF first in the next", () => {
    const lines = new LineEndings("normalize");
    expect(text(lines.push(bytes("a\r")))).toBe("a\r");
    expect(text(lines.push(bytes("b")))).toBe("\nb");
    expect(lines.sawBare).toBe(true);
  });

  test("a CR as the very last byte of the message is bare", () => {
    const reject = new LineEndings("reject");
    reject.push(bytes("a\r"));
    expect(reject.sawBare).toBe(false);
    expect(reject.end()).toHaveLength(0);
    expect(reject.sawBare).toBe(true);
    const normalize = new LineEndings("normalize");
    normalize.push(bytes("a\r"));
    expect(text(normalize.end())).toBe("\n");
  });

  test("reject keeps every chunk as it is and only reports", () => {
    const lines = new LineEndings("reject");
    const chunk = bytes("a\nb");
    expect(lines.push(chunk)).toBe(chunk);
    expect(lines.sawBare).toBe(true);
  });

  const crlfHeavy = fc.uint8Array({ maxLength: 300 }).map((a) =>
    // Mostly CR, LF and a few letters, so line ends of every kind meet chunk boundaries often.
    Uint8Array.from(a, (b) => [0x0d, 0x0a, 0x0d, 0x0a, 0x61, 0x2e][b % 6]!),
  );
  const cuts = fc.array(fc.nat(400), { maxLength: 8 });

  test("property: chunked normalising equals whole-buffer normalising and leaves no bare CR or LF", () => {
    fc.assert(
      fc.property(crlfHeavy, cuts, (input, at) => {
        const whole = normalizeNewlines(input);
        const chunked = streamed("normalize", input, at);
        expect(text(chunked.bytes)).toBe(text(whole));
        expect(hasBareNewline(whole)).toBe(false);
        expect(chunked.sawBare).toBe(hasBareNewline(input));
        // Idempotent: normalising twice changes nothing more.
        expect(normalizeNewlines(whole)).toBe(whole);
        // Only CRs and LFs are added; every other byte stays, in order.
        const strip = (b: Uint8Array) => text(b).replace(/[\r\n]/g, "");
        expect(strip(whole)).toBe(strip(input));
      }),
      { seed: 9, numRuns: 2000 },
    );
  });

  test("property: chunked rejecting sees a bare CR or LF exactly when the whole buffer has one", () => {
    fc.assert(
      fc.property(crlfHeavy, cuts, (input, at) => {
        const chunked = streamed("reject", input, at);
        expect(chunked.sawBare).toBe(hasBareNewline(input));
        expect(text(chunked.bytes)).toBe(text(input));
        expect(hasBareNewline(input)).toBe(/\r(?!\n)|(?<!\r)\n/.test(text(input)));
      }),
      { seed: 10, numRuns: 2000 },
    );
  });
});
