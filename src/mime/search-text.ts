/**
 * Text derived for search and listing: decoded bodies (HTML reduced to text),
 * the preview line and the header search blob. All work is bounded by the
 * output caps, so a 25 MB attachment-free body costs no more than needed.
 */

import { decodeHTML } from "entities/decode";
import { formatAddress } from "./address.ts";
import { decodeMimeWords } from "./encoded-words.ts";
import type { HeaderField } from "./headers.ts";
import { bodyText, forEachLeaf } from "./parts.ts";
import type { Address, Envelope, MimePart } from "./types.ts";

export const SEARCH_TEXT_CAP = 256 * 1024;
export const SEARCH_HEADERS_CAP = 64 * 1024;
export const PREVIEW_CHARS = 200;
/** HTML can be mostly markup; never decode more than this much of one part for search. */
const MAX_HTML_BYTES = 2 * 1024 * 1024;

const encoder = new TextEncoder();

/** Collapses runs of whitespace and control characters (NUL, ...) to single spaces and trims. */
export function collapse(s: string): string {
  return s.replace(/[\s\x00-\x1f\x7f]+/g, " ").trim();
}

/** Truncates to at most `bytes` UTF-8 octets without splitting a character. */
export function capUtf8(s: string, bytes: number): string {
  if (s.length * 3 <= bytes) return s;
  const { read } = encoder.encodeInto(s, new Uint8Array(bytes));
  return s.slice(0, read);
}

/**
 * Invisible characters that carry no text: newsletters pad their preheader with runs of them
 * ("&zwnj;&nbsp;&#847;...") so that mail clients show nothing after it. Left in, they would fill
 * the preview and split words for SEARCH. ZWJ (U+200D) stays: it joins emoji sequences.
 */
const INVISIBLE_CHARS = ["\u034f", "\u200b", "\u200c", "\u200e", "\u200f", "\u2060", "\ufeff"];
const INVISIBLE = new RegExp(`[${INVISIBLE_CHARS.join("")}]+`, "g");

function dropInvisible(s: string): string {
  // includes() of a character above U+00FF returns at once on a Latin-1 string, and most text has
  // none of them: a regex pass over every decoded text would cost about as much as decoding it.
  for (const c of INVISIBLE_CHARS) if (s.includes(c)) return s.replace(INVISIBLE, "");
  return s;
}

/** Tags that do not break words when removed; every other tag separates text. */
const INLINE_TAGS = new Set([
  "a",
  "b",
  "i",
  "u",
  "s",
  "em",
  "strong",
  "span",
  "font",
  "small",
  "big",
  "sub",
  "sup",
  "code",
  "abbr",
  "mark",
  "q",
  "tt",
]);

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * Markup to plain text with a single forward scan (no backtracking regex over
 * the document): comments, script/style/title contents and tags are dropped,
 * entities decoded. Unterminated constructs swallow the rest, like a browser.
 */
export function htmlToText(html: string): string {
  let out = "";
  let i = 0;
  const len = html.length;
  while (i < len) {
    const lt = html.indexOf("<", i);
    if (lt < 0) {
      out += html.slice(i);
      break;
    }
    out += html.slice(i, lt);
    const next = html.charCodeAt(lt + 1);
    const isLetter = (next >= 65 && next <= 90) || (next >= 97 && next <= 122);
    if (html.startsWith("<!--", lt)) {
      const close = html.indexOf("-->", lt + 4);
      i = close < 0 ? len : close + 3;
      continue;
    }
    if (!isLetter && next !== 47 && next !== 33 && next !== 63) {
      out += "<"; // "a < b": not a tag
      i = lt + 1;
      continue;
    }
    const gt = html.indexOf(">", lt);
    if (gt < 0) break;
    let nameEnd = next === 47 ? lt + 2 : lt + 1;
    const nameStart = nameEnd;
    while (nameEnd < gt && nameEnd - nameStart < 12 && isAlnum(html.charCodeAt(nameEnd))) nameEnd++;
    const name = html.slice(nameStart, nameEnd).toLowerCase();
    i = gt + 1;
    if ((name === "script" || name === "style" || name === "title") && html[lt + 1] !== "/") {
      const closer = new RegExp(`</${name}\\s*>`, "gi");
      closer.lastIndex = i;
      const m = closer.exec(html);
      i = m ? m.index + m[0].length : len;
      out += " ";
      continue;
    }
    if (!INLINE_TAGS.has(name)) out += " ";
  }
  // The HTML entity table and its rules (HTML §13.2.5.72-80: legacy names without ";", C1
  // numeric references read as windows-1252) are the `entities` package's, as in browsers.
  return dropInvisible(decodeHTML(out));
}

/** Readable text of a text/plain or text/html part (markup removed), from at most `maxBytes` of its body. */
function plainText(raw: Uint8Array, part: MimePart, maxBytes: number): string {
  const text = bodyText(raw, part, maxBytes);
  return part.subtype === "html" ? htmlToText(text) : text;
}

function isTextBody(part: MimePart): boolean {
  return part.type === "text" && (part.subtype === "plain" || part.subtype === "html");
}

/** First ~200 characters of the chosen body, whitespace collapsed, never ending in half a surrogate pair. */
export function previewOf(raw: Uint8Array, body: MimePart | null): string {
  if (!body) return "";
  // 64 KiB of source is plenty for 200 visible characters except for markup-heavy HTML.
  const text = collapse(plainText(raw, body, body.subtype === "html" ? MAX_HTML_BYTES : 64 * 1024));
  let cut = text.slice(0, PREVIEW_CHARS);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return cut;
}

/**
 * All text/plain and text/html parts in document order (attached messages
 * included), lower-cased, collapsed and capped. Each part is decoded only as
 * far as the remaining budget can use (QP or base64 of CJK text can take 4 source bytes per character).
 */
export function searchTextOf(raw: Uint8Array, structure: MimePart): string {
  const pieces: string[] = [];
  let used = 0;
  forEachLeaf(
    structure,
    (leaf) => {
      if (used >= SEARCH_TEXT_CAP || !isTextBody(leaf)) return;
      const budget = leaf.subtype === "html" ? MAX_HTML_BYTES : (SEARCH_TEXT_CAP - used) * 4 + 4;
      const text = collapse(plainText(raw, leaf, budget).toLowerCase());
      if (text === "") return;
      pieces.push(text);
      used += text.length + 1;
    },
    true,
  );
  return capUtf8(pieces.join(" "), SEARCH_TEXT_CAP);
}

/** The envelope fields SEARCH FROM, TO, CC and BCC look at (RFC 3501 §6.4.4), by header name. */
const ADDRESS_FIELDS = [
  ["from", "from"],
  ["to", "to"],
  ["cc", "cc"],
  ["bcc", "bcc"],
] as const satisfies ReadonlyArray<readonly [string, keyof Envelope]>;

/**
 * "name: value" per header field, RFC 2047-decoded, lower-cased, one per line, capped. With the
 * envelope, each address field also gets a line with its addresses as parsed ("name <addr-spec>",
 * comments and folding gone, RFC 5322 §3.4), when that reads differently from the header itself:
 * `From: <user-from (comment)@ (comment) domain.org>` is found by SEARCH FROM user-from@domain.org.
 */
export function searchHeadersOf(fields: readonly HeaderField[], envelope?: Envelope): string {
  const lines: string[] = [];
  let used = 0;
  const add = (line: string): void => {
    lines.push(line);
    used += line.length + 1;
  };
  for (const f of fields) {
    if (used >= SEARCH_HEADERS_CAP) break;
    const value = collapse(decodeMimeWords(f.value.slice(0, SEARCH_HEADERS_CAP)));
    add(`${f.name}: ${value}`.toLowerCase());
  }
  for (const [name, key] of envelope ? ADDRESS_FIELDS : []) {
    if (used >= SEARCH_HEADERS_CAP) break;
    const list = (envelope![key] as Address[] | null)?.filter((a) => a.host !== null) ?? [];
    if (list.length === 0) continue;
    const line = `${name}: ${collapse(list.map(formatAddress).join(", "))}`.toLowerCase();
    if (!lines.some((l) => l.startsWith(`${name}:`) && l.includes(line.slice(name.length + 2)))) add(line);
  }
  return capUtf8(lines.join("\n"), SEARCH_HEADERS_CAP);
}
