/**
 * Property-based and fuzz tests of the POP3 protocol layer: LineReader and parseCommand() on
 * arbitrary bytes (never throw, chunking never changes the lines), the argument parsers, and the
 * reply encoder: status lines are always one well-formed line, and un-stuffing a multi-line response
 * the way a client does gives back the body exactly (plus the CRLF the encoder adds when the body
 * does not end with a line break, RFC 1939 §3).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { LineReader, lineCount, messageNumber, parseCommand } from "../../src/pop3/protocol/parser.ts";
import { dotStuff, encodeReply, type Reply, type ResponseCode } from "../../src/pop3/protocol/response.ts";
import { concatBytes, cut, cutsArb, latin1, tokenSoup, withinBudget } from "./helpers.ts";

const POP3_VOCABULARY = [
  "USER ",
  "PASS ",
  "RETR 1",
  "TOP 1 10",
  "LIST",
  "AUTH PLAIN",
  " ",
  "  ",
  "\r\n",
  "\n",
  "\r",
  ".",
  "..",
  "\r\n.\r\n",
  "\u0000",
  "\u00e9",
  "\u00ff",
  "0",
  "-1",
  "99999999999",
];

const bytesArb = fc.oneof(tokenSoup(POP3_VOCABULARY, 60), fc.uint8Array({ maxLength: 400 }));

type Line = { kind: "line"; bytes: number[] } | { kind: "too-long" };

/** What LineReader must hand out for `input` read in one piece: the specification of the split. */
function referenceLines(input: Uint8Array, max: number): Line[] {
  const out: Line[] = [];
  let from = 0;
  for (;;) {
    const lf = input.indexOf(0x0a, from);
    if (lf === -1) {
      if (input.length - from >= max) out.push({ kind: "too-long" });
      return out;
    }
    if (lf + 1 - from > max) {
      out.push({ kind: "too-long" });
      return out;
    }
    const end = lf > from && input[lf - 1] === 0x0d ? lf - 1 : lf;
    out.push({ kind: "line", bytes: [...input.subarray(from, end)] });
    from = lf + 1;
  }
}

/** Feeds the chunks the way the connection does (draining after every chunk), stopping at too-long. */
function chunkedLines(chunks: readonly Uint8Array[], max: number): Line[] {
  const reader = new LineReader(max);
  const out: Line[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    for (let next = reader.next(); next; next = reader.next()) {
      if (next.kind === "too-long") {
        out.push(next);
        return out;
      }
      out.push({ kind: "line", bytes: [...next.bytes] });
    }
  }
  return out;
}

describe("POP3 input under fuzzing", () => {
  test("LineReader never throws and splits lines the same way however the input is chunked", () => {
    fc.assert(
      fc.property(bytesArb, cutsArb(10), fc.integer({ min: 2, max: 64 }), (input, cuts, max) => {
        const got = withinBudget(250, "LineReader", () => chunkedLines(cut(input, cuts), max));
        expect(got).toEqual(referenceLines(input, max));
      }),
      { seed: 0x9093_01, numRuns: 3000 },
    );
  });

  test("parseCommand() never throws; keyword, arguments and rest are consistent with the line", () => {
    const decoder = new TextDecoder();
    fc.assert(
      fc.property(bytesArb, (line) => {
        const command = parseCommand(line);
        const text = decoder.decode(line);
        expect(command.command).toBe(command.command.toUpperCase());
        expect(command.command.includes(" ")).toBe(false);
        for (const arg of command.args) {
          expect(arg).not.toBe("");
          expect(arg.includes(" ")).toBe(false);
        }
        expect(command.args).toEqual(command.rest.split(" ").filter((a) => a !== ""));
        const space = text.indexOf(" ");
        if (space === -1) expect([command.command, command.rest]).toEqual([text.toUpperCase(), ""]);
        else expect(text.slice(space + 1)).toBe(command.rest);
      }),
      { seed: 0x9093_02, numRuns: 3000 },
    );
  });

  test("messageNumber() and lineCount() accept exactly plain decimals in range, and round-trip them", () => {
    const argArb = fc.oneof(
      fc.string({ unit: fc.constantFrom("0", "1", "9", "-", "+", " ", "e", ".", "x"), maxLength: 12 }),
      fc.string({ unit: "binary", maxLength: 6 }),
      fc.nat().map(String),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(argArb, (arg) => {
        const n = messageNumber(arg);
        expect(n === undefined || (Number.isSafeInteger(n) && n >= 1 && String(n) === arg)).toBe(true);
        expect(n !== undefined).toBe(arg !== undefined && /^[1-9][0-9]{0,8}$/.test(arg));
        const lines = lineCount(arg);
        expect(lines === undefined || (Number.isSafeInteger(lines) && lines >= 0)).toBe(true);
        expect(lines !== undefined).toBe(arg !== undefined && /^[0-9]{1,9}$/.test(arg));
      }),
      { seed: 0x9093_03, numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999_999 }), (n) => {
        expect(messageNumber(String(n))).toBe(n);
        expect(lineCount(String(n))).toBe(n);
      }),
      { seed: 0x9093_04, numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

const CRLF = [0x0d, 0x0a];

/**
 * A client reading a multi-line response after its status line: lines end at LF (a CR before it is
 * part of the line end) or, for a lenient client, at a bare CR too; the first line that is exactly
 * "." ends the response; one leading "." is removed from the other lines that start with "."
 * (RFC 1939 §3). Returns the body and what followed.
 */
function clientRead(
  wire: Uint8Array,
  lineEnds: "lf" | "lf-or-cr" = "lf-or-cr",
): { body: Uint8Array; after: Uint8Array; stuffedLinesOk: boolean } {
  const out: Uint8Array[] = [];
  let stuffedLinesOk = true;
  let from = 0;
  for (;;) {
    let lf = wire.indexOf(0x0a, from);
    if (lineEnds === "lf-or-cr") {
      // A bare CR before the next LF ends the line there (stored legacy data, issue 9).
      for (
        let cr = wire.indexOf(0x0d, from);
        cr !== -1 && (lf === -1 || cr < lf - 1);
        cr = wire.indexOf(0x0d, cr + 1)
      )
        if (wire[cr + 1] !== 0x0a) {
          lf = cr;
          break;
        }
    }
    if (lf === -1) throw new Error("response not terminated");
    const line = wire.subarray(from, lf + 1);
    const content = line.subarray(
      0,
      line.length -
        (line.length >= 2 && line[line.length - 1] === 0x0a && line[line.length - 2] === 0x0d ? 2 : 1),
    );
    if (content.length === 1 && content[0] === 0x2e) {
      return { body: concatBytes(out), after: wire.subarray(lf + 1), stuffedLinesOk };
    }
    if (line[0] === 0x2e) {
      // The encoder stuffs every line that starts with ".", so such a line always starts with "..".
      if (line[1] !== 0x2e) stuffedLinesOk = false;
      out.push(line.subarray(1));
    } else {
      out.push(line);
    }
    from = lf + 1;
  }
}

/** The body as the client receives it: a CRLF is added after a last line without a line break. */
function normalised(body: Uint8Array): Uint8Array {
  if (body.length === 0 || body[body.length - 1] === 0x0a) return body;
  return concatBytes([body, Uint8Array.from(CRLF)]);
}

/** Bodies rich in the bytes that matter to stuffing: ".", CR, LF, and "." at line starts. */
const bodyArb = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc
    .array(
      fc.constantFrom(".", "..", "\r\n", "\n", "\r", "a", " ", ".\r\n", "\r\n.\r\n", "\n.\n", "\u00ff"),
      {
        maxLength: 60,
      },
    )
    .map((parts) => latin1(parts.join(""))),
);

const statusTextArb = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "binary", minLength: 100, maxLength: 600, size: "max" }),
  fc.string({ unit: "binary-ascii", maxLength: 80 }),
  fc.string({ unit: "grapheme", minLength: 100, maxLength: 500, size: "max" }),
  fc
    .tuple(
      fc.string({ unit: "grapheme-ascii", maxLength: 3 }),
      fc.constantFrom("\u00e9", "\u20ac", "\u{1f600}"),
    )
    .map(([a, b]) => a + b.repeat(300)),
);
const codeArb = fc.option(fc.constantFrom<ResponseCode>("AUTH", "SYS/TEMP", "SYS/PERM", "IN-USE"), {
  nil: undefined,
});

/** RFC 2449 §4: a response line is at most 512 octets, CRLF included; RFC 1939 §3: one line. */
function expectStatusLine(bytes: Uint8Array, prefix: string): void {
  const text = Buffer.from(bytes).toString("latin1");
  expect(text.startsWith(prefix)).toBe(true);
  expect(text.endsWith("\r\n")).toBe(true);
  expect(/[\u0000\r\n]/.test(text.slice(0, -2))).toBe(false);
  expect(bytes.length).toBeLessThanOrEqual(512);
  // What the server means to say must still be valid UTF-8 after any shortening.
  expect(() => new TextDecoder("utf-8", { fatal: true }).decode(bytes)).not.toThrow();
}

describe("POP3 replies under fuzzing", () => {
  test("dot-stuffing: un-stuffing what the encoder produces gives back the body (CRLF-normalised)", () => {
    fc.assert(
      fc.property(bodyArb, (body) => {
        const wire = concatBytes(dotStuff(body));
        const read = clientRead(wire);
        expect(read.after.length).toBe(0); // the terminator is the end of the response, never earlier
        expect(read.stuffedLinesOk).toBe(true);
        expect(Buffer.from(read.body).equals(Buffer.from(normalised(body)))).toBe(true);
        // A client that ends lines only at LF never meets the terminator early either.
        expect(clientRead(wire, "lf").after.length).toBe(0);
      }),
      { seed: 0x9093_10, numRuns: 5000 },
    );
  });

  test("with CRLF-only line ends, the first CRLF.CRLF on the wire is the terminator", () => {
    const lineArb = fc.string({ unit: fc.constantFrom(".", "a", " ", "\u00e9"), maxLength: 6 });
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 12 }), fc.boolean(), (lines, finalBreak) => {
        const body = Buffer.from(lines.join("\r\n") + (finalBreak && lines.length > 0 ? "\r\n" : ""), "utf8");
        const wire = Buffer.from(concatBytes(dotStuff(body)));
        // Read strictly by CRLF, as RFC 1939 describes (the first line is also a line start).
        const framed = Buffer.concat([Buffer.from("\r\n"), wire]);
        expect(framed.indexOf("\r\n.\r\n")).toBe(framed.length - 5);
      }),
      { seed: 0x9093_11, numRuns: 3000 },
    );
  });

  test("encodeReply(): status lines are single, clean lines of at most 512 octets", () => {
    const replyArb: fc.Arbitrary<Reply> = fc.oneof(
      statusTextArb.map((text): Reply => ({ kind: "ok", text })),
      fc.tuple(statusTextArb, codeArb).map(([text, code]): Reply => ({ kind: "err", text, code })),
    );
    fc.assert(
      fc.property(replyArb, (r) => {
        const chunks = encodeReply(r);
        expect(chunks.length).toBe(1);
        expectStatusLine(chunks[0]!, r.kind === "ok" ? "+OK" : "-ERR");
        if (r.kind === "err" && r.code)
          expect(Buffer.from(chunks[0]!).toString("latin1")).toStartWith(`-ERR [${r.code}]`);
      }),
      { seed: 0x9093_12, numRuns: 3000 },
    );
  });

  test("encodeReply(): multi-line responses read back to their lines and bodies", () => {
    const replyArb = fc.oneof(
      fc
        .tuple(statusTextArb, fc.array(fc.string({ unit: "binary", maxLength: 40 }), { maxLength: 8 }))
        .map(([text, lines]) => ({ r: { kind: "lines", text, lines } as Reply, lines })),
      fc
        .tuple(statusTextArb, bodyArb)
        .map(([text, body]) => ({ r: { kind: "message", text, body } as Reply, lines: null })),
    );
    fc.assert(
      fc.property(replyArb, ({ r, lines }) => {
        const wire = concatBytes(encodeReply(r));
        const statusEnd = wire.indexOf(0x0a) + 1;
        expectStatusLine(wire.subarray(0, statusEnd), "+OK");
        const read = clientRead(wire.subarray(statusEnd));
        expect(read.after.length).toBe(0);
        if (r.kind === "message") {
          expect(Buffer.from(read.body).equals(Buffer.from(normalised(r.body)))).toBe(true);
        } else {
          // Lines are ours (CAPA, LIST, UIDL) but are cleaned of control characters all the same.
          const text = Buffer.from(read.body).toString("utf8");
          const got = text === "" ? [] : text.slice(0, -2).split("\r\n");
          expect(got.length).toBe(lines!.length);
          for (const line of got) expect(/[\u0000-\u001f\u007f]/.test(line)).toBe(false);
        }
      }),
      { seed: 0x9093_13, numRuns: 2000 },
    );
  });

  test("dotStuff() stays linear on a 4 MB body that is nothing but dot lines", () => {
    const body = Buffer.alloc(4 * 1024 * 1024, ".\n");
    dotStuff(body.subarray(0, 1024)); // warm-up
    const wire = withinBudget(1500, "dotStuff", () => concatBytes(dotStuff(body)));
    expect(wire.length).toBe(body.length + body.length / 2 + 3);
  });
});
