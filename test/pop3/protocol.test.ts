/**
 * The pure protocol layer, table-driven: LineReader and parseCommand() on well-formed and hostile
 * input, dotStuff() and encodeReply() byte for byte, TOP's cut.
 */
import { describe, expect, test } from "bun:test";
import { headerEnd } from "../../src/mime/mod.ts";
import { topOf } from "../../src/pop3/commands/top.ts";
import { LineReader, lineCount, messageNumber, parseCommand } from "../../src/pop3/protocol/parser.ts";
import { dotStuff, encodeReply, reply } from "../../src/pop3/protocol/response.ts";
import { unstuff } from "../harness/pop3-client.ts";

const bytes = (s: string) => Buffer.from(s, "latin1");
const text = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString("latin1");

describe("LineReader", () => {
  test("LineReader splits pipelined input into lines, CRLF or bare LF", () => {
    const reader = new LineReader(4096);
    reader.push(bytes("STAT\r\nLIST 1\nNO"));
    expect(Buffer.from((reader.next() as { bytes: Uint8Array }).bytes).toString()).toBe("STAT");
    expect(Buffer.from((reader.next() as { bytes: Uint8Array }).bytes).toString()).toBe("LIST 1");
    expect(reader.next()).toBeUndefined();
    reader.push(bytes("OP\r\n"));
    expect(Buffer.from((reader.next() as { bytes: Uint8Array }).bytes).toString()).toBe("NOOP");
    expect(reader.pending).toBe(0);
  });

  test.each([
    ["a complete line over the limit", `${"x".repeat(100)}\r\n`],
    ["an unterminated line at the limit", "x".repeat(64)],
  ])("LineReader reports %s as too long", (_name, input) => {
    const reader = new LineReader(64);
    reader.push(bytes(input));
    expect(reader.next()).toEqual({ kind: "too-long" });
  });

  test("LineReader accepts a line of exactly the limit, CRLF included", () => {
    const reader = new LineReader(8);
    reader.push(bytes("ABCDEF\r\n"));
    expect(reader.next()?.kind).toBe("line");
  });
});

describe("parseCommand()", () => {
  test.each([
    ["STAT", "STAT", [], ""],
    ["stat", "STAT", [], ""],
    ["LIST 1", "LIST", ["1"], "1"],
    ["TOP  1   10", "TOP", ["1", "10"], " 1   10"],
    ["PASS pass word ", "PASS", ["pass", "word"], "pass word "],
    ["", "", [], ""],
    ["\u0000\u0001", "\u0000\u0001", [], ""],
  ])("parseCommand(%j) gives %j %j", (line, command, args, rest) => {
    expect(parseCommand(bytes(line))).toEqual({ command, args, rest });
  });

  test("parseCommand() keeps a UTF-8 password intact", () => {
    expect(parseCommand(Buffer.from("PASS pässwörd", "utf8")).rest).toBe("pässwörd");
  });

  test.each([
    ["1", 1],
    ["42", 42],
    ["0", undefined],
    ["01", undefined],
    ["-1", undefined],
    ["1.5", undefined],
    ["9999999999", undefined],
    ["", undefined],
    [undefined, undefined],
  ])("messageNumber(%j) is %j", (arg, n) => {
    expect(messageNumber(arg)).toBe(n);
  });

  test.each([
    ["0", 0],
    ["10", 10],
    ["-1", undefined],
    ["x", undefined],
  ])("lineCount(%j) is %j", (arg, n) => {
    expect(lineCount(arg)).toBe(n);
  });
});

describe("dotStuff()", () => {
  test.each([
    ["no dots", "a\r\nb\r\n", "a\r\nb\r\n.\r\n"],
    ["a dot at the very start", ".a\r\n", "..a\r\n.\r\n"],
    ["a lone dot line", "a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"],
    ["two dots", "..\r\n", "...\r\n.\r\n"],
    ["dots inside lines", "a.b\r\n a\r\n", "a.b\r\n a\r\n.\r\n"],
    ["bare LF lines", ".a\n.b\n", "..a\n..b\n.\r\n"],
    // Stored before bare CRs were refused (issue 9): a client that ends lines at CR must not read
    // "\r.\r\n" as the end of the response, so a dot after a bare CR is stuffed too.
    ["a dot line after a bare CR", "end\r.\r\n", "end\r..\r\n.\r\n"],
    ["a dot after a bare CR mid-body", "a\r.b\r\nc\r\n", "a\r..b\r\nc\r\n.\r\n"],
    ["CR LF dot, stuffed once", "a\r\n.b\r\n", "a\r\n..b\r\n.\r\n"],
    ["no final line end", "a\r\n.b", "a\r\n..b\r\n.\r\n"],
    ["an empty body", "", ".\r\n"],
    ["only a dot", ".", "..\r\n.\r\n"],
  ])("dotStuff() handles %s", (_name, input, wire) => {
    expect(text(dotStuff(bytes(input)))).toBe(wire);
  });

  test("dotStuff() returns a body without dot lines uncopied", () => {
    const body = bytes("plain\r\nbody\r\n");
    const [out] = dotStuff(body);
    expect(out!.buffer).toBe(body.buffer);
  });

  test("dotStuff() then unstuffing gives back every byte of random input", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let round = 0; round < 200; round++) {
      const alphabet = [0x2e, 0x0d, 0x0a, 0x61, 0x00, 0xff];
      const input = Buffer.from(
        Array.from({ length: random() % 200 }, () => alphabet[random() % alphabet.length]!),
      );
      const wire = Buffer.concat(dotStuff(input));
      // Strip the terminator we add, then undo the stuffing.
      const end = wire.length - (input.length === 0 || input.at(-1) === 0x0a ? 3 : 5);
      expect(unstuff(wire.subarray(0, end)).equals(input)).toBe(true);
    }
  });
});

describe("encodeReply()", () => {
  test.each([
    [reply.ok("fine"), "+OK fine\r\n"],
    [reply.ok(""), "+OK\r\n"],
    [reply.err("bad", "AUTH"), "-ERR [AUTH] bad\r\n"],
    [reply.err("line\r\nbreak"), "-ERR line break\r\n"],
    [reply.challenge(""), "+ \r\n"],
    [reply.lines("list", ["1 10", ".x"]), "+OK list\r\n1 10\r\n..x\r\n.\r\n"],
    [reply.lines("none", []), "+OK none\r\n.\r\n"],
  ])("encodeReply(%j)", (r, wire) => {
    expect(text(encodeReply(r))).toBe(wire);
  });
});

describe("topOf()", () => {
  const message = bytes("A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n");
  test.each([
    [0, "A: 1\r\nB: 2\r\n\r\n"],
    [2, "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n"],
    [99, "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n"],
  ])("topOf(message, %d)", (n, expected) => {
    expect(Buffer.from(topOf(message, headerEnd(message), n)).toString("latin1")).toBe(expected);
  });

  test("topOf() of a message with an empty header is the blank line and body lines", () => {
    const empty = bytes("\r\nbody\r\nmore\r\n");
    expect(Buffer.from(topOf(empty, headerEnd(empty), 1)).toString()).toBe("\r\nbody\r\n");
  });
});
