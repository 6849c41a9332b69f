/** Byte arrays joined without a Buffer in between (the parser works on plain Uint8Arrays). */

/**
 * `bytes` with the `ranges` cut out ([start, end) offsets that do not overlap, in any order): how a
 * header field is taken out of a message (DKIM screening, mbox status fields) without parsing it again.
 */
export function withoutRanges(
  bytes: Uint8Array,
  ranges: readonly { start: number; end: number }[],
): Uint8Array {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const r of sorted) {
    parts.push(bytes.subarray(from, r.start));
    from = r.end;
  }
  parts.push(bytes.subarray(from));
  return concatBytes(parts);
}

/** The same bytes seen as a Buffer (for node: APIs and libraries that want one): no copy. */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One new array holding `chunks` one after another. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
