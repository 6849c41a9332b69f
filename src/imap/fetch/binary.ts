/**
 * FETCH BINARY[], BINARY.PEEK[] and BINARY.SIZE[] (RFC 3516 §4.2-4.3, RFC 9051 §6.4.5): a section's
 * body with its Content-Transfer-Encoding undone, found by the offsets and the encoding the MIME
 * parse stored at delivery (nothing is parsed again; src/mime/transfer.ts decodes). The syntax here
 * (binary-item.ts) and the response data: a literal, or a literal8 (`~{n}`) when
 * the decoded bytes hold a NUL (§4.3: "SHOULD return the data in a <string>" otherwise).
 */
import { Buffer } from "node:buffer";
import { decodeTransfer, type MimePart, normalizeNewlines } from "../../mime/mod.ts";
import { ImapNo } from "../errors.ts";
import type { BinaryItem } from "./binary-item.ts";
import type { PieceBuilder } from "./pieces.ts";
import { partialBytes, resolvePart } from "./sections.ts";

/** Content-Transfer-Encodings we can undo; identity ones (RFC 2045 §6.2) pass bytes through. */
const KNOWN_ENCODINGS = new Set(["7BIT", "8BIT", "BINARY", "BASE64", "QUOTED-PRINTABLE"]);

/**
 * The decoded bytes of the section. The whole message ([]) and multipart or message parts are sent
 * as stored (their encoding can only be an identity one, RFC 2045 §6.4); a leaf is decoded. A part
 * the message does not have is empty, as for BODY[]; a decoded text part gets CRLF line ends. An encoding we cannot undo is NO [UNKNOWN-CTE]
 * for the whole FETCH (§4.3: "MUST fail the request").
 */
export function binaryBytes(item: BinaryItem, raw: Uint8Array, structure: MimePart | undefined): Uint8Array {
  if (item.path.length === 0) return raw;
  const part = structure ? resolvePart(structure, item.path) : undefined;
  if (!part) return new Uint8Array(0);
  const body = raw.subarray(part.bodyStart, part.end);
  if (part.children.length > 0 || part.message) return body;
  const encoding = part.encoding.toUpperCase();
  if (!KNOWN_ENCODINGS.has(encoding))
    throw new ImapNo("UNKNOWN-CTE", `Cannot decode the Content-Transfer-Encoding ${encoding.slice(0, 40)}`);
  const decoded = decodeTransfer(body, encoding);
  // RFC 3516 §6: textual sections always go out with CRLF line ends, whatever the decoding gave.
  return part.type === "text" ? normalizeNewlines(decoded) : decoded;
}

/** `BINARY[...] data` or `BINARY.SIZE[...] n` into a FETCH response. */
export function renderBinary(
  out: PieceBuilder,
  item: BinaryItem,
  raw: Uint8Array,
  structure: MimePart | undefined,
): void {
  const decoded = binaryBytes(item, raw, structure);
  if (item.size) {
    out.add(`${item.label} ${decoded.length}`);
    return;
  }
  const bytes = item.partial ? partialBytes(decoded, item.partial.origin, item.partial.length) : decoded;
  out.add(`${item.label} `);
  if (bytes.length === 0) {
    out.add('""');
    return;
  }
  // RFC 3516 §4.3: a literal8 only when a plain literal cannot carry the bytes (a NUL, RFC 3501 CHAR8).
  const prefix = bytes.includes(0) ? "~" : "";
  out
    .add(`${prefix}{${bytes.length}}\r\n`)
    .add(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
