/**
 * 8-bit to 7-bit conversion (RFC 6152 §3, RFC 2045 §6): for a peer that does not offer 8BITMIME,
 * and before DKIM signing (RFC 6376 §5.3), so that no later hop has to convert and break the
 * signature. Walks the MIME structure the parser already builds: every leaf whose body has 8-bit
 * octets under an identity encoding (7bit, 8bit, binary) is re-encoded — quoted-printable for
 * text, base64 for anything else — and its Content-Transfer-Encoding set to match; multiparts and
 * message/rfc822 parts whose content became 7-bit are relabelled 7bit. Everything else is copied
 * byte for byte, and a message without 8-bit octets comes back as the very same bytes.
 *
 * Header fields with 8-bit octets (RFC 6532) cannot be converted; they stay, and such a message
 * needs SMTPUTF8 of the peer whatever is done here.
 */
import { parseHeaders } from "./headers.ts";
import { parseStructure } from "./structure.ts";
import { encodeBase64Lines, encodeQuotedPrintable } from "./transfer-encode.ts";
import type { MimePart } from "./types.ts";

/** Whether any octet in [start, end) has the high bit set. */
export function has8bit(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  for (let i = start; i < end; i++) if (bytes[i]! > 0x7f) return true;
  return false;
}

const IDENTITY = new Set(["7BIT", "8BIT", "BINARY"]);
const encoder = new TextEncoder();

/**
 * The message with every convertible 8-bit body in 7-bit form; the input itself (same object) when
 * nothing needed converting.
 */
export function toSevenBit(raw: Uint8Array): Uint8Array {
  if (!has8bit(raw)) return raw;
  const { root } = parseStructure(raw);
  const out: Uint8Array[] = [];
  const changed = render(raw, root, out, true);
  if (!changed) return raw;
  if (root.end < raw.length) out.push(raw.subarray(root.end));
  return Buffer.concat(out);
}

/** Appends the part's bytes, converted, to `out`; returns whether anything changed. */
function render(raw: Uint8Array, part: MimePart, out: Uint8Array[], isRoot: boolean): boolean {
  if (!has8bit(raw, part.start, part.end)) {
    out.push(raw.subarray(part.start, part.end));
    return false;
  }
  if (part.children.length > 0) return renderContainer(raw, part, part.children, out);
  if (part.message) return renderContainer(raw, part, [part.message.body], out);
  const body = raw.subarray(part.bodyStart, part.end);
  // A body already in base64 or quoted-printable with stray 8-bit octets is broken; leave it as is.
  // A multipart that could not be split, or a message that could not be opened, is not ours to encode.
  if (
    !IDENTITY.has(part.encoding) ||
    !has8bit(body) ||
    part.type === "multipart" ||
    part.type === "message"
  ) {
    out.push(raw.subarray(part.start, part.end));
    return false;
  }
  const text = part.type === "text";
  const encoded = text ? encodeQuotedPrintable(body) : encodeBase64Lines(body);
  const encoding = text ? "quoted-printable" : "base64";
  out.push(header(raw, part, encoding, { isRoot, body }));
  out.push(encoded);
  return true;
}

/** A multipart (or message/rfc822 part): its children converted, the bytes between them copied. */
function renderContainer(
  raw: Uint8Array,
  part: MimePart,
  children: readonly MimePart[],
  out: Uint8Array[],
): boolean {
  const inner: Uint8Array[] = [];
  let changed = false;
  let pos = part.bodyStart;
  for (const child of children) {
    inner.push(raw.subarray(pos, child.start));
    if (render(raw, child, inner, false)) changed = true;
    pos = child.end;
  }
  inner.push(raw.subarray(pos, part.end));
  // RFC 2045 §6.4: a composite type's encoding only labels what is inside; once that is 7-bit, say so.
  const nowSevenBit = changed && !inner.some((chunk) => has8bit(chunk));
  if (nowSevenBit && (part.encoding === "8BIT" || part.encoding === "BINARY")) {
    out.push(header(raw, part, "7bit", { isRoot: false, body: null }));
  } else {
    out.push(raw.subarray(part.start, part.bodyStart));
  }
  out.push(...inner);
  return changed;
}

/**
 * The part's header with Content-Transfer-Encoding replaced. A part without Content-Type gets one
 * that names a charset (the default, us-ascii, cannot be right for 8-bit text, RFC 2045 §5.2), and a
 * message without MIME-Version gets that (RFC 2045 §4), or readers would not decode the body.
 */
function header(
  raw: Uint8Array,
  part: MimePart,
  encoding: string,
  context: { isRoot: boolean; body: Uint8Array | null },
): Uint8Array {
  const fields = parseHeaders(raw, part.start, part.bodyStart);
  const kept: Uint8Array[] = [];
  let hasType = false;
  let hasVersion = false;
  let fieldsEnd = part.start;
  for (const f of fields) {
    fieldsEnd = f.end;
    const name = f.name.toLowerCase();
    if (name === "content-type") hasType = true;
    if (name === "mime-version") hasVersion = true;
    if (name === "content-transfer-encoding") continue;
    kept.push(raw.subarray(f.start, f.end));
    // A field cut off by the end of the input still needs its line break before ours.
    if (raw[f.end - 1] !== 0x0a) kept.push(encoder.encode("\r\n"));
  }
  let added = "";
  if (context.isRoot && !hasVersion) added += "MIME-Version: 1.0\r\n";
  if (!hasType && context.body) {
    const charset = isUtf8(context.body) ? "utf-8" : "unknown-8bit";
    added += `Content-Type: text/plain; charset=${charset}\r\n`;
  }
  added += `Content-Transfer-Encoding: ${encoding}\r\n`;
  // The blank line that ends the header (or one, when the header ended without it).
  const rest = raw.subarray(fieldsEnd, part.bodyStart);
  const separator = rest.length > 0 ? rest : encoder.encode("\r\n");
  return Buffer.concat([...kept, encoder.encode(added), separator]);
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
