/**
 * The MIME tree of a raw message in one linear pass over its lines
 * (RFC 2045, RFC 2046 §5.1 multipart, §5.2 message/rfc822). Open parts live on
 * a stack; every line start is checked once against the boundaries of all
 * open multiparts (a hash lookup, not a scan per level), so nesting does not
 * multiply the work. Line counts come from a running LF counter.
 */

import { decodeHeaderBytes } from "./charset.ts";
import { applyContentFields, isIdentityEncoding, isMessageType, newPart } from "./content.ts";
import { buildEnvelope } from "./envelope.ts";
import {
  BLANK_LINE,
  CONTINUATION_LINE,
  classifyHeaderLine,
  type HeaderField,
  MAX_FIELDS,
  parseHeaders,
} from "./headers.ts";
import type { MimePart } from "./types.ts";

/** Multiparts and encapsulated messages nested deeper than this become leaves. */
export const MAX_DEPTH = 64;
/** Beyond this many parts, further delimiter lines are treated as body text (bounds the stored JSON). */
export const MAX_PARTS = 10_000;
/** Transport padding (RFC 2046 §5.1.1) longer than this is not believed. */
const MAX_PADDING = 256;

type State = "header" | "leaf" | "multipart" | "epilogue" | "message";

interface Frame {
  part: MimePart;
  state: State;
  depth: number;
  /** "child" of a multipart, or the top of a message (the root, or inside message/rfc822). */
  role: "child" | "message";
  /** Children of a multipart are numbered prefix.1, prefix.2, ... */
  prefix: string;
  /** For a message top: the message/rfc822 part that encapsulates it (null for the root). */
  container: Frame | null;
  digestChild: boolean;
  boundary: string | null;
  fields: HeaderField[];
  inField: boolean;
  lfAtBody: number;
}

export interface Structure {
  root: MimePart;
  rootFields: HeaderField[];
}

const encoder = new TextEncoder();

/** The boundary text of a delimiter line, decoded the way header values are so the two compare equal. */
const boundaryKey = decodeHeaderBytes;

function joinId(prefix: string, n: number): string {
  return prefix === "" ? String(n) : `${prefix}.${n}`;
}

class StructureParser {
  private readonly stack: Frame[] = [];
  private readonly boundaries = new Map<string, Frame[]>();
  private maxBoundaryBytes = 0;
  /** UTF-8 byte lengths of every boundary registered so far: a cheap pre-filter, so it never shrinks. */
  private readonly boundaryLengths = new Set<number>();
  private parts = 1;
  readonly root: Frame;

  constructor(private readonly raw: Uint8Array) {
    this.root = this.push(newPart("", 0), 0, "message", "", null, false);
  }

  parse(): Structure {
    const raw = this.raw;
    const n = raw.length;
    let pos = 0;
    let lf = 0; // LFs before pos
    while (pos < n) {
      const top = this.stack[this.stack.length - 1];
      if (top && top.state !== "header") {
        // In a body, only delimiter lines matter; with no open boundary nothing can, so just count lines.
        if (this.boundaries.size === 0) {
          for (let i = pos; i < n; i++) if (raw[i] === 10) lf++;
          break;
        }
        if (raw[pos] !== 45) {
          const nl = raw.indexOf(10, pos);
          if (nl < 0) break;
          lf++;
          pos = nl + 1;
          continue;
        }
      }
      const nl = raw.indexOf(10, pos);
      const le = nl < 0 ? n : nl + 1;
      let ce = nl < 0 ? n : nl;
      if (ce > pos && raw[ce - 1] === 13) ce--;
      this.line(pos, ce, le, lf, nl >= 0);
      if (nl < 0) break;
      lf++;
      pos = le;
    }
    while (this.stack.length > 0) this.closeTop(n, lf);
    return { root: this.root.part, rootFields: this.root.fields };
  }

  private push(
    part: MimePart,
    depth: number,
    role: Frame["role"],
    prefix: string,
    container: Frame | null,
    digestChild: boolean,
  ): Frame {
    const frame: Frame = {
      part,
      state: "header",
      depth,
      role,
      prefix,
      container,
      digestChild,
      boundary: null,
      fields: [],
      inField: false,
      lfAtBody: 0,
    };
    this.stack.push(frame);
    return frame;
  }

  private line(ls: number, ce: number, le: number, lf: number, hasLf: boolean): void {
    // Bounded: a header that ends on a non-header line hands that line to the
    // new state, which can push at most one more header frame (an
    // encapsulated message with an empty header cannot be message/rfc822 again).
    for (;;) {
      if (this.boundaries.size > 0 && ce - ls >= 2 && this.raw[ls] === 45 && this.raw[ls + 1] === 45) {
        if (this.delimiter(ls, ce, le, lf)) return;
      }
      const top = this.stack[this.stack.length - 1];
      if (top?.state !== "header") return;
      const kind = classifyHeaderLine(this.raw, ls, ce, top.inField);
      if (kind >= 0 || kind === CONTINUATION_LINE) {
        top.inField = true;
        return;
      }
      if (kind === BLANK_LINE) {
        this.endHeader(top, le, lf + (hasLf ? 1 : 0));
        return;
      }
      this.endHeader(top, ls, lf);
    }
  }

  /** RFC 2046 §5.1.1: "--" boundary ["--"] transport-padding at a line start. Returns true when handled. */
  private delimiter(ls: number, ce: number, le: number, lf: number): boolean {
    const raw = this.raw;
    if (ce - ls - 4 > this.maxBoundaryBytes + MAX_PADDING) return false;
    let e = ce;
    while (e > ls + 2 && (raw[e - 1] === 32 || raw[e - 1] === 9)) e--;
    const len = e - ls - 2;
    // Most "--" lines (signatures, rules, ASCII art) fail on length before any string is built.
    const asDelimiter = this.boundaryLengths.has(len);
    const asClose = len > 2 && raw[e - 1] === 45 && raw[e - 2] === 45 && this.boundaryLengths.has(len - 2);
    if (!asDelimiter && !asClose) return false;
    let frame: Frame | undefined;
    let close = false;
    if (asDelimiter) frame = this.boundaries.get(boundaryKey(raw, ls + 2, e))?.at(-1);
    if (!frame && asClose) {
      frame = this.boundaries.get(boundaryKey(raw, ls + 2, e - 2))?.at(-1);
      close = true;
    }
    if (!frame) return false;
    if (!close && this.parts >= MAX_PARTS) return false;
    // The line break before the delimiter belongs to the delimiter, not to the part.
    const eol = ls > 0 && raw[ls - 1] === 10 ? (ls > 1 && raw[ls - 2] === 13 ? 2 : 1) : 0;
    const endPos = ls - eol;
    const lfAtEnd = eol > 0 ? lf - 1 : lf;
    while (this.stack[this.stack.length - 1] !== frame) this.closeTop(endPos, lfAtEnd);
    if (close) {
      this.unregister(frame);
      frame.state = "epilogue";
      return true;
    }
    this.parts++;
    const child = newPart(joinId(frame.prefix, frame.part.children.length + 1), le);
    frame.part.children.push(child);
    this.push(child, frame.depth + 1, "child", child.partId, null, frame.part.subtype === "digest");
    return true;
  }

  /** The header of the top frame ends; its body starts at bodyStart. Decides how the body is read. */
  private endHeader(frame: Frame, bodyStart: number, lfAtBody: number): void {
    const part = frame.part;
    part.bodyStart = bodyStart;
    frame.lfAtBody = lfAtBody;
    const fields = parseHeaders(this.raw, part.start, bodyStart, MAX_FIELDS);
    if (frame.role === "message") frame.fields = fields;
    applyContentFields(part, fields, frame.digestChild);
    if (frame.role === "message") part.partId = joinId(frame.prefix, 1);
    const boundary = part.params.boundary;
    if (part.type === "multipart" && frame.depth < MAX_DEPTH && boundary) {
      frame.state = "multipart";
      // The top multipart of a message takes the message's own number; its children extend it.
      if (frame.role === "message") part.partId = frame.prefix;
      this.register(frame, boundary);
    } else if (
      isMessageType(part) &&
      frame.depth < MAX_DEPTH &&
      isIdentityEncoding(part) &&
      this.parts < MAX_PARTS
    ) {
      frame.state = "message";
      this.parts++;
      this.push(newPart("", bodyStart), frame.depth + 1, "message", part.partId, frame, false);
    } else {
      frame.state = "leaf";
    }
  }

  private closeTop(endPos: number, lfAtEnd: number): void {
    const frame = this.stack[this.stack.length - 1]!;
    if (frame.state === "header") {
      // Header cut short by a delimiter or EOF: the part has no body. This may push an empty encapsulated message.
      this.endHeader(frame, Math.max(frame.part.start, endPos), lfAtEnd);
      return;
    }
    this.stack.pop();
    const part = frame.part;
    // A blank line ending the header right before a delimiter shares its line break with the
    // delimiter, which owns it (RFC 2046 §5.1.1): the body is empty there, not past it. Otherwise an
    // encapsulated message would end after its message/rfc822 container.
    if (endPos < part.bodyStart) part.bodyStart = Math.max(endPos, part.start);
    part.end = Math.max(endPos, part.bodyStart);
    part.size = part.end - part.bodyStart;
    part.lines = part.size === 0 ? 0 : lfAtEnd - frame.lfAtBody + (this.raw[part.end - 1] === 10 ? 0 : 1);
    this.unregister(frame);
    // A message top that turned out not to be split is numbered like any single-part body.
    if (frame.role === "message" && part.children.length === 0) part.partId = joinId(frame.prefix, 1);
    if (frame.container) {
      frame.container.part.message = { envelope: buildEnvelope(frame.fields), body: part };
    }
  }

  private register(frame: Frame, boundary: string): void {
    frame.boundary = boundary;
    const list = this.boundaries.get(boundary);
    if (list) list.push(frame);
    else this.boundaries.set(boundary, [frame]);
    const bytes = encoder.encode(boundary).length;
    this.boundaryLengths.add(bytes);
    this.maxBoundaryBytes = Math.max(this.maxBoundaryBytes, bytes);
  }

  private unregister(frame: Frame): void {
    if (frame.boundary === null) return;
    const list = this.boundaries.get(frame.boundary);
    if (list) {
      const at = list.lastIndexOf(frame);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0) this.boundaries.delete(frame.boundary);
    }
    frame.boundary = null;
  }
}

/** Parses the MIME structure of a raw message. Never throws on malformed input. */
export function parseStructure(raw: Uint8Array): Structure {
  return new StructureParser(raw).parse();
}
