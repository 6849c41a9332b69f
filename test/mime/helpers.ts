/** Shared test helpers for the MIME module: building raw messages and checking offsets by slicing. */

import { expect } from "bun:test";
import type { MimePart } from "../../src/mime/mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Joins lines with CRLF (the wire format); the last line gets no terminator unless it is "". */
export function crlf(...lines: string[]): Uint8Array {
  return encoder.encode(lines.join("\r\n"));
}

/** Joins lines with bare LF. */
export function lf(...lines: string[]): Uint8Array {
  return encoder.encode(lines.join("\n"));
}

export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The raw bytes [start, end) as UTF-8 text. */
export function slice(raw: Uint8Array, start: number, end: number): string {
  return decoder.decode(raw.subarray(start, end));
}

export const header = (raw: Uint8Array, part: MimePart): string => slice(raw, part.start, part.bodyStart);
export const body = (raw: Uint8Array, part: MimePart): string => slice(raw, part.bodyStart, part.end);

/** Lines in [start, end) the way IMAP counts them: LF-terminated lines plus an unterminated last line. */
export function countLines(raw: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if (raw[i] === 10) n++;
  if (end > start && raw[end - 1] !== 10) n++;
  return n;
}

export function allParts(root: MimePart): MimePart[] {
  const out: MimePart[] = [root];
  for (const c of root.children) out.push(...allParts(c));
  if (root.message) out.push(...allParts(root.message.body));
  return out;
}

/** Structural invariants every parse must satisfy, whatever the input. */
export function expectConsistent(raw: Uint8Array, root: MimePart): void {
  for (const p of allParts(root)) {
    expect(p.start).toBeGreaterThanOrEqual(0);
    expect(p.bodyStart).toBeGreaterThanOrEqual(p.start);
    expect(p.end).toBeGreaterThanOrEqual(p.bodyStart);
    expect(p.end).toBeLessThanOrEqual(raw.length);
    expect(p.size).toBe(p.end - p.bodyStart);
    expect(p.lines).toBe(countLines(raw, p.bodyStart, p.end));
    for (const c of p.children) {
      expect(c.start).toBeGreaterThanOrEqual(p.bodyStart);
      expect(c.end).toBeLessThanOrEqual(p.end);
    }
    if (p.message) {
      expect(p.message.body.start).toBe(p.bodyStart);
      expect(p.message.body.end).toBe(p.end);
    }
  }
}
