/**
 * Byte-to-string decoding: body charsets (declared by Content-Type) and header
 * bytes (RFC 6532 UTF-8 with a legacy fallback). Nothing here throws.
 */

const decoders = new Map<string, TextDecoder | null>();
const utf8Fatal = new TextDecoder("utf-8", { fatal: true });
// WHATWG maps the "latin1" label to windows-1252, a superset that also gives
// the curly quotes legacy mailers put in 0x80-0x9F; every byte maps to a char.
const latin1 = new TextDecoder("windows-1252");

/** Labels that promise 7-bit data; 8-bit bytes under them are usually UTF-8 in practice. */
const ASCII_LABELS = new Set(["us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "646", "us"]);

function decoderFor(label: string): TextDecoder | null {
  const cached = decoders.get(label);
  if (cached !== undefined) return cached;
  let decoder: TextDecoder | null = null;
  try {
    // The label is untrusted text; the constructor validates it (and throws) at run time.
    decoder = new TextDecoder(label as ConstructorParameters<typeof TextDecoder>[0]);
  } catch {
    // Unknown label (utf-7, x-unknown, ...): caller falls back.
  }
  if (decoders.size < 256) decoders.set(label, decoder);
  return decoder;
}

/** UTF-8 when the bytes are valid UTF-8, windows-1252 otherwise. */
export function utf8OrLatin1(bytes: Uint8Array): string {
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}

/**
 * Decodes a body or an RFC 2047 / RFC 2231 payload. A known charset decodes
 * non-fatally (U+FFFD for bad sequences); an unknown, missing or ASCII label
 * tries UTF-8 and falls back to latin1.
 */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  // RFC 2231 §5 allows a language suffix on the charset of an encoded-word.
  const label = (charset ?? "").split("*")[0]!.trim().toLowerCase();
  if (label !== "" && !ASCII_LABELS.has(label)) {
    const decoder = decoderFor(label);
    if (decoder) {
      try {
        return decoder.decode(bytes);
      } catch {
        // Defensive only: non-fatal decoders do not throw.
      }
    }
  }
  return utf8OrLatin1(bytes);
}

/** Runs up to this long are tried as ASCII first: header names, most values, boundary lines. */
const ASCII_FAST_PATH = 128;

/**
 * Header field bytes: RFC 6532 says UTF-8; anything invalid is legacy 8-bit. Short pure-ASCII runs
 * are built directly: much cheaper than a TextDecoder call each, and the same string.
 */
export function decodeHeaderBytes(raw: Uint8Array, start: number, end: number): string {
  if (end - start <= ASCII_FAST_PATH) {
    let s = "";
    for (let i = start; i < end; i++) {
      const c = raw[i]!;
      if (c >= 0x80) return utf8OrLatin1(raw.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8OrLatin1(raw.subarray(start, end));
}
