/**
 * Encoding values for responses (RFC 3501 §4): the encoder chooses atom, quoted string or literal,
 * so no handler ever hand-quotes. Responses are built as arrays of string and Buffer pieces, so
 * message bytes go to the socket without being copied into strings.
 */
import { utf7Encode } from "./utf7.ts";

export type Piece = string | Buffer;

/**
 * A string as quoted when it can be, else as a literal (CR, LF, NUL, 8-bit or very long text). With
 * `utf8` (the session ENABLEd UTF8=ACCEPT or IMAP4rev2) non-ASCII text may be quoted too (RFC 6855
 * §3, RFC 9051 Appendix A: never before).
 */
export function str(value: string, utf8 = false): Piece {
  if (value.length > 1000 || /[\r\n\u0000]/.test(value) || (!utf8 && /[^\x00-\x7f]/.test(value))) {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([Buffer.from(`{${bytes.length}}\r\n`), bytes]);
  }
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function nstr(value: string | null | undefined): Piece {
  return value === null || value === undefined ? "NIL" : str(value);
}

/** Bytes always as a literal (message data, body sections). */
export function literal(bytes: Buffer | Uint8Array): Buffer {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Buffer.concat([Buffer.from(`{${b.length}}\r\n`), b]);
}

/**
 * A mailbox name for the wire: modified UTF-7 (RFC 3501 §5.1.3), or UTF-8 as it is once the session
 * ENABLEd UTF8=ACCEPT or IMAP4rev2 (RFC 6855 §3, RFC 9051 §5.1); as an atom when safe, else quoted.
 */
export function mailboxName(name: string, utf8 = false): Piece {
  const wire = name === "INBOX" || utf8 ? name : utf7Encode(name);
  return /^[^(){ \x00-\x1f\x7f%*"\\\x80-\uffff]+$/.test(wire) ? wire : str(wire, utf8);
}

/** Joins pieces into one response line's content, merging adjacent strings. */
export function join(pieces: Piece[], separator = " "): Piece[] {
  const out: Piece[] = [];
  pieces.forEach((p, i) => {
    if (i > 0) out.push(separator);
    out.push(p);
  });
  return out;
}

export function list(pieces: Piece[]): Piece[] {
  return ["(", ...join(pieces), ")"];
}

/** Collapses pieces into as few chunks as possible for one socket write. */
export function toBuffer(pieces: Piece[]): Buffer {
  return Buffer.concat(pieces.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : p)));
}

/** RFC 3501 date-time for INTERNALDATE: "26-Nov-2026 23:37:52 +0000". */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pad = (n: number) => String(n).padStart(2, "0");
  return `"${pad(d.getUTCDate())}-${months[d.getUTCMonth()]}-${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000"`;
}
