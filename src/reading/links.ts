/**
 * Every URL in a message's text and HTML bodies (issue 16, `GET .../messages/{id}/links`): what a
 * test follows to confirm a sign-up or reset a password. In HTML, the URL-valued attributes (href,
 * src, action, background, poster, cite) and URLs written in the text (not inside script or style,
 * which are code); in plain text, URLs with a scheme. HTML is read with htmlparser2 (entities decoded as a browser would, no DOM); text with one
 * linear pattern, no backtracking.
 */
import { Parser } from "htmlparser2";
import { READING_LIMITS } from "./limits.ts";

export interface Link {
  url: string;
  /** The body it was found in. */
  part: "text" | "html";
  /** The text of the HTML link (`<a>` content), when it is one. */
  text: string | null;
}

/**
 * A URL written out in text: a scheme the reader can follow and everything up to white space or
 * a character that cannot be in a URL (RFC 3986 §2: no space, quotes, angle brackets, braces...).
 */
const TEXT_URL = /\b(?:https?:\/\/|ftp:\/\/|mailto:)[^\s<>"'`{}|\\^[\]\u0000-\u001f\u007f]+/gi;

/** Sentence punctuation after a URL belongs to the sentence (as in `see https://x.test/a.`). */
function trimUrl(url: string): string {
  let end = url.length;
  for (;;) {
    const last = url[end - 1];
    if (last === undefined) break;
    if (".,;:!?".includes(last)) {
      end--;
      continue;
    }
    // A closing parenthesis without an opening one in the URL closes the sentence's "(see ...)".
    if (last === ")") {
      const body = url.slice(0, end);
      if ((body.match(/\(/g)?.length ?? 0) < (body.match(/\)/g)?.length ?? 0)) {
        end--;
        continue;
      }
    }
    break;
  }
  return url.slice(0, end);
}

/** URLs written in `text`, in order. */
export function textUrls(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(TEXT_URL)) {
    const url = trimUrl(m[0]);
    // "https://" alone, or "mailto:" with nothing after it, is no link.
    if (/^(?:[a-z]+:\/\/|mailto:)$/i.test(url)) continue;
    out.push(url);
    if (out.length >= READING_LIMITS.maxLinks) break;
  }
  return out;
}

/** Attributes that hold a URL, by the tags that have them (HTML §4: the ones that navigate or load). */
const URL_ATTRIBUTES: Record<string, readonly string[]> = {
  href: ["a", "area", "link", "base"],
  src: ["img", "iframe", "frame", "script", "audio", "video", "source", "embed", "input", "track"],
  action: ["form"],
  formaction: ["button", "input"],
  background: ["body", "table", "td", "th", "tr"],
  poster: ["video"],
  cite: ["blockquote", "q", "del", "ins"],
};

/** Not places to go: script, inline data, in-message parts, and jumps within the page. */
function followable(url: string): boolean {
  return url !== "" && !/^(?:javascript|vbscript|data|cid|about):/i.test(url) && !url.startsWith("#");
}

/** The URLs of an HTML body: attributes first as they come, and URLs written in its text. */
export function htmlLinks(html: string): Array<{ url: string; text: string | null }> {
  const out: Array<{ url: string; text: string | null }> = [];
  /** The open `<a>`'s entry, collecting its text. */
  let anchor: { url: string; text: string | null } | null = null;
  /** Inside <script> or <style>: code, not text. */
  let code = 0;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === "script" || name === "style") code++;
        for (const [attribute, tags] of Object.entries(URL_ATTRIBUTES)) {
          const value = attributes[attribute];
          if (value === undefined || !tags.includes(name)) continue;
          const url = value.trim();
          if (!followable(url) || out.length >= READING_LIMITS.maxLinks) continue;
          const entry = { url, text: name === "a" ? "" : null };
          out.push(entry);
          if (name === "a") anchor = entry;
        }
      },
      ontext(text) {
        if (code > 0) return;
        if (anchor && (anchor.text?.length ?? 0) < READING_LIMITS.maxLinkText) anchor.text += text;
        for (const url of textUrls(text))
          if (out.length < READING_LIMITS.maxLinks) out.push({ url, text: null });
      },
      onclosetag(name) {
        if (name === "a") anchor = null;
        if ((name === "script" || name === "style") && code > 0) code--;
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  for (const entry of out)
    if (entry.text !== null)
      entry.text = entry.text.replace(/\s+/g, " ").trim().slice(0, READING_LIMITS.maxLinkText);
  return out;
}

/** Every link of both bodies, each URL once per body, in order of appearance. */
export function messageLinks(bodies: { text: string | null; html: string | null }): Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  const add = (url: string, part: Link["part"], text: string | null) => {
    const key = `${part} ${url}`;
    if (seen.has(key) || links.length >= READING_LIMITS.maxLinks) return;
    seen.add(key);
    links.push({ url, part, text });
  };
  if (bodies.html !== null) for (const l of htmlLinks(bodies.html)) add(l.url, "html", l.text);
  if (bodies.text !== null) for (const url of textUrls(bodies.text)) add(url, "text", null);
  return links;
}
