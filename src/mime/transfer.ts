/**
 * Content-Transfer-Encoding decoding (RFC 2045 §6). Both decoders are lenient:
 * real mail has bad padding, stray characters and broken soft line breaks, and
 * a decoder must still produce the best-effort bytes rather than fail.
 */

const B64 = new Int8Array(256).fill(-1);
{
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < alphabet.length; i++) B64[alphabet.charCodeAt(i)] = i;
  // URL-safe alphabet (RFC 4648 §5) shows up in the wild; it cannot clash.
  B64[45] = 62;
  B64[95] = 63;
}

const EQ = 61;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * RFC 2045 §6.8 says to ignore characters outside the alphabet. "=" ends a
 * quantum: dropping the left-over bits there (instead of stopping) decodes
 * concatenated, individually padded chunks correctly.
 */
export function decodeBase64(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.floor((input.length * 3) / 4) + 3);
  let n = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    const v = B64[c]!;
    if (v >= 0) {
      acc = ((acc << 6) | v) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[n++] = (acc >> bits) & 0xff;
      }
    } else if (c === EQ) {
      bits = 0;
    }
  }
  return out.subarray(0, n);
}

/** Decoded length of a base64 body, computed exactly as decodeBase64 would, without allocating. */
export function base64DecodedSize(input: Uint8Array): number {
  let n = 0;
  let bits = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (B64[c]! >= 0) {
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        n++;
      }
    } else if (c === EQ) {
      bits = 0;
    }
  }
  return n;
}

/**
 * RFC 2045 §6.7: "=XX" is an octet, "=" before a line break is a soft break
 * (transport padding may sit between them), trailing whitespace on a line is
 * removed. A malformed "=" is kept literally, as §6.7 note (2) suggests.
 */
export function decodeQuotedPrintable(input: Uint8Array): Uint8Array {
  const len = input.length;
  const out = new Uint8Array(len);
  let n = 0;
  let i = 0;
  while (i < len) {
    const c = input[i]!;
    if (c === EQ) {
      const h1 = i + 1 < len ? hexValue(input[i + 1]!) : -1;
      const h2 = i + 2 < len ? hexValue(input[i + 2]!) : -1;
      if (h1 >= 0 && h2 >= 0) {
        out[n++] = (h1 << 4) | h2;
        i += 3;
        continue;
      }
      let j = i + 1;
      while (j < len && (input[j] === 32 || input[j] === 9)) j++;
      if (j >= len) break; // "=" at the very end: a soft break with nothing after.
      if (input[j] === 10) {
        i = j + 1;
        continue;
      }
      if (input[j] === 13) {
        i = j + 1 < len && input[j + 1] === 10 ? j + 2 : j + 1;
        continue;
      }
      out[n++] = c;
      i++;
      continue;
    }
    if (c === 32 || c === 9) {
      // Scan the whole run once so long runs of blanks stay linear.
      let j = i + 1;
      while (j < len && (input[j] === 32 || input[j] === 9)) j++;
      const atEol = j >= len || input[j] === 10 || input[j] === 13;
      if (!atEol) {
        out.set(input.subarray(i, j), n);
        n += j - i;
      }
      i = j;
      continue;
    }
    out[n++] = c;
    i++;
  }
  return out.subarray(0, n);
}

/** Decodes a body by its Content-Transfer-Encoding; 7bit, 8bit, binary and unknown encodings pass through. */
export function decodeTransfer(body: Uint8Array, encoding: string): Uint8Array {
  const enc = encoding.trim().toLowerCase();
  if (enc === "base64") return decodeBase64(body);
  if (enc === "quoted-printable") return decodeQuotedPrintable(body);
  return body;
}
