import { describe, expect, test } from "bun:test";
import { findPart, type MimePart, parseMessage, partBody } from "../../src/mime/mod.ts";
import { body, crlf, expectConsistent, header, lf, slice } from "./helpers.ts";

const alternative = crlf(
  "From: a@example.com",
  "Subject: alt",
  'Content-Type: multipart/alternative; boundary="XYZ"',
  "",
  "This is the preamble.",
  "--XYZ",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "Plain line 1",
  "Plain line 2",
  "--XYZ",
  "Content-Type: text/html; charset=utf-8",
  "",
  "<p>HTML</p>",
  "--XYZ--",
  "epilogue",
);

const mixed = crlf(
  "From: a@example.com",
  "Content-Type: multipart/mixed; boundary=outer",
  "",
  "--outer",
  "Content-Type: multipart/alternative; boundary=inner",
  "",
  "--inner",
  "Content-Type: text/plain",
  "",
  "text body",
  "--inner",
  "Content-Type: text/html",
  "",
  "<b>html body</b>",
  "--inner--",
  "",
  "--outer",
  "Content-Type: image/png; name=dot.png",
  "Content-Transfer-Encoding: base64",
  "Content-Disposition: attachment; filename=dot.png",
  "Content-ID: <dot@x>",
  "",
  "iVBORw0KGgo=",
  "--outer--",
  "",
);

const rfc822 = crlf(
  "From: outer@example.com",
  "Subject: Fwd: hello",
  "Content-Type: multipart/mixed; boundary=b1",
  "",
  "--b1",
  "Content-Type: text/plain",
  "",
  "see attached",
  "--b1",
  "Content-Type: message/rfc822",
  "Content-Disposition: attachment",
  "",
  "From: Inner Person <inner@example.org>",
  "To: you@example.net",
  "Subject: hello",
  "Message-ID: <inner@example.org>",
  "Content-Type: multipart/alternative; boundary=b2",
  "",
  "--b2",
  "Content-Type: text/plain",
  "",
  "inner text",
  "--b2",
  "Content-Type: text/html",
  "",
  "<i>inner html</i>",
  "--b2--",
  "--b1--",
);

describe("parseMessage() structure", () => {
  test("parseMessage() gives byte offsets of each part of a multipart/alternative", () => {
    const p = parseMessage(alternative);
    const root = p.structure;
    expect([root.partId, root.type, root.subtype, root.params.boundary]).toEqual([
      "",
      "multipart",
      "alternative",
      "XYZ",
    ]);
    expect(p.headerEnd).toBe(root.bodyStart);
    expect(header(alternative, root)).toEndWith('boundary="XYZ"\r\n\r\n');
    expect(body(alternative, root)).toStartWith("This is the preamble.\r\n--XYZ\r\n");
    expect(root.end).toBe(alternative.length);
    const [plain, html] = root.children;
    expect(root.children.length).toBe(2);
    expect(plain!.partId).toBe("1");
    expect(header(alternative, plain!)).toBe("Content-Type: text/plain; charset=utf-8\r\n\r\n");
    // RFC 2046 §5.1.1: the CRLF before "--XYZ" belongs to the delimiter, not the body.
    expect(body(alternative, plain!)).toBe("Plain line 1\r\nPlain line 2");
    expect(plain!.lines).toBe(2);
    expect(plain!.size).toBe("Plain line 1\r\nPlain line 2".length);
    expect(html!.partId).toBe("2");
    expect(body(alternative, html!)).toBe("<p>HTML</p>");
    expect(slice(alternative, html!.end, html!.end + 9)).toBe("\r\n--XYZ--");
    expectConsistent(alternative, root);
  });

  test("parseMessage() numbers nested parts of multipart/mixed and finds the attachment", () => {
    const { structure } = parseMessage(mixed);
    expect(structure.children.map((c) => c.partId)).toEqual(["1", "2"]);
    const alt = findPart(structure, "1")!;
    expect(alt.subtype).toBe("alternative");
    expect(alt.children.map((c) => [c.partId, c.subtype, body(mixed, c)])).toEqual([
      ["1.1", "plain", "text body"],
      ["1.2", "html", "<b>html body</b>"],
    ]);
    // The inner close delimiter and the blank line after it are the alternative's epilogue.
    expect(body(mixed, alt)).toEndWith("--inner--\r\n");
    const png = findPart(structure, "2")!;
    expect([png.type, png.subtype, png.encoding, png.id]).toEqual(["image", "png", "BASE64", "<dot@x>"]);
    expect(png.params).toEqual({ name: "dot.png" });
    expect(png.disposition).toEqual({ type: "attachment", params: { filename: "dot.png" } });
    expect(new TextDecoder().decode(partBody(mixed, png))).toBe("iVBORw0KGgo=");
    expect(findPart(structure, "3")).toBeUndefined();
    expect(findPart(structure, "1.3")).toBeUndefined();
    expectConsistent(mixed, structure);
  });

  test("parseMessage() opens a message/rfc822 attachment with its own envelope and structure", () => {
    const { structure } = parseMessage(rfc822);
    const msg = findPart(structure, "2")!;
    expect([msg.type, msg.subtype]).toEqual(["message", "rfc822"]);
    expect(msg.message).toBeDefined();
    const { envelope, body: inner } = msg.message!;
    expect(envelope.subject).toBe("hello");
    expect(envelope.from).toEqual([{ name: "Inner Person", mailbox: "inner", host: "example.org" }]);
    expect(envelope.sender).toEqual(envelope.from);
    expect(envelope.to).toEqual([{ name: null, mailbox: "you", host: "example.net" }]);
    expect(envelope.messageId).toBe("<inner@example.org>");
    // The encapsulated message spans the whole body of part 2, offsets absolute into the outer message.
    expect(inner.start).toBe(msg.bodyStart);
    expect(inner.end).toBe(msg.end);
    expect(header(rfc822, inner)).toStartWith("From: Inner Person");
    expect(body(rfc822, msg)).toEndWith("--b2--");
    expect(msg.lines).toBe(15);
    expect([inner.partId, inner.subtype]).toEqual(["2", "alternative"]);
    expect(findPart(structure, "2.1")!.partId).toBe("2.1");
    expect(body(rfc822, findPart(structure, "2.1")!)).toBe("inner text");
    expect(body(rfc822, findPart(structure, "2.2")!)).toBe("<i>inner html</i>");
    expectConsistent(rfc822, structure);
  });

  test("parseMessage() numbers the single body of an attached message as N.1", () => {
    const raw = crlf(
      "Content-Type: multipart/mixed; boundary=b",
      "",
      "--b",
      "",
      "first",
      "--b",
      "Content-Type: message/rfc822",
      "",
      "Subject: inner",
      "",
      "inner body",
      "--b--",
    );
    const { structure } = parseMessage(raw);
    const inner = findPart(structure, "2.1")!;
    expect(inner).toBe(findPart(structure, "2")!.message!.body);
    expect(body(raw, inner)).toBe("inner body");
    expect(findPart(structure, "1")!.params).toEqual({ charset: "us-ascii" });
    expect(body(raw, findPart(structure, "1")!)).toBe("first");
  });

  test("parseMessage() numbers a single-part message '1' and its body follows the header", () => {
    const raw = crlf("Subject: hi", "", "Hello", "World", "");
    const { structure, headerEnd } = parseMessage(raw);
    expect(structure.partId).toBe("1");
    expect(findPart(structure, "1")).toBe(structure);
    expect(headerEnd).toBe("Subject: hi\r\n\r\n".length);
    expect(body(raw, structure)).toBe("Hello\r\nWorld\r\n");
    expect(structure.lines).toBe(2);
    expect([structure.type, structure.subtype, structure.encoding]).toEqual(["text", "plain", "7BIT"]);
  });

  test("parseMessage() gives exact offsets with bare LF line endings", () => {
    const raw = lf(
      "Content-Type: multipart/mixed; boundary=b",
      "",
      "--b",
      "",
      "one",
      "two",
      "--b",
      "",
      "three",
      "--b--",
      "",
    );
    const { structure } = parseMessage(raw);
    expect(structure.children.map((c) => body(raw, c))).toEqual(["one\ntwo", "three"]);
    expect(structure.children.map((c) => c.lines)).toEqual([2, 1]);
    expect(header(raw, structure.children[0]!)).toBe("\n");
    expectConsistent(raw, structure);
  });

  const lineCases: Array<[string, string, number]> = [
    ["empty body", "", 0],
    ["one terminated line", "a\r\n", 1],
    ["one unterminated line", "a", 1],
    ["two lines, last unterminated", "a\r\nb", 2],
    ["blank lines", "\r\n\r\n", 2],
    ["LF only", "a\nb\n", 2],
  ];
  test.each(lineCases)("parseMessage() counts lines as IMAP does: %s", (_name, text, lines) => {
    const raw = crlf("Subject: x", "", text);
    expect(parseMessage(raw).structure.lines).toBe(lines);
  });

  test("parseMessage() defaults the parts of a multipart/digest to message/rfc822", () => {
    const raw = crlf(
      "Content-Type: multipart/digest; boundary=d",
      "",
      "--d",
      "",
      "Subject: one",
      "",
      "body one",
      "--d",
      "Content-Type: text/plain",
      "",
      "not a message",
      "--d--",
    );
    const { structure } = parseMessage(raw);
    const [first, second] = structure.children;
    expect([first!.type, first!.subtype]).toEqual(["message", "rfc822"]);
    expect(first!.message!.envelope.subject).toBe("one");
    expect(body(raw, first!.message!.body)).toBe("body one");
    expect([second!.type, second!.subtype]).toEqual(["text", "plain"]);
  });

  test("parseMessage() accepts transport padding after a delimiter but not other text", () => {
    const raw = crlf(
      "Content-Type: multipart/mixed; boundary=b",
      "",
      "--b  \t",
      "",
      "one",
      "--bogus",
      "--b--   ",
      "epilogue",
    );
    const { structure } = parseMessage(raw);
    expect(structure.children.length).toBe(1);
    expect(body(raw, structure.children[0]!)).toBe("one\r\n--bogus");
  });

  test("parseMessage() closes inner parts implicitly at an outer delimiter", () => {
    const raw = crlf(
      "Content-Type: multipart/mixed; boundary=outer",
      "",
      "--outer",
      "Content-Type: multipart/alternative; boundary=inner",
      "",
      "--inner",
      "",
      "never closed",
      "--outer",
      "",
      "second",
      "--outer--",
    );
    const { structure } = parseMessage(raw);
    expect(structure.children.map((c) => c.partId)).toEqual(["1", "2"]);
    expect(body(raw, findPart(structure, "1.1")!)).toBe("never closed");
    expect(body(raw, findPart(structure, "2")!)).toBe("second");
    expectConsistent(raw, structure);
  });

  test("parseMessage() keeps a part whose header runs into the next delimiter", () => {
    const raw = crlf(
      "Content-Type: multipart/mixed; boundary=b",
      "",
      "--b",
      "Content-Type: image/gif",
      "--b",
      "--b--",
    );
    const { structure } = parseMessage(raw);
    const [gif, empty] = structure.children;
    expect([gif!.type, gif!.size, gif!.lines]).toEqual(["image", 0, 0]);
    expect(header(raw, gif!)).toBe("Content-Type: image/gif");
    expect([empty!.size, empty!.start]).toEqual([0, empty!.bodyStart]);
    expectConsistent(raw, structure);
  });

  test("parseMessage() treats a part without a blank line after its header start as body text", () => {
    const raw = crlf("Content-Type: multipart/mixed; boundary=b", "", "--b", "just text, no header", "--b--");
    const { structure } = parseMessage(raw);
    const part = structure.children[0]!;
    expect(part.start).toBe(part.bodyStart);
    expect(body(raw, part)).toBe("just text, no header");
  });

  const unsplittable: Array<[string, Uint8Array]> = [
    ["no boundary parameter", crlf("Content-Type: multipart/mixed", "", "--b", "", "x")],
    ["no delimiter line", crlf("Content-Type: multipart/mixed; boundary=b", "", "just text")],
    ["only a close delimiter", crlf("Content-Type: multipart/mixed; boundary=b", "", "--b--")],
  ];
  test.each(unsplittable)("parseMessage() leaves a multipart with %s as a leaf numbered 1", (_name, raw) => {
    const { structure } = parseMessage(raw);
    expect(structure.type).toBe("multipart");
    expect(structure.children).toEqual([]);
    expect(structure.partId).toBe("1");
    expect(structure.end).toBe(raw.length);
    expectConsistent(raw, structure);
  });

  test("parseMessage() reads Content-* fields into BODYSTRUCTURE data", () => {
    const raw = crlf(
      "Content-Type: TEXT/Plain; CHARSET=ISO-8859-1; format=flowed (a comment)",
      "Content-Transfer-Encoding: Quoted-Printable",
      "Content-ID: <id@x>",
      "Content-Description: A  description",
      "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==",
      'Content-Disposition: inline; filename="a b.txt"; size=12',
      "Content-Language: en, de (German)",
      "Content-Location: http://example.com/",
      "  long/path",
      "",
      "x",
    );
    const part = parseMessage(raw).structure;
    expect(part).toMatchObject({
      type: "text",
      subtype: "plain",
      params: { charset: "ISO-8859-1", format: "flowed" },
      encoding: "QUOTED-PRINTABLE",
      id: "<id@x>",
      description: "A  description",
      md5: "Q2hlY2sgSW50ZWdyaXR5IQ==",
      disposition: { type: "inline", params: { filename: "a b.txt", size: "12" } },
      language: ["en", "de"],
      location: "http://example.com/long/path",
    });
  });

  test("parseMessage() falls back to text/plain; charset=us-ascii for a missing or invalid Content-Type", () => {
    for (const ct of [null, "Content-Type: garbage", "Content-Type: /x", "Content-Type: text/"]) {
      const raw = crlf(...(ct ? [ct] : []), "Subject: x", "", "body");
      const part = parseMessage(raw).structure;
      expect([part.type, part.subtype, part.params]).toEqual(["text", "plain", { charset: "us-ascii" }]);
    }
  });

  test("parseMessage() decodes RFC 2231 continuations and charsets in parameters", () => {
    const raw = crlf(
      "Content-Type: application/pdf;",
      " name*0*=utf-8''%E2%82%AC%20rate;",
      " name*1*=%20sheet;",
      ' name*2=".pdf"',
      "Content-Disposition: attachment;",
      " filename*0*=iso-8859-1'fr'r%E9;",
      " filename*1=sum%C3.pdf;",
      " filename=fallback.pdf",
      "",
      "",
    );
    const part = parseMessage(raw).structure;
    expect(part.params.name).toBe("€ rate sheet.pdf");
    // Unencoded continuation segments are literal: "%C3" stays as typed.
    expect(part.disposition!.params.filename).toBe("résum%C3.pdf");
  });

  test("parseMessage() keeps a base64-encoded message/rfc822 as a leaf (RFC 2046 §5.2.1)", () => {
    const raw = crlf(
      "Content-Type: multipart/mixed; boundary=b",
      "",
      "--b",
      "Content-Type: message/rfc822",
      "Content-Transfer-Encoding: base64",
      "",
      "U3ViamVjdDogeA0KDQp5",
      "--b--",
    );
    const part = parseMessage(raw).structure.children[0]!;
    expect(part.message).toBeUndefined();
    expect(part.subtype).toBe("rfc822");
  });

  test("parseMessage() structure survives a JSON round trip unchanged", () => {
    for (const raw of [alternative, mixed, rfc822]) {
      const parsed = parseMessage(raw);
      expect(JSON.parse(JSON.stringify(parsed))).toEqual(parsed);
    }
  });

  test("findPart() walks into encapsulated messages and rejects unknown ids", () => {
    const { structure } = parseMessage(rfc822);
    const ids = (p: MimePart | undefined) => p?.partId;
    expect(ids(findPart(structure, ""))).toBe("");
    expect(ids(findPart(structure, "1"))).toBe("1");
    expect(findPart(structure, "2")!.type).toBe("message");
    expect(findPart(structure, "2.3")).toBeUndefined();
    expect(findPart(structure, "1.1")).toBeUndefined();
    expect(findPart(structure, "x")).toBeUndefined();
  });
});
