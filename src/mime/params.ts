/**
 * Structured MIME header values with parameters: Content-Type (RFC 2045 §5.1)
 * and Content-Disposition (RFC 2183), including RFC 2231 parameter value
 * continuations and charset/language encoding. Parsing is lenient about the
 * things real mailers get wrong (unquoted spaces, missing quotes, comments).
 */

import { decodeCharset } from "./charset.ts";
import { trimWsp } from "./headers.ts";

export interface Structured {
  /** The leading value, e.g. "text/plain" or "attachment", lower-cased, comments removed. */
  value: string;
  params: Record<string, string>;
}

/** Skips a (possibly nested) comment starting at s[i] === "("; returns the index after it. */
function skipComment(s: string, i: number): number {
  let depth = 0;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") i++;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i + 1;
  }
  return s.length;
}

/** Reads a quoted-string starting at s[i] === '"'; returns [content, index after]. */
function readQuoted(s: string, i: number): [string, number] {
  let out = "";
  for (i++; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') return [out, i + 1];
    if (c === "\\" && i + 1 < s.length) {
      i++;
      out += s[i];
    } else {
      out += c;
    }
  }
  return [out, i];
}

/** Reads unquoted text up to ";" with comments dropped; returns [text, index of ";" or end]. */
function readUnquoted(s: string, i: number): [string, number] {
  let out = "";
  while (i < s.length && s[i] !== ";") {
    if (s[i] === "(") {
      i = skipComment(s, i);
      out += " ";
    } else {
      out += s[i];
      i++;
    }
  }
  return [trimWsp(out), i];
}

function skipBlanks(s: string, i: number): number {
  while (i < s.length) {
    const c = s[i];
    if (c === " " || c === "\t" || c === "\r" || c === "\n") i++;
    else if (c === "(") i = skipComment(s, i);
    else break;
  }
  return i;
}

const encoder = new TextEncoder();

/** RFC 2231 §4: %XX octets; other characters are taken literally (as UTF-8). */
function percentDecode(text: string, out: number[]): void {
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of encoder.encode(text[i]!)) out.push(b);
    }
  }
}

interface Segment {
  value: string;
  encoded: boolean;
}

/**
 * RFC 2231 §3-§4: name*0, name*1, ... are concatenated in order (stopping at
 * the first gap); a trailing "*" marks a segment as percent-encoded, and the
 * first encoded segment carries charset'language'.
 */
function joinSegments(segments: Map<number, Segment>): string {
  const first = segments.get(0);
  if (!first) return "";
  let charset: string | undefined;
  const bytes: number[] = [];
  for (let n = 0; n < segments.size; n++) {
    const seg = segments.get(n);
    if (!seg) break;
    let text = seg.value;
    if (seg.encoded && n === 0) {
      const q1 = text.indexOf("'");
      const q2 = q1 < 0 ? -1 : text.indexOf("'", q1 + 1);
      if (q2 >= 0) {
        charset = text.slice(0, q1) || undefined;
        text = text.slice(q2 + 1);
      }
    }
    if (seg.encoded) percentDecode(text, bytes);
    else for (const b of encoder.encode(text)) bytes.push(b);
  }
  return decodeCharset(Uint8Array.from(bytes), charset);
}

const PARAM_NAME = /^([^*]+)(?:\*(\d{1,4}))?(\*)?$/;

/** Parses `value; name=val; name*0*=...`. Never throws; unparseable pieces are skipped. */
export function parseStructured(input: string): Structured {
  const [head, headEnd] = readUnquoted(input, 0);
  const params: Record<string, string> = {};
  const extended = new Map<string, Map<number, Segment>>();
  let i = headEnd;
  while (i < input.length) {
    i = skipBlanks(input, i + 1); // past ";"
    // A manual scan: indexOf("=") could run to the end once per parameter.
    let eq = i;
    while (eq < input.length && input[eq] !== "=" && input[eq] !== ";") eq++;
    if (input[eq] !== "=") {
      i = eq;
      continue;
    }
    const name = trimWsp(input.slice(i, eq)).toLowerCase();
    i = skipBlanks(input, eq + 1);
    let val: string;
    if (input[i] === '"') {
      [val, i] = readQuoted(input, i);
      // Anything between the closing quote and ";" is junk (or a comment).
      const next = input.indexOf(";", i);
      i = next < 0 ? input.length : next;
    } else {
      [val, i] = readUnquoted(input, i);
    }
    const m = PARAM_NAME.exec(name);
    if (!m || name === "__proto__") continue;
    const [, base = "", section, star] = m;
    if (section === undefined && star === undefined) {
      if (!Object.hasOwn(params, base)) params[base] = val;
      continue;
    }
    let segs = extended.get(base);
    if (!segs) {
      segs = new Map();
      extended.set(base, segs);
    }
    const index = section === undefined ? 0 : Number(section);
    if (!segs.has(index)) segs.set(index, { value: val, encoded: star !== undefined });
  }
  // An RFC 2231 value wins over a plain one sent alongside it for old readers.
  for (const [base, segs] of extended) {
    if (base !== "__proto__" && segs.has(0)) params[base] = joinSegments(segs);
  }
  return { value: head.replace(/\s+/g, "").toLowerCase(), params };
}
