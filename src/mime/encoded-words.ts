/**
 * RFC 2047 encoded-words ("=?charset?B|Q?text?=") in header text. Decoding is
 * lenient: words are recognised anywhere (not only between whitespace, as
 * §5 requires), and adjacent words with the same charset are joined at the
 * byte level first, because mailers routinely split a multi-byte character
 * across two words.
 */

import { concatBytes } from "./bytes.ts";
import { decodeCharset } from "./charset.ts";
import { decodeBase64 } from "./transfer.ts";

// §2: no "?" or whitespace inside charset or encoded-text, which also keeps
// every match attempt short (it ends at the next "?"), so the scan is linear.
const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

interface Word {
  charset: string;
  chunks: Uint8Array[];
}

const encoder = new TextEncoder();

/** §4.2: "_" is a space, "=XX" an octet; any other character stands for itself (UTF-8 if 8-bit). */
function decodeQ(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 95) {
      out.push(32);
    } else if (ch === 61 && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch < 0x80) {
      out.push(ch);
    } else {
      for (const b of encoder.encode(text[i]!)) out.push(b);
    }
  }
  return Uint8Array.from(out);
}

/** A single word's bytes are decoded where they are; split words are joined first. */
function join(chunks: Uint8Array[]): Uint8Array {
  return chunks.length === 1 ? chunks[0]! : concatBytes(chunks);
}

const BLANK = /^[ \t\r\n]*$/;

/** Decodes every RFC 2047 encoded-word in a header value; other text is returned unchanged. */
export function decodeMimeWords(value: string): string {
  if (!value.includes("=?")) return value;
  const parts: Array<string | Word> = [];
  let last = 0;
  ENCODED_WORD.lastIndex = 0;
  for (let m = ENCODED_WORD.exec(value); m !== null; m = ENCODED_WORD.exec(value)) {
    const [whole, charset = "", enc = "", text = ""] = m;
    const between = value.slice(last, m.index);
    const prev = parts[parts.length - 1];
    // §6.2: whitespace between two adjacent encoded-words is not displayed.
    const adjacent = typeof prev === "object" && BLANK.test(between);
    if (between !== "" && !adjacent) parts.push(between);
    const bytes = enc === "B" || enc === "b" ? decodeBase64(encoder.encode(text)) : decodeQ(text);
    if (adjacent && typeof prev === "object" && prev.charset.toLowerCase() === charset.toLowerCase()) {
      prev.chunks.push(bytes);
    } else {
      parts.push({ charset, chunks: [bytes] });
    }
    last = m.index + whole.length;
  }
  if (last < value.length) parts.push(value.slice(last));
  let out = "";
  for (const p of parts) out += typeof p === "string" ? p : decodeCharset(join(p.chunks), p.charset);
  return out;
}
