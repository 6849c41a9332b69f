/**
 * RFC 5322 §3.4 address lists (with §4.4 obsolete forms) turned into IMAP
 * envelope addresses (RFC 3501 §7.4.2). A hand-written tokenizer plus a
 * forgiving parser: unbalanced quotes, comments or brackets just run to the
 * end of the input; nothing throws and everything is linear.
 */

import { decodeMimeWords } from "./encoded-words.ts";
import { clip } from "./headers.ts";
import type { Address } from "./types.ts";

type Kind = "atom" | "quoted" | "literal" | "special" | "comment";

interface Token {
  kind: Kind;
  text: string;
  /** Whitespace (or a comment) preceded the token: phrases keep one space there. */
  spaced: boolean;
}

/** More recipients than this in one field is abuse; the rest are dropped to keep the stored parse small. */
export const MAX_ADDRESSES = 1000;

const SPECIALS = new Set(["<", ">", "@", ",", ";", ":"]);

function isBlank(c: string): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\n";
}

/** Reads a delimited run with backslash quoted-pairs, e.g. a quoted-string or comment. */
function readDelimited(s: string, i: number, close: string, nests: string | null): [string, number] {
  let depth = 1;
  let out = "";
  for (i++; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length) {
      out += s[++i];
      continue;
    }
    if (c === nests) depth++;
    else if (c === close && --depth === 0) return [out, i + 1];
    out += c;
  }
  return [out, i];
}

function tokenize(s: string): Token[] {
  const tokens: Token[] = [];
  let spaced = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (isBlank(c)) {
      spaced = true;
      i++;
      continue;
    }
    let kind: Kind;
    let text: string;
    if (c === '"') {
      kind = "quoted";
      [text, i] = readDelimited(s, i, '"', null);
    } else if (c === "(") {
      kind = "comment";
      [text, i] = readDelimited(s, i, ")", "(");
    } else if (c === "[") {
      // Domain literal: keep the brackets, they are part of the host.
      kind = "literal";
      const close = s.indexOf("]", i);
      const end = close < 0 ? s.length : close + 1;
      text = s.slice(i, end);
      i = end;
    } else if (SPECIALS.has(c)) {
      kind = "special";
      text = c;
      i++;
    } else {
      kind = "atom";
      const start = i;
      while (i < s.length && !isBlank(s[i]!) && !SPECIALS.has(s[i]!) && !'"(['.includes(s[i]!)) i++;
      text = s.slice(start, i);
    }
    tokens.push({ kind, text, spaced });
    spaced = kind === "comment";
  }
  return tokens;
}

const isSpecial = (t: Token | undefined, text: string): boolean => t?.kind === "special" && t.text === text;

/** Display-name text: words re-joined with single spaces where the source had whitespace. */
function phrase(tokens: readonly Token[]): string | null {
  let out = "";
  for (const t of tokens) {
    if (t.kind === "comment") continue;
    out += (out !== "" && t.spaced ? " " : "") + t.text;
  }
  return out === "" ? null : out;
}

/** addr-spec = local-part "@" domain; §4.4 allows CFWS around the dots, so tokens join without spaces. */
function addrSpec(tokens: readonly Token[]): { mailbox: string; host: string } {
  let at = -1;
  for (let k = tokens.length - 1; k >= 0; k--) {
    if (isSpecial(tokens[k], "@")) {
      at = k;
      break;
    }
  }
  const join = (list: readonly Token[]): string =>
    list
      .filter((t) => t.kind !== "comment" && t.kind !== "special")
      .map((t) => t.text)
      .join("");
  if (at < 0) return { mailbox: join(tokens), host: "" };
  return { mailbox: join(tokens.slice(0, at)), host: join(tokens.slice(at + 1)) };
}

/** obs-route's domain list, "@a,@b", with the white space and comments §4.4 allows dropped. */
function route(tokens: readonly Token[]): string {
  return tokens
    .filter((t) => t.kind !== "comment")
    .map((t) => t.text)
    .join("");
}

/**
 * Parses one mailbox starting at tokens[i]; returns the address (or null for
 * an empty entry) and the index of the "," / ";" that ended it.
 */
function mailbox(tokens: readonly Token[], i: number): [Address | null, number] {
  const words: Token[] = [];
  const comments: string[] = [];
  let angle: Token[] | null = null;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (isSpecial(t, ",") || isSpecial(t, ";")) break;
    if (t.kind === "comment") comments.push(t.text);
    else if (isSpecial(t, "<") && angle === null) {
      angle = [];
      for (i++; i < tokens.length && !isSpecial(tokens[i], ">"); i++) {
        angle.push(tokens[i]!);
      }
    } else if (angle === null) words.push(t);
    // Text after "<...>" is junk; it is dropped.
  }
  if (angle !== null) {
    // §4.4 obs-route: "<@relay1,@relay2:user@host>" — the part after the last ":" is the address,
    // the part before it the route, which IMAP reports as the adl field (RFC 3501 §7.4.2).
    let colon = -1;
    for (let k = 0; k < angle.length; k++) if (isSpecial(angle[k], ":")) colon = k;
    const spec = addrSpec(angle.slice(colon + 1));
    const name = phrase(words);
    if (spec.mailbox === "" && spec.host === "" && name === null) return [null, i];
    const adl = colon > 0 ? route(angle.slice(0, colon)) : "";
    return [{ name, ...(adl === "" ? {} : { adl }), mailbox: spec.mailbox, host: spec.host }, i];
  }
  if (words.length === 0) return [null, i];
  const spec = addrSpec(words);
  // Old style "user@host (Full Name)": the comment is the only name there is.
  const comment = comments.length > 0 ? comments[comments.length - 1]!.trim() : "";
  return [{ name: comment === "" ? null : comment, mailbox: spec.mailbox, host: spec.host }, i];
}

/**
 * RFC 5322 address-list as IMAP addresses. Group syntax (§3.4) becomes RFC
 * 3501 §7.4.2 markers: {name: null, mailbox: group, host: null} before the
 * members and an all-null address after them. A missing domain is reported as
 * host "" (not null, which IMAP reserves for group markers). Hostile input is
 * bounded: only the first MAX_VALUE_CHARS are read and at most MAX_ADDRESSES returned.
 */
export function parseAddressList(value: string): Address[] {
  const tokens = tokenize(clip(value));
  const out: Address[] = [];
  let i = 0;
  while (i < tokens.length && out.length < MAX_ADDRESSES) {
    if (isSpecial(tokens[i], ",") || isSpecial(tokens[i], ";")) {
      i++;
      continue;
    }
    // A ":" before any "<", "@" or "," means a group: display-name ":" [mailbox-list] ";".
    let j = i;
    while (j < tokens.length && tokens[j]!.kind !== "special") j++;
    if (isSpecial(tokens[j], ":")) {
      out.push({ name: null, mailbox: phrase(tokens.slice(i, j)) ?? "", host: null });
      i = j + 1;
      while (i < tokens.length && !isSpecial(tokens[i], ";") && out.length < MAX_ADDRESSES) {
        const [addr, next] = mailbox(tokens, i);
        if (addr) out.push(addr);
        i = isSpecial(tokens[next], ",") ? next + 1 : next;
      }
      i++; // past ";"
      out.push({ name: null, mailbox: null, host: null });
      continue;
    }
    const [addr, next] = mailbox(tokens, i);
    if (addr) out.push(addr);
    i = next + 1;
  }
  return out;
}

/** "Name <user@host>" or "user@host", with the name RFC 2047-decoded; for display and search. */
export function formatAddress(a: Address): string {
  const spec = a.host ? `${a.mailbox ?? ""}@${a.host}` : (a.mailbox ?? "");
  const name = a.name === null ? "" : decodeMimeWords(a.name).trim();
  if (name === "") return spec;
  // Quote names that would otherwise read as a list separator in a comma-joined display.
  return /[,;<>"]/.test(name) ? `"${name.replace(/["\\]/g, "\\$&")}" <${spec}>` : `${name} <${spec}>`;
}

/** Real mailboxes only: group markers removed, names decoded (for the REST API). */
export function plainAddresses(list: readonly Address[] | null): Address[] {
  if (!list) return [];
  return list
    .filter((a) => a.host !== null)
    .map((a) => ({
      name: a.name === null ? null : decodeMimeWords(a.name),
      mailbox: a.mailbox,
      host: a.host,
    }));
}
