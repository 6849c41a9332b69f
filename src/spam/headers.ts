/**
 * A verdict written into the message, and read back for the REST view. Our X-Spam-* fields (and
 * rspamd's milter changes, and its Subject rewrite) go at the top of the header; X-Spam-* fields of
 * ours that arrive with the message are removed first, so that what a reader finds there is always
 * what this server decided (the rule RFC 8601 §5 gives for Authentication-Results).
 */
import { headerEnd, parseHeaders } from "../mime/mod.ts";
import type { SpamSymbol, SpamVerdict } from "./verdict.ts";

/** The fields this server writes; incoming ones are removed before ours are added. */
const OWN_FIELDS = new Set([
  "x-spam-checker",
  "x-spam-score",
  "x-spam-action",
  "x-spam-symbols",
  "x-spam-flag",
]);

/** A symbol's detail as it fits between the brackets of X-Spam-Symbols. */
function detailText(detail: string): string {
  return detail
    .replace(/[[\](),\r\n]+/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 200);
}

function symbolText(s: SpamSymbol): string {
  const detail = s.detail ? detailText(s.detail) : "";
  return `${s.name}(${formatScore(s.score)})${detail ? `[${detail}]` : ""}`;
}

function formatScore(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** RFC 5322 §2.2.3: a long field folded at the separators, each line under 78 characters where it can be. */
function folded(name: string, items: readonly string[]): string {
  const lines: string[] = [];
  let line = `${name}:`;
  items.forEach((text, i) => {
    const item = i < items.length - 1 ? `${text},` : text;
    if (line.length + 1 + item.length > 76 && line !== `${name}:`) {
      lines.push(line);
      line = "";
    }
    line += ` ${item}`;
  });
  lines.push(line);
  return `${lines.join("\r\n")}\r\n`;
}

/** RFC 2047 §4.1 "B" encoded words for a non-ASCII Subject (each word at most 75 characters). */
function encodedSubject(text: string): string {
  if (!/[^\x20-\x7e]/.test(text)) return text;
  const words: string[] = [];
  let chunk = "";
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = "";
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString("base64")}?=`).join("\r\n ");
}

/** The X-Spam-* fields of a verdict, in the order they are written. */
export function spamFields(verdict: SpamVerdict, junk: boolean): string {
  const symbols = verdict.symbols.map(symbolText);
  return [
    `X-Spam-Checker: ${verdict.checker}\r\n`,
    `X-Spam-Action: ${verdict.action}\r\n`,
    `X-Spam-Score: ${formatScore(verdict.score)} / ${formatScore(verdict.required)}\r\n`,
    junk ? "X-Spam-Flag: YES\r\n" : "",
    symbols.length > 0 ? folded("X-Spam-Symbols", symbols) : "",
  ].join("");
}

/** The message with the verdict applied, in one buffer (see `verdictParts`). */
export function applyVerdict(message: Uint8Array, verdict: SpamVerdict, junk: boolean): Buffer {
  return Buffer.concat(verdictParts(message, verdict, junk));
}

/**
 * The message with the verdict applied, as consecutive pieces (new fields, then views into
 * `message`), so the caller joins them once with its own trace fields instead of copying a large
 * message twice: our old fields and the headers rspamd asked to remove gone, the Subject rewritten
 * if asked, rspamd's headers and ours on top.
 */
export function verdictParts(message: Uint8Array, verdict: SpamVerdict, junk: boolean): Uint8Array[] {
  const end = headerEnd(message);
  const fields = parseHeaders(message, 0, end);
  const remove = new Set<number>();
  const seen = new Map<string, number[]>();
  fields.forEach((f, i) => {
    const name = f.name.toLowerCase();
    if (OWN_FIELDS.has(name)) remove.add(i);
    seen.set(name, [...(seen.get(name) ?? []), i]);
  });
  for (const [name, which] of verdict.milter?.remove ?? []) {
    const indexes = seen.get(name.toLowerCase()) ?? [];
    if (which === 0) for (const i of indexes) remove.add(i);
    else {
      const i = which > 0 ? indexes[which - 1] : indexes[indexes.length + which];
      if (i !== undefined) remove.add(i);
    }
  }
  const subjectIndex =
    verdict.subject === undefined ? -1 : fields.findIndex((f) => f.name.toLowerCase() === "subject");
  const parts: Uint8Array[] = [];
  let top = spamFields(verdict, junk);
  for (const [name, value] of verdict.milter?.add ?? []) top += `${name}: ${value}\r\n`;
  if (verdict.subject !== undefined && subjectIndex === -1)
    top += `Subject: ${encodedSubject(verdict.subject)}\r\n`;
  parts.push(Buffer.from(top, "utf8"));
  let pos = 0;
  fields.forEach((f, i) => {
    if (!remove.has(i) && i !== subjectIndex) return;
    parts.push(message.subarray(pos, f.start));
    if (i === subjectIndex && !remove.has(i))
      parts.push(Buffer.from(`Subject: ${encodedSubject(verdict.subject!)}\r\n`, "utf8"));
    pos = f.end;
  });
  parts.push(message.subarray(pos));
  return parts;
}

/** The verdict as the REST message view shows it (openapi.yaml SpamVerdict). */
export interface SpamView {
  checker: string;
  action: string;
  score: number;
  required: number;
  symbols: Array<{ name: string; score: number; detail?: string }>;
}

/**
 * The verdict recorded in a stored header, or null when the message carries none (not received on
 * port 25 from outside: submission, IMAP APPEND, imports). Only the first of each field counts: ours
 * are at the top, and any older ones were removed when ours were written.
 */
export function spamViewOf(header: Uint8Array): SpamView | null {
  const fields = parseHeaders(header, 0, header.length);
  const first = (name: string) => fields.find((f) => f.name.toLowerCase() === name)?.value;
  const checker = first("x-spam-checker");
  const action = first("x-spam-action");
  const score = first("x-spam-score");
  if (checker === undefined || action === undefined || score === undefined) return null;
  const m = /^(-?\d+(?:\.\d+)?)\s*(?:\/\s*(-?\d+(?:\.\d+)?))?/.exec(score.trim());
  const symbols: SpamView["symbols"] = [];
  for (const s of (first("x-spam-symbols") ?? "").matchAll(
    /([A-Za-z0-9_.-]+)\((-?\d+(?:\.\d+)?)\)(?:\[([^\]]*)\])?/g,
  )) {
    symbols.push(
      s[3] ? { name: s[1]!, score: Number(s[2]), detail: s[3] } : { name: s[1]!, score: Number(s[2]) },
    );
  }
  return {
    checker: checker.trim(),
    action: action.trim(),
    score: m ? Number(m[1]) : 0,
    required: m?.[2] !== undefined ? Number(m[2]) : 0,
    symbols,
  };
}
