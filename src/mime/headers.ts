/**
 * Header block scanning (RFC 5322 §2.2, §3.6, §4.5): where a header block
 * ends, and its fields with byte offsets and unfolded values. The same line
 * classifier drives the structure parser, so both always agree on where a
 * header ends.
 */

import { decodeHeaderBytes } from "./charset.ts";

export interface HeaderField {
  name: string;
  value: string;
  start: number;
  end: number;
}

/** Line classes returned by classifyHeaderLine; a non-negative result is the colon's offset. */
export const BLANK_LINE = -1;
export const CONTINUATION_LINE = -2;
export const NOT_A_HEADER_LINE = -3;

/**
 * Classifies one header line [start, contentEnd) (line break excluded).
 * §2.2: a field name is printable US-ASCII except ":"; §4.5 (obs-optional)
 * allows whitespace between name and colon. A line that fits neither form ends
 * the header without a blank line: such input is really body text (a message
 * with no header, or a MIME part missing its separator line).
 */
export function classifyHeaderLine(
  raw: Uint8Array,
  start: number,
  contentEnd: number,
  inField: boolean,
): number {
  if (contentEnd <= start) return BLANK_LINE;
  const first = raw[start]!;
  if (first === 32 || first === 9) return inField ? CONTINUATION_LINE : NOT_A_HEADER_LINE;
  let i = start;
  while (i < contentEnd) {
    const c = raw[i]!;
    if (c === 58 || c <= 32 || c >= 127) break;
    i++;
  }
  if (i === start) return NOT_A_HEADER_LINE;
  while (i < contentEnd && (raw[i] === 32 || raw[i] === 9)) i++;
  return i < contentEnd && raw[i] === 58 ? i : NOT_A_HEADER_LINE;
}

/** Offset just past the line starting at `pos` (past its LF), bounded by `end`. */
export function lineEnd(raw: Uint8Array, pos: number, end: number): number {
  const nl = raw.indexOf(10, pos);
  return nl < 0 || nl >= end ? end : nl + 1;
}

/** End of a line's content: excludes a trailing LF and the CR before it. */
export function contentEnd(raw: Uint8Array, start: number, end: number): number {
  let e = end;
  if (e > start && raw[e - 1] === 10) e--;
  if (e > start && raw[e - 1] === 13) e--;
  return e;
}

function isWsp(code: number): boolean {
  return code === 32 || code === 9;
}

/** Trims SP/HTAB only (String#trim would also eat NBSP and friends); index scans keep it linear. */
export function trimWsp(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWsp(s.charCodeAt(a))) a++;
  while (b > a && isWsp(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Shortens hostile values (a multi-megabyte Subject, say) before they are
 * copied into the stored parse; no legitimate field comes near the limit.
 */
export const MAX_VALUE_CHARS = 64 * 1024;
/** Fields kept per header block by the message parser; real headers (even long Received chains) stay far below. */
export const MAX_FIELDS = 10_000;

/** Truncates to `max` UTF-16 units without leaving half a surrogate pair. */
export function clip(s: string, max = MAX_VALUE_CHARS): string {
  if (s.length <= max) return s;
  const code = s.charCodeAt(max - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

function makeField(raw: Uint8Array, start: number, colon: number, end: number): HeaderField {
  let nameEnd = colon;
  while (nameEnd > start && isWsp(raw[nameEnd - 1]!)) nameEnd--;
  const name = decodeHeaderBytes(raw, start, nameEnd);
  const valueEnd = contentEnd(raw, colon + 1, end);
  const text = decodeHeaderBytes(raw, colon + 1, valueEnd);
  // §2.2.3 unfolding: every line break inside a field is a fold (CRLF or bare LF + WSP).
  const value = trimWsp(text.includes("\n") ? text.replace(/\r?\n/g, "") : text);
  return { name, value, start, end };
}

/**
 * Fields of the header block that starts at `start`, scanning no further than
 * `end`. Stops at the blank line (or at a line that cannot be a header line).
 * Each field's [start, end) covers its continuation lines and final line break.
 * `maxFields` lets internal callers bound the work on hostile headers.
 */
export function parseHeaders(
  raw: Uint8Array,
  start: number,
  end: number,
  maxFields = Number.POSITIVE_INFINITY,
): Array<{ name: string; value: string; start: number; end: number }> {
  const fields: HeaderField[] = [];
  const limit = Math.min(Math.max(0, end), raw.length);
  let pos = Math.max(0, start);
  let fieldStart = -1;
  let colon = -1;
  while (pos < limit) {
    const le = lineEnd(raw, pos, limit);
    const kind = classifyHeaderLine(raw, pos, contentEnd(raw, pos, le), fieldStart >= 0);
    if (kind !== CONTINUATION_LINE) {
      if (fieldStart >= 0) fields.push(makeField(raw, fieldStart, colon, pos));
      fieldStart = -1;
      if (kind < 0 || fields.length >= maxFields) return fields;
      fieldStart = pos;
      colon = kind;
    }
    pos = le;
  }
  if (fieldStart >= 0) fields.push(makeField(raw, fieldStart, colon, pos));
  return fields;
}

/**
 * Where the message's header ends and its body starts (RFC 5322 §2.1): just past the blank line
 * after the header, or at a line that cannot be a header line (body text of a message without a
 * header, or without its blank line), or at the end of the bytes. The same line classifier as the
 * structure parser, so this is always the stored `headerEnd` of parseMessage(raw): use it where only
 * the bytes are at hand.
 */
export function headerEnd(raw: Uint8Array): number {
  const n = raw.length;
  let pos = 0;
  let inField = false;
  while (pos < n) {
    const le = lineEnd(raw, pos, n);
    const kind = classifyHeaderLine(raw, pos, contentEnd(raw, pos, le), inField);
    if (kind === BLANK_LINE) return le;
    if (kind === NOT_A_HEADER_LINE) return pos;
    inField = true;
    pos = le;
  }
  return n;
}

/** First field with this name (case-insensitive), or null. RFC 5322 §3.6 allows most of them only once. */
export function headerValue(fields: readonly HeaderField[], name: string): string | null {
  const lower = name.toLowerCase();
  for (const f of fields) if (f.name.toLowerCase() === lower) return f.value;
  return null;
}
