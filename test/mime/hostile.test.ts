import { describe, expect, test } from "bun:test";
import { findPart, messageToJson, parseMessage } from "../../src/mime/mod.ts";
import { allParts, body, bytes, crlf, expectConsistent } from "./helpers.ts";

/** Parses, checks the structural invariants and that the result is plain JSON. */
function survive(raw: Uint8Array) {
  const parsed = parseMessage(raw);
  expectConsistent(raw, parsed.structure);
  expect(JSON.parse(JSON.stringify(parsed))).toEqual(parsed);
  expect(() => messageToJson(raw, parsed)).not.toThrow();
  return parsed;
}

function concat(...chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function elapsed(run: () => void): number {
  const t = performance.now();
  run();
  return performance.now() - t;
}

describe("parseMessage() on hostile input", () => {
  test("parseMessage() survives 1,000-level nesting by capping depth at 64", () => {
    let text = "";
    for (let i = 0; i < 1000; i++) text += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
    text += "\r\ninnermost\r\n";
    const raw = bytes(text);
    const { structure } = survive(raw);
    let depth = 0;
    let part = structure;
    while (part.children.length > 0) {
      part = part.children[0]!;
      depth++;
    }
    expect(depth).toBe(64);
    // The deepest multipart is a leaf holding the rest of the message.
    expect([part.type, part.children.length, part.end]).toEqual(["multipart", 0, raw.length]);
    expect(findPart(structure, Array(64).fill("1").join("."))).toBe(part);
  });

  test("parseMessage() survives 1,000 nested message/rfc822 parts", () => {
    const raw = bytes(`${"Content-Type: message/rfc822\r\n\r\n".repeat(1000)}Subject: deep\r\n\r\nbody`);
    const { structure } = survive(raw);
    expect(allParts(structure).length).toBe(65);
  });

  test("parseMessage() survives boundaries that are never closed or never opened", () => {
    const cases = [
      crlf(
        "Content-Type: multipart/mixed; boundary=a",
        "",
        "--a",
        "Content-Type: multipart/mixed; boundary=b",
        "",
        "--b",
        "",
        "x",
      ),
      crlf("Content-Type: multipart/mixed; boundary=a", "", "--a--", "--a", "", "after close"),
      crlf("Content-Type: multipart/mixed; boundary=", "", "--", "", "x"),
      crlf(
        "Content-Type: multipart/mixed; boundary=a",
        "",
        "--a",
        "Content-Type: multipart/mixed; boundary=a",
        "",
        "--a",
        "--a--",
      ),
      crlf("Content-Type: multipart/mixed; boundary=a"),
      crlf("Content-Type: multipart/mixed; boundary=a", ""),
      crlf("Content-Type: message/rfc822"),
      crlf("Content-Type: multipart/mixed; boundary=a", "", "--a"),
      crlf("Content-Type: multipart/mixed; boundary=a", "", "--a", "--a", "--a"),
    ];
    for (const raw of cases) survive(raw);
    const unclosed = survive(cases[0]!).structure;
    expect(body(cases[0]!, findPart(unclosed, "1.1")!)).toBe("x");
  });

  test("parseMessage() survives NUL bytes, 8-bit headers and overlong lines", () => {
    survive(new Uint8Array(1000));
    survive(concat(bytes("Subject: "), new Uint8Array([0xff, 0xfe, 0, 0x80, 0xc3]), bytes("\r\n\r\nx\0y")));
    const long = survive(
      bytes(`Subject: ${"x".repeat(5000)}\r\nX: ${"y".repeat(100_000)}\r\n\r\n${"z".repeat(3000)}`),
    );
    expect(long.structure.lines).toBe(1);
    const nul = survive(bytes("Subject: a\0b\r\n\r\n\0\0text\0"));
    expect(nul.preview).toBe("text");
  });

  test("parseMessage() survives empty input, a header without body and a body without header", () => {
    for (const text of [
      "",
      "\r\n",
      "\n",
      "\r",
      "X: y",
      "X: y\r\n",
      "\r\nbody only",
      "body only",
      " leading space",
      ":",
      "--",
    ]) {
      survive(bytes(text));
    }
  });

  test("parseMessage() survives random bytes and mutated messages", () => {
    const seed = crlf(
      "From: a@b",
      "Content-Type: multipart/mixed; boundary=x",
      "",
      "--x",
      "Content-Type: message/rfc822",
      "",
      "Subject: s",
      "Content-Type: multipart/alternative; boundary=y",
      "",
      "--y",
      "Content-Transfer-Encoding: base64",
      "",
      "aGk=",
      "--y--",
      "--x--",
    );
    let state = 12345;
    const rand = (n: number) => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state % n;
    };
    for (let round = 0; round < 300; round++) {
      const raw = Uint8Array.from(seed);
      for (let k = 0; k < 1 + rand(6); k++)
        raw[rand(raw.length)] = [10, 13, 45, 58, 32, 0, 0xc3, rand(256)][rand(8)]!;
      survive(raw.subarray(0, rand(raw.length + 1)));
      survive(Uint8Array.from({ length: rand(400) }, () => rand(256)));
    }
  });
});

describe("parseMessage() runs in linear time", () => {
  test("parseMessage() parses a 20 MB single-line message in under 2 s", () => {
    const raw = concat(bytes("Subject: big\r\n\r\n"), new Uint8Array(20 * 1024 * 1024).fill(0x61));
    let parsed: ReturnType<typeof parseMessage> | undefined;
    expect(elapsed(() => (parsed = parseMessage(raw)))).toBeLessThan(2000);
    expect(parsed!.structure.lines).toBe(1);
    expect(parsed!.searchText.length).toBe(256 * 1024);
    expect(JSON.stringify(parsed).length).toBeLessThan(300 * 1024);
  });

  test("parseMessage() parses a 10 MB message with 5,000 parts in under 2 s", () => {
    const chunk = `${"line of text in a part ".repeat(3)}\r\n`.repeat(28);
    let text = "Content-Type: multipart/mixed; boundary=part-boundary\r\n\r\n";
    for (let i = 0; i < 5000; i++) {
      text += `--part-boundary\r\nContent-Type: text/plain\r\n\r\n${chunk}`;
    }
    text += "--part-boundary--\r\n";
    const raw = bytes(text);
    expect(raw.length).toBeGreaterThan(10_000_000);
    let parsed: ReturnType<typeof parseMessage> | undefined;
    expect(elapsed(() => (parsed = parseMessage(raw)))).toBeLessThan(2000);
    expect(parsed!.structure.children.length).toBe(5000);
    expect(parsed!.structure.children[4999]!.lines).toBe(28);
  });

  test("parseMessage() stays fast on 20 MB of bare line breaks and of fake delimiter lines", () => {
    expect(elapsed(() => parseMessage(new Uint8Array(20 * 1024 * 1024).fill(10)))).toBeLessThan(2000);
    let nested = "";
    for (let i = 0; i < 60; i++)
      nested += `Content-Type: multipart/mixed; boundary=${"b".repeat(60)}${i}\r\n\r\n--${"b".repeat(60)}${i}\r\n`;
    const raw = bytes(`${nested}\r\n${`--${"b".repeat(60)}x\n`.repeat(250_000)}`);
    expect(elapsed(() => parseMessage(raw))).toBeLessThan(2000);
  });

  test("parseMessage() stays fast and small on huge headers", () => {
    const raw = bytes(
      `To: ${"a@b, ".repeat(2_000_000)}\r\nSubject: ${"=?utf-8?q?a?= ".repeat(500_000)}\r\n\r\nx`,
    );
    let parsed: ReturnType<typeof parseMessage> | undefined;
    expect(elapsed(() => (parsed = parseMessage(raw)))).toBeLessThan(2000);
    expect(parsed!.envelope.to!.length).toBe(1000);
    expect(JSON.stringify(parsed).length).toBeLessThan(1024 * 1024);
    const fields = bytes("a:b\n".repeat(2_000_000));
    expect(elapsed(() => parseMessage(fields))).toBeLessThan(2000);
  });

  test("parseMessage() caps the number of parts it records", () => {
    const raw = bytes(
      `Content-Type: multipart/mixed; boundary=b\r\n\r\n${"--b\r\n\r\nx\r\n".repeat(20_000)}--b--\r\n`,
    );
    const parsed = survive(raw);
    expect(allParts(parsed.structure).length).toBe(10_000);
  });
});
