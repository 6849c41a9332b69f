/**
 * POP3 replies as values, and their one serialisation to bytes. Status lines follow RFC 1939 §3
 * ("+OK"/"-ERR" and text), response codes RFC 2449 §8 ("-ERR [SYS/TEMP] ..."), SASL challenges
 * RFC 5034 §4 ("+ base64"). Multi-line responses are dot-stuffed in exactly one place: `dotStuff()`.
 */

import { Buffer } from "node:buffer";
import { bufferView } from "../../mime/mod.ts";

/**
 * Extended response codes we send (RFC 2449 §8, RFC 3206 for the AUTH family):
 * - AUTH: the credentials were wrong (not a server fault), so the client should ask the user.
 * - SYS/TEMP: a temporary server problem (storage failure, too many connections): retry later.
 * - SYS/PERM: a permanent server problem: do not retry, tell the user.
 * - IN-USE: the maildrop is busy (here: too many sessions of the account).
 */
export type ResponseCode = "AUTH" | "SYS/TEMP" | "SYS/PERM" | "IN-USE";

export type Reply =
  | { kind: "ok"; text: string; close?: boolean }
  | { kind: "err"; text: string; code?: ResponseCode | undefined; close?: boolean }
  /** A multi-line response of text lines (CAPA, LIST, UIDL, AUTH without a mechanism). */
  | { kind: "lines"; text: string; lines: readonly string[] }
  /** A multi-line response carrying message bytes (RETR, TOP). */
  | { kind: "message"; text: string; body: Uint8Array }
  /** A SASL server challenge, already base64 ("" for an empty one). */
  | { kind: "challenge"; data: string };

export const reply = {
  ok: (text: string): Reply => ({ kind: "ok", text }),
  err: (text: string, code?: ResponseCode): Reply => ({ kind: "err", text, code }),
  lines: (text: string, lines: readonly string[]): Reply => ({ kind: "lines", text, lines }),
  message: (text: string, body: Uint8Array): Reply => ({ kind: "message", text, body }),
  challenge: (data: string): Reply => ({ kind: "challenge", data }),
  /** The same reply, after which the server closes the connection. */
  closing: (r: Reply): Reply => (r.kind === "ok" || r.kind === "err" ? { ...r, close: true } : r),
};

/** RFC 2449 §4: response lines are at most 512 octets, CRLF included. Counted in UTF-8 octets. */
const MAX_STATUS_TEXT = 400;

/** Status text is ours, but may quote client input (a login name): never let it break the line. */
function clean(text: string): string {
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, " ");
  // A UTF-16 unit is at most 3 UTF-8 octets: short text needs no counting.
  if (line.length * 3 <= MAX_STATUS_TEXT) return line;
  const bytes = Buffer.from(line, "utf8");
  if (bytes.length <= MAX_STATUS_TEXT) return line;
  // Cut at a character boundary (never inside a UTF-8 sequence): back off over continuation octets.
  let end = MAX_STATUS_TEXT;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.toString("utf8", 0, end);
}

function statusLine(status: "+OK" | "-ERR", text: string, code?: ResponseCode): Buffer {
  const prefix = code ? `${status} [${code}]` : status;
  const body = clean(text);
  return Buffer.from(body ? `${prefix} ${body}\r\n` : `${prefix}\r\n`, "utf8");
}

/** The bytes of a reply, in order, as chunks (a message body stays one chunk, uncopied when possible). */
export function encodeReply(r: Reply): Uint8Array[] {
  switch (r.kind) {
    case "ok":
      return [statusLine("+OK", r.text)];
    case "err":
      return [statusLine("-ERR", r.text, r.code)];
    case "lines": {
      const body = Buffer.from(r.lines.map((line) => `${clean(line)}\r\n`).join(""), "utf8");
      return [statusLine("+OK", r.text), ...dotStuff(body)];
    }
    case "message":
      return [statusLine("+OK", r.text), ...dotStuff(r.body)];
    case "challenge":
      return [Buffer.from(`+ ${r.data}\r\n`, "latin1")];
  }
}

const DOT_AFTER_LF = Buffer.from("\n.", "latin1");
const DOT_AFTER_CR = Buffer.from("\r.", "latin1");
const END_AFTER_LINE = Buffer.from(".\r\n", "latin1");
const END_MID_LINE = Buffer.from("\r\n.\r\n", "latin1");

/**
 * Offsets of the dots that start a line: at the very start, after an LF, or after a bare CR. Since
 * issue 9 no ingest path stores a bare CR, but older messages may hold one, and a client that ends
 * lines at a CR would read an unstuffed "\r.\r\n" as the end of the response and take what follows
 * for replies of ours: those dots are stuffed too.
 */
function lineStartDots(bytes: Buffer): number[] {
  const dots: number[] = bytes[0] === 0x2e ? [0] : [];
  let lf = bytes.indexOf(DOT_AFTER_LF);
  let cr = bytes.indexOf(DOT_AFTER_CR);
  while (lf !== -1 || cr !== -1) {
    if (cr === -1 || (lf !== -1 && lf < cr)) {
      dots.push(lf + 1);
      lf = bytes.indexOf(DOT_AFTER_LF, lf + 2);
    } else {
      dots.push(cr + 1);
      cr = bytes.indexOf(DOT_AFTER_CR, cr + 2);
    }
  }
  return dots;
}

/**
 * The body of a multi-line response with its terminator (RFC 1939 §3): every line that starts with
 * "." gets one more, then "." on a line of its own. The bytes are otherwise sent as they are, bare LFs
 * included, so the size we announced (the stored size) is what the client receives before stuffing.
 *
 * Hot path for RETR: the searches are Buffer.indexOf (native memchr-like); a body without such lines,
 * the common case, is returned uncopied; one with them is copied once into an exactly-sized buffer.
 */
export function dotStuff(body: Uint8Array): Uint8Array[] {
  const bytes = bufferView(body);
  const end = bytes.byteLength === 0 || bytes[bytes.byteLength - 1] === 0x0a ? END_AFTER_LINE : END_MID_LINE;
  const dots = lineStartDots(bytes);
  if (dots.length === 0) return [bytes, end];
  const out = Buffer.allocUnsafe(bytes.byteLength + dots.length);
  let read = 0;
  let write = 0;
  for (const dot of dots) {
    write += bytes.copy(out, write, read, dot);
    out[write++] = 0x2e;
    read = dot;
  }
  bytes.copy(out, write, read);
  return [out, end];
}
