/**
 * BODY[section]<partial> (RFC 3501 §6.4.5): the bytes a section names, sliced from the stored message
 * by the offsets the MIME parse recorded at delivery. Views into the raw bytes, never copies, except
 * HEADER.FIELDS, which has to pick lines. A section the message does not have is empty (§6.4.5 lets
 * a server answer so rather than fail the whole FETCH).
 */
import { concatBytes, type MimePart, parseHeaders } from "../../mime/mod.ts";
import type { Section } from "./items.ts";

const EMPTY = new Uint8Array(0);
const CRLF = new Uint8Array([13, 10]);

/**
 * The part a section-part path names. RFC 3501 §6.4.5: a message's parts are numbered from its top
 * body: the children of a multipart, or "1" for a single-part body (the body itself); a
 * message/rfc822 part's numbers continue into the encapsulated message the same way ("2.1").
 */
export function resolvePart(root: MimePart, path: readonly number[]): MimePart | undefined {
  let node: MimePart | undefined;
  let messageTop: MimePart | undefined = root;
  for (const n of path) {
    if (messageTop) {
      const top: MimePart = messageTop;
      messageTop = undefined;
      if (top.type === "multipart" && top.children.length > 0) node = top.children[n - 1];
      else node = n === 1 ? top : undefined;
    } else if (node?.message) {
      const top: MimePart = node.message.body;
      node =
        top.type === "multipart" && top.children.length > 0 ? top.children[n - 1] : n === 1 ? top : undefined;
    } else if (node && node.type === "multipart" && node.children.length > 0) {
      node = node.children[n - 1];
    } else {
      return undefined;
    }
    if (!node) return undefined;
  }
  return node;
}

/** Whether the header block [start, end) ends with its blank line (a message without a body may lack it). */
function endsWithBlankLine(raw: Uint8Array, start: number, end: number): boolean {
  if (end <= start || raw[end - 1] !== 10) return false;
  let e = end - 1;
  if (e > start && raw[e - 1] === 13) e--;
  return e === start || raw[e - 1] === 10;
}

/**
 * HEADER.FIELDS / HEADER.FIELDS.NOT: the matching fields (names compared case-insensitively) in message
 * order, each with its folded lines as stored, then the blank line (§6.4.5: "the blank line is included
 * in all header fetches, except in the case of a message which has no body and no blank line").
 */
export function headerFields(
  raw: Uint8Array,
  start: number,
  end: number,
  names: readonly string[],
  exclude: boolean,
): Uint8Array {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const chunks: Uint8Array[] = [];
  for (const field of parseHeaders(raw, start, end)) {
    if (wanted.has(field.name.toLowerCase()) === exclude) continue;
    chunks.push(raw.subarray(field.start, field.end));
  }
  if (endsWithBlankLine(raw, start, end)) chunks.push(CRLF);
  return concatBytes(chunks);
}

/** The header-based section texts over one header block [start, end). */
function fromHeader(section: Section, raw: Uint8Array, start: number, end: number): Uint8Array {
  if (section.text === "HEADER") return raw.subarray(start, end);
  return headerFields(raw, start, end, section.fields, section.text === "HEADER.FIELDS.NOT");
}

/**
 * The bytes of a section. `raw` is the whole message, or only its header when the section needs no
 * more; `structure` is needed only when the section names a part.
 */
export function sectionBytes(
  section: Section,
  raw: Uint8Array,
  headerEnd: number,
  structure: MimePart | undefined,
): Uint8Array {
  if (section.path.length === 0) {
    switch (section.text) {
      case "":
        return raw;
      case "TEXT":
        return raw.subarray(headerEnd);
      case "MIME":
        return EMPTY;
      default:
        return fromHeader(section, raw, 0, headerEnd);
    }
  }
  const part = structure ? resolvePart(structure, section.path) : undefined;
  if (!part) return EMPTY;
  switch (section.text) {
    case "":
      return raw.subarray(part.bodyStart, part.end);
    case "MIME":
      return raw.subarray(part.start, part.bodyStart);
    default: {
      // HEADER and TEXT address the message inside a message/rfc822 part only (§6.4.5).
      const inner = part.message?.body;
      if (!inner) return EMPTY;
      if (section.text === "TEXT") return raw.subarray(inner.bodyStart, inner.end);
      return fromHeader(section, raw, inner.start, inner.bodyStart);
    }
  }
}

/** <origin.length>: the octets from origin on, at most length of them; empty when origin is past the end. */
export function partialBytes(bytes: Uint8Array, origin: number, length: number): Uint8Array {
  if (origin >= bytes.length) return EMPTY;
  return bytes.subarray(origin, Math.min(bytes.length, origin + length));
}

/** Whether a section can be answered from the top-level header bytes alone. */
export function needsOnlyHeader(section: Section): boolean {
  return section.path.length === 0 && section.text.startsWith("HEADER");
}
