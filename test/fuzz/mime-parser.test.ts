/**
 * Property-based and fuzz tests of the MIME parser. parseMessage() on arbitrary bytes and on mutated
 * valid messages never throws, stays within a time budget, and keeps its structural invariants
 * (offsets ordered and inside the input, children inside their parents, size and lines consistent
 * with the slices, plain JSON). Generated valid messages (random trees of multiparts, message/rfc822
 * parts and leaves with random headers and 7bit/8bit/binary/base64/quoted-printable bodies) parse to
 * the generated tree, and every leaf decodes to the generated content. The header decoders
 * (RFC 2047 words, address lists) never throw and round-trip what a mailer would write.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { encodeBody } from "../../src/imap/fetch/bodystructure.ts";
import { encodeEnvelope } from "../../src/imap/fetch/envelope.ts";
import { PieceBuilder } from "../../src/imap/fetch/pieces.ts";
import { resolvePart } from "../../src/imap/fetch/sections.ts";
import { MAX_ADDRESSES } from "../../src/mime/address.ts";
import {
  type Address,
  decodeMimeWords,
  decodeTransfer,
  findPart,
  headerEnd,
  type MimePart,
  messageToJson,
  type ParsedMessage,
  parseAddressList,
  parseMessage,
  partBody,
} from "../../src/mime/mod.ts";
import { allParts } from "../mime/helpers.ts";
import { ALPHABET, chars, concatBytes, latin1, tokenSoup, utf8, withinBudget } from "./helpers.ts";

/** Small inputs: generous for a loaded CI box, far below anything that could be called a hang. */
const PARSE_BUDGET_MS = 250;

/**
 * Everything that must hold for any input: the invariants of the structure, children in order and
 * without overlap, plain-JSON data, and everything computed from the parse at read time (REST JSON,
 * IMAP BODYSTRUCTURE and ENVELOPE, section lookup) working on it without throwing.
 */
function survive(raw: Uint8Array): ParsedMessage {
  const parsed = withinBudget(PARSE_BUDGET_MS, "parseMessage", () => parseMessage(raw));
  expect(violations(raw, parsed)).toEqual([]);
  expect(JSON.parse(JSON.stringify(parsed))).toEqual(parsed);
  withinBudget(PARSE_BUDGET_MS, "render", () => {
    messageToJson(raw, parsed);
    const out = new PieceBuilder();
    encodeBody(out, parsed.structure, true);
    encodeEnvelope(out, parsed.envelope);
  });
  return parsed;
}

/** LF-terminated lines plus an unterminated last line, the way IMAP counts body lines. */
function countLines(raw: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if (raw[i] === 10) n++;
  return end > start && raw[end - 1] !== 10 ? n + 1 : n;
}

/**
 * The structural invariants (as in test/mime/helpers.ts expectConsistent, plus ordering and lookup),
 * collected as messages rather than asserted one by one: thousands of runs stay fast, and a failure
 * lists everything that is wrong with the part.
 */
function violations(raw: Uint8Array, parsed: ParsedMessage): string[] {
  const out: string[] = [];
  const root = parsed.structure;
  if (parsed.headerEnd !== root.bodyStart) out.push(`headerEnd ${parsed.headerEnd} != ${root.bodyStart}`);
  if (headerEnd(raw) !== parsed.headerEnd) out.push(`headerEnd() ${headerEnd(raw)} != ${parsed.headerEnd}`);
  for (const p of allParts(root)) {
    const at = `part ${JSON.stringify(p.partId)} [${p.start},${p.bodyStart},${p.end}]`;
    if (!(p.start >= 0 && p.start <= p.bodyStart && p.bodyStart <= p.end && p.end <= raw.length))
      out.push(`${at}: offsets out of order or outside the input (${raw.length})`);
    if (p.size !== p.end - p.bodyStart) out.push(`${at}: size ${p.size}`);
    const lines = countLines(raw, p.bodyStart, p.end);
    if (p.lines !== lines) out.push(`${at}: lines ${p.lines}, counted ${lines}`);
    p.children.forEach((c, i) => {
      if (c.start < p.bodyStart || c.end > p.end) out.push(`${at}: child ${c.partId} outside its parent`);
      const prev = p.children[i - 1];
      if (prev && c.start < prev.end) out.push(`${at}: child ${c.partId} overlaps ${prev.partId}`);
    });
    if (p.message && (p.message.body.start !== p.bodyStart || p.message.body.end !== p.end))
      out.push(`${at}: encapsulated message [${p.message.body.start},${p.message.body.end}] is not its body`);
    if (findPart(root, p.partId)?.partId !== p.partId) out.push(`${at}: findPart cannot find it`);
  }
  return out;
}

const MIME_VOCABULARY = [
  "\r\n",
  "\n",
  "\r",
  "\r\n\r\n",
  "--",
  "--b",
  "--b--",
  "\r\n--b\r\n",
  "--=_1",
  "Content-Type: ",
  "multipart/mixed; boundary=b",
  'multipart/alternative; boundary="=_1"',
  "message/rfc822",
  "multipart/digest; boundary=b",
  "text/plain; charset=utf-7",
  "text/plain; charset=x-unknown",
  "Content-Transfer-Encoding: ",
  "base64",
  "quoted-printable",
  "=?utf-8?B?",
  "=?x-unknown?Q?",
  "?=",
  "=E2=82",
  "=\r\n",
  "=ZZ",
  "Subject: ",
  "From: ",
  "To: ",
  "Date: ",
  ": ",
  " ",
  "\t",
  "<",
  ">",
  "@",
  ",",
  ";",
  '"',
  "(",
  ")",
  "\\",
  "filename*0*=utf-8''%E2%82;",
  "filename*1*=%AC",
  "\u0000",
  "\u00ff",
  "\u00e9",
];

// ---------------------------------------------------------------------------------------------
// A model of valid messages, rendered to bytes
// ---------------------------------------------------------------------------------------------

type Encoding = "7bit" | "8bit" | "binary" | "base64" | "quoted-printable";

interface Leaf {
  kind: "leaf";
  type: string;
  subtype: string;
  /** Leave out Content-Type (RFC 2045 §5.2 default: text/plain; charset=us-ascii). */
  implicitType: boolean;
  encoding: Encoding;
  content: Uint8Array;
  extra: string[];
  filename: string | null;
  contentId: string | null;
}

interface Multipart {
  kind: "multipart";
  subtype: string;
  children: MimeNode[];
  preamble: string;
  epilogue: string;
  extra: string[];
}

interface Encapsulated {
  kind: "message";
  inner: Message;
}

type MimeNode = Leaf | Multipart | Encapsulated;

interface Message {
  subject: string;
  subjectEncoding: "B" | "Q";
  from: Address[];
  to: Address[];
  date: { ms: number; offsetMinutes: number };
  messageId: string;
  extra: string[];
  root: MimeNode;
}

/** Text with no "=": every boundary starts with "=_", so no generated content can contain one. */
const safeLine = fc.string({
  unit: fc.constantFrom(..."abcXYZ019 .,;:!?'()/+_-\t-".split("")),
  maxLength: 30,
});
const safeText = fc.array(safeLine, { maxLength: 5 }).map((lines) => lines.join("\r\n"));

const contentArb = (encoding: Encoding): fc.Arbitrary<Uint8Array> => {
  switch (encoding) {
    case "7bit":
      return fc.tuple(safeText, fc.boolean()).map(([t, nl]) => utf8(t + (nl && t ? "\r\n" : "")));
    case "8bit":
      return fc
        .array(fc.uint8Array({ maxLength: 40 }), { maxLength: 5 })
        .map((lines) => lines.map((l) => l.filter((b) => b !== 0x0d && b !== 0x0a && b !== 0x3d)))
        .map((lines) => concatBytes(lines.flatMap((l, i) => (i ? [latin1("\r\n"), l] : [l]))));
    case "binary":
      // Anything but "=": lone CRs and LFs included.
      return fc.uint8Array({ maxLength: 200 }).map((b) => b.filter((x) => x !== 0x3d));
    default:
      return fc.uint8Array({ maxLength: 300 });
  }
};

const headerName = chars(`${ALPHABET.alnum}-`, 1, 12).map((n) => `X-${n}`);
/** Extra header fields, sometimes folded; values are printable ASCII. */
const extraHeaders = fc.array(
  fc
    .tuple(
      headerName,
      fc.array(fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 20 }), {
        minLength: 1,
        maxLength: 3,
      }),
    )
    .map(([name, pieces]) => `${name}: ${pieces.join("\r\n ")}`),
  { maxLength: 3 },
);

const leafArb: fc.Arbitrary<Leaf> = fc
  .constantFrom<Encoding>("7bit", "8bit", "binary", "base64", "quoted-printable")
  .chain((encoding) =>
    fc.record({
      kind: fc.constant("leaf" as const),
      type: fc.constantFrom("text", "application", "image", "audio"),
      subtype: chars(`${ALPHABET.lowerDigits}.+-`, 0, 10, ALPHABET.lower),
      implicitType: fc.boolean(),
      encoding: fc.constant(encoding),
      content: contentArb(encoding),
      extra: extraHeaders,
      filename: fc.option(fc.string({ unit: "binary", minLength: 1, maxLength: 12 })),
      contentId: fc.option(
        fc
          .tuple(chars(ALPHABET.lowerDigits, 1, 8), chars(ALPHABET.lower, 1, 8))
          .map(([l, d]) => `<${l}@${d}>`),
      ),
    }),
  );

const addressArb: fc.Arbitrary<Address> = fc.record({
  name: chars(`${ALPHABET.alnum} .`, 0, 15, ALPHABET.lower + ALPHABET.upper),
  mailbox: chars(`${ALPHABET.lowerDigits}._+-`, 0, 10, ALPHABET.lowerDigits),
  host: fc
    .tuple(
      chars(ALPHABET.lowerDigits, 1, 10),
      fc.array(chars(ALPHABET.lower, 2, 5), { minLength: 1, maxLength: 2 }),
    )
    .map(([a, rest]) => [a, ...rest].join(".")),
});

const { messageArb } = fc.letrec<{ nodeArb: MimeNode; messageArb: Message }>((tie) => ({
  nodeArb: fc.oneof(
    { maxDepth: 3, depthIdentifier: "mime" },
    leafArb,
    fc.record({
      kind: fc.constant("multipart" as const),
      subtype: fc.constantFrom("mixed", "alternative", "related", "digest", "x-custom"),
      children: fc.array(tie("nodeArb"), { minLength: 1, maxLength: 4 }),
      preamble: fc.oneof(fc.constant(""), safeText),
      epilogue: fc.oneof(fc.constant(""), safeText),
      extra: extraHeaders,
    }),
    tie("messageArb").map((inner): Encapsulated => ({ kind: "message", inner })),
  ),
  messageArb: fc.record({
    subject: fc.string({ unit: "binary", maxLength: 40 }),
    subjectEncoding: fc.constantFrom("B" as const, "Q" as const),
    from: fc.array(addressArb, { minLength: 1, maxLength: 1 }),
    to: fc.array(addressArb, { minLength: 1, maxLength: 3 }),
    date: fc.record({
      ms: fc.integer({ min: 0, max: 253_000_000_000 }).map((s) => s * 1000),
      offsetMinutes: fc.integer({ min: -14 * 60, max: 14 * 60 }),
    }),
    messageId: fc
      .tuple(chars(`${ALPHABET.lowerDigits}.`, 1, 12), chars(`${ALPHABET.lowerDigits}.`, 1, 12))
      .map(([l, d]) => `<${l}@${d}>`),
    extra: extraHeaders,
    root: tie("nodeArb"),
  }),
}));

/** RFC 2045 §6.7 quoted-printable: every octet but safe printable ASCII as =XX, soft breaks at 76. */
function quotedPrintable(bytes: Uint8Array): string {
  let out = "";
  let line = 0;
  for (const b of bytes) {
    const token =
      b >= 33 && b <= 126 && b !== 61
        ? String.fromCharCode(b)
        : `=${b.toString(16).toUpperCase().padStart(2, "0")}`;
    if (line + token.length > 75) {
      out += "=\r\n";
      line = 0;
    }
    out += token;
    line += token.length;
  }
  return out;
}

function base64Lines(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 76) lines.push(text.slice(i, i + 76));
  return lines.join("\r\n");
}

/** RFC 2047 encoded-words, split every few bytes (even inside a UTF-8 sequence, as mailers do) and folded. */
function encodeWords(text: string, mode: "B" | "Q", chunk = 9): string {
  const bytes = utf8(text);
  const words: string[] = [];
  for (let i = 0; i < bytes.length; i += chunk) {
    const piece = bytes.subarray(i, i + chunk);
    const encoded =
      mode === "B"
        ? Buffer.from(piece).toString("base64")
        : [...piece]
            .map((b) =>
              /[A-Za-z0-9]/.test(String.fromCharCode(b))
                ? String.fromCharCode(b)
                : b === 32
                  ? "_"
                  : `=${b.toString(16).toUpperCase().padStart(2, "0")}`,
            )
            .join("");
    words.push(`=?${i % 2 ? "utf-8" : "UTF-8"}?${mode}?${encoded}?=`);
  }
  return words.join("\r\n ");
}

/** RFC 2231 filename*=utf-8''%XX... */
function rfc2231(value: string): string {
  return [...utf8(value)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function rfc5322Date({ ms, offsetMinutes }: Message["date"]): string {
  const local = new Date(ms + offsetMinutes * 60_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return (
    `${DAYS[local.getUTCDay()]}, ${local.getUTCDate()} ${MONTHS[local.getUTCMonth()]} ${local.getUTCFullYear()} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ` +
    `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}

const showAddress = (a: Address) => `"${a.name}" <${a.mailbox}@${a.host}>`;

interface Rendered {
  bytes: Uint8Array;
  boundaries: string[];
}

function renderMessage(message: Message): Rendered {
  const boundaries: string[] = [];
  const CRLF = latin1("\r\n");

  /** The part's own header lines and its body bytes. */
  function part(node: MimeNode, inDigest: boolean): { headers: string[]; body: Uint8Array } {
    switch (node.kind) {
      case "leaf": {
        const headers: string[] = [];
        // In a digest a missing Content-Type means message/rfc822 (RFC 2046 §5.1.5): always say it there.
        if (!node.implicitType || inDigest) {
          const name = node.filename === null ? "" : `; name*=utf-8''${rfc2231(node.filename)}`;
          headers.push(`Content-Type: ${node.type}/${node.subtype}; charset=utf-8${name}`);
        }
        headers.push(`Content-Transfer-Encoding: ${node.encoding}`);
        if (node.filename !== null)
          headers.push(`Content-Disposition: attachment; filename*=utf-8''${rfc2231(node.filename)}`);
        if (node.contentId !== null) headers.push(`Content-ID: ${node.contentId}`);
        headers.push(...node.extra);
        const body =
          node.encoding === "base64"
            ? latin1(base64Lines(node.content))
            : node.encoding === "quoted-printable"
              ? latin1(quotedPrintable(node.content))
              : node.content;
        return { headers, body };
      }
      case "multipart": {
        const boundary = `=_${boundaries.length}_${node.subtype}`;
        boundaries.push(boundary);
        const chunks: Uint8Array[] = [];
        if (node.preamble) chunks.push(utf8(`${node.preamble}\r\n`));
        for (const child of node.children) {
          chunks.push(utf8(`--${boundary}\r\n`), whole(child, node.subtype === "digest"), CRLF);
        }
        chunks.push(utf8(`--${boundary}--`));
        if (node.epilogue) chunks.push(utf8(`\r\n${node.epilogue}`));
        return {
          headers: [`Content-Type: multipart/${node.subtype}; boundary="${boundary}"`, ...node.extra],
          body: concatBytes(chunks),
        };
      }
      case "message":
        return { headers: ["Content-Type: message/rfc822"], body: messageBytes(node.inner) };
    }
  }

  function whole(node: MimeNode, inDigest: boolean): Uint8Array {
    const { headers, body } = part(node, inDigest);
    return concatBytes([utf8(headers.map((h) => `${h}\r\n`).join("")), CRLF, body]);
  }

  function messageBytes(m: Message): Uint8Array {
    const { headers, body } = part(m.root, false);
    const top = [
      `From: ${m.from.map(showAddress).join(", ")}`,
      `To: ${m.to.map(showAddress).join(",\r\n ")}`,
      `Subject: ${encodeWords(m.subject, m.subjectEncoding)}`,
      `Date: ${rfc5322Date(m.date)}`,
      `Message-ID: ${m.messageId}`,
      "MIME-Version: 1.0",
      ...m.extra,
      ...headers,
    ];
    return concatBytes([utf8(top.map((h) => `${h}\r\n`).join("")), CRLF, body]);
  }

  return { bytes: messageBytes(message), boundaries };
}

/** Checks a parsed part against the model; `id` is the IMAP part number it must carry. */
function expectNode(
  raw: Uint8Array,
  root: MimePart,
  node: MimeNode,
  part: MimePart,
  id: string,
  inDigest = false,
): void {
  expect(part.partId).toBe(id);
  // The IMAP section number finds this very part (RFC 3501 §6.4.5), both ways the server looks it up.
  if (id !== "") {
    expect(findPart(root, id)?.partId).toBe(id);
    const resolved = resolvePart(root, id.split(".").map(Number));
    if (node.kind === "leaf") expect(resolved).toBe(part);
  }
  switch (node.kind) {
    case "leaf": {
      expect([part.type, part.subtype]).toEqual(
        node.implicitType && !inDigest ? ["text", "plain"] : [node.type, node.subtype],
      );
      expect(part.children.length).toBe(0);
      expect(part.encoding).toBe(node.encoding.toUpperCase());
      expect(
        Buffer.from(decodeTransfer(partBody(raw, part), part.encoding)).equals(Buffer.from(node.content)),
      ).toBe(true);
      if (node.filename !== null) expect(part.disposition?.params.filename).toBe(node.filename);
      expect(part.id).toBe(node.contentId);
      return;
    }
    case "multipart":
      expect([part.type, part.subtype]).toEqual(["multipart", node.subtype]);
      expect(part.children.length).toBe(node.children.length);
      node.children.forEach((child, i) => {
        const childId = id === "" ? String(i + 1) : `${id}.${i + 1}`;
        expectNode(raw, root, child, part.children[i]!, childId, node.subtype === "digest");
      });
      return;
    case "message":
      expect([part.type, part.subtype]).toEqual(["message", "rfc822"]);
      expect(part.message).toBeDefined();
      expectEnvelope(part.message!.envelope, node.inner);
      expectMessageRoot(raw, root, node.inner.root, part.message!.body, id);
      return;
  }
}

/** The top part of a message: a multipart takes the message's own number, a single part "<n>.1". */
function expectMessageRoot(
  raw: Uint8Array,
  root: MimePart,
  node: MimeNode,
  part: MimePart,
  prefix: string,
): void {
  const id = node.kind === "multipart" ? prefix : prefix === "" ? "1" : `${prefix}.1`;
  expectNode(raw, root, node, part, id);
}

function expectEnvelope(envelope: ParsedMessage["envelope"], m: Message): void {
  expect(decodeMimeWords(envelope.subject ?? "")).toBe(m.subject);
  expect(envelope.from).toEqual(m.from);
  expect(envelope.to).toEqual(m.to);
  expect(envelope.messageId).toBe(m.messageId);
}

describe("generated valid messages parse to the generated tree", () => {
  test("tree shape, types, part numbers, decoded leaf bodies, envelope, subject and date", () => {
    fc.assert(
      fc.property(messageArb, (message) => {
        const { bytes } = renderMessage(message);
        const parsed = survive(bytes);
        expectEnvelope(parsed.envelope, message);
        expect(parsed.subject).toBe(message.subject);
        expect(parsed.date).toBe(message.date.ms);
        expectMessageRoot(bytes, parsed.structure, message.root, parsed.structure, "");
      }),
      { seed: 0x313e10, numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

type Mutation =
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; length: number }
  | { kind: "duplicate"; at: number; length: number }
  | { kind: "boundary"; at: number; which: number; close: boolean }
  | { kind: "truncate"; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc
        .constantFrom(
          "\r",
          "\n",
          "\r\n",
          "\r\n\r\n",
          "--",
          ":",
          " ",
          "\u0000",
          "=",
          "Content-Type: multipart/mixed; boundary=x\r\n",
        )
        .map(latin1),
      fc.uint8Array({ minLength: 1, maxLength: 8 }),
    ),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant("duplicate" as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 200 }),
  }),
  fc.record({ kind: fc.constant("boundary" as const), at: fc.nat(), which: fc.nat(), close: fc.boolean() }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

function mutate(
  input: Uint8Array,
  boundaries: readonly string[],
  mutations: readonly Mutation[],
): Uint8Array {
  let raw = input;
  for (const m of mutations) {
    const at = m.at % (raw.length + 1);
    switch (m.kind) {
      case "insert":
        raw = concatBytes([raw.subarray(0, at), m.bytes, raw.subarray(at)]);
        break;
      case "delete":
        raw = concatBytes([raw.subarray(0, at), raw.subarray(at + m.length)]);
        break;
      case "duplicate":
        raw = concatBytes([
          raw.subarray(0, at + m.length),
          raw.subarray(at, at + m.length),
          raw.subarray(at + m.length),
        ]);
        break;
      case "boundary": {
        const b = boundaries.length > 0 ? boundaries[m.which % boundaries.length]! : "x";
        raw = concatBytes([
          raw.subarray(0, at),
          latin1(`\r\n--${b}${m.close ? "--" : ""}\r\n`),
          raw.subarray(at),
        ]);
        break;
      }
      case "truncate":
        raw = raw.subarray(0, at);
        break;
    }
  }
  return raw;
}

describe("parseMessage() on arbitrary and mutated input", () => {
  test("arbitrary bytes never make it throw, and the invariants hold", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 2000 }), tokenSoup(MIME_VOCABULARY, 120)), (raw) => {
        survive(raw);
      }),
      { seed: 0x313e01, numRuns: 1500 },
    );
  });

  // Found by the mutation property below: the blank line ending an encapsulated message's header
  // shared its line break with the next delimiter, and the inner body was placed past that line
  // break, so the encapsulated message ended 2 octets after its message/rfc822 container.
  test("an encapsulated message with an empty body right before a delimiter stays inside its container", () => {
    const raw = utf8(
      "Content-Type: multipart/mixed; boundary=x\r\n\r\n" +
        "--x\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\n--x--\r\n",
    );
    const parsed = survive(raw);
    const container = parsed.structure.children[0]!;
    const inner = container.message!.body;
    expect(new TextDecoder().decode(raw.subarray(inner.start, inner.bodyStart))).toBe("Subject: inner\r\n");
    expect([inner.bodyStart, inner.end, inner.size]).toEqual([container.end, container.end, 0]);
    expect(container.message!.envelope.subject).toBe("inner");
  });

  test("mutated valid messages (inserted, deleted, duplicated bytes, boundaries, CR/LF) survive", () => {
    fc.assert(
      fc.property(messageArb, fc.array(mutationArb, { minLength: 1, maxLength: 8 }), (message, mutations) => {
        const rendered = renderMessage(message);
        survive(mutate(rendered.bytes, rendered.boundaries, mutations));
      }),
      { seed: 0x313e02, numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Header decoders and transfer encodings
// ---------------------------------------------------------------------------------------------

const HEADER_VOCABULARY = [
  "=?",
  "?=",
  "=?utf-8?B?",
  "=?UTF-8?Q?",
  "=?x-unknown?B?",
  "=?utf-7?Q?",
  "=?iso-8859-1*en?Q?",
  "?B?",
  "?Q?",
  "=E2",
  "=82=AC",
  "_",
  "4oKs",
  "====",
  " ",
  "\t",
  "\r\n",
  "<",
  ">",
  "@",
  ",",
  ";",
  ":",
  '"',
  "\\",
  "(",
  ")",
  "[",
  "]",
  "a",
  "user",
  "example.com",
  "\u0000",
  "\u00e9",
  "\ud800",
];

const headerText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({ unit: fc.constantFrom(...HEADER_VOCABULARY), maxLength: 50 }),
);

describe("header decoders under fuzzing", () => {
  test("decodeMimeWords() never throws, and leaves text without '=?' alone", () => {
    fc.assert(
      fc.property(headerText, (value) => {
        const decoded = withinBudget(PARSE_BUDGET_MS, "decodeMimeWords", () => decodeMimeWords(value));
        expect(typeof decoded).toBe("string");
        if (!value.includes("=?")) expect(decoded).toBe(value);
      }),
      { seed: 0x313e20, numRuns: 3000 },
    );
  });

  test("decodeMimeWords() decodes what a mailer encodes (B and Q, words split inside characters)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 40 }),
        fc.constantFrom("B" as const, "Q" as const),
        fc.integer({ min: 1, max: 30 }),
        (text, mode, chunk) => {
          expect(decodeMimeWords(encodeWords(text, mode, chunk).replace(/\r\n/g, ""))).toBe(text);
        },
      ),
      { seed: 0x313e21, numRuns: 2000 },
    );
  });

  test("parseAddressList() never throws and returns well-formed addresses", () => {
    fc.assert(
      fc.property(headerText, (value) => {
        const list = withinBudget(PARSE_BUDGET_MS, "parseAddressList", () => parseAddressList(value));
        expect(list.length).toBeLessThanOrEqual(MAX_ADDRESSES);
        for (const a of list) {
          // A group marker has no host; a real address always has a (possibly empty) string host.
          if (a.host === null) expect(a.name).toBeNull();
          else expect(typeof a.mailbox).toBe("string");
        }
      }),
      { seed: 0x313e22, numRuns: 3000 },
    );
  });

  test("parseAddressList() reads back a list of name-addr mailboxes as written", () => {
    fc.assert(
      fc.property(
        fc.array(addressArb, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(", ", ",", ",\r\n "),
        (list, sep) => {
          expect(parseAddressList(list.map(showAddress).join(sep))).toEqual(list);
        },
      ),
      { seed: 0x313e23, numRuns: 1000 },
    );
  });

  test("base64 and quoted-printable decoding round-trip, and base64 ignores characters outside its alphabet", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(" ", "\r\n", "\t", "!", "*", "\u00e9")), {
          maxLength: 6,
        }),
        (bytes, noise) => {
          let b64 = base64Lines(bytes);
          for (const [at, junk] of noise) {
            const i = at % (b64.length + 1);
            b64 = b64.slice(0, i) + junk + b64.slice(i);
          }
          expect(Buffer.from(decodeTransfer(utf8(b64), "base64")).equals(Buffer.from(bytes))).toBe(true);
          const qp = latin1(quotedPrintable(bytes));
          expect(Buffer.from(decodeTransfer(qp, " Quoted-Printable ")).equals(Buffer.from(bytes))).toBe(true);
        },
      ),
      { seed: 0x313e24, numRuns: 1500 },
    );
  });

  test("decodeTransfer() never throws on arbitrary bytes under any encoding", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 500 }),
          tokenSoup(["=", "=\r\n", "=0", "=ZZ", "= \r\n", " \r\n", "==", "A"], 80),
        ),
        fc.constantFrom("base64", "quoted-printable", "7bit", "x-uuencode", ""),
        (bytes, encoding) => {
          const out = decodeTransfer(bytes, encoding);
          expect(out.length).toBeLessThanOrEqual(bytes.length);
        },
      ),
      { seed: 0x313e25, numRuns: 2000 },
    );
  });
});
