/**
 * The Content-* fields of one MIME part (RFC 2045 §5-§8, RFC 2183, RFC 3066
 * Content-Language, RFC 2557 Content-Location, RFC 1864 Content-MD5) as the
 * fields of a MimePart, i.e. the per-part data of an IMAP BODYSTRUCTURE.
 */

import { clip, type HeaderField } from "./headers.ts";
import { parseStructured } from "./params.ts";
import type { MimePart } from "./types.ts";

export function newPart(partId: string, start: number): MimePart {
  return {
    partId,
    start,
    bodyStart: start,
    end: start,
    type: "text",
    subtype: "plain",
    params: {},
    id: null,
    description: null,
    encoding: "7BIT",
    size: 0,
    lines: 0,
    md5: null,
    disposition: null,
    language: null,
    location: null,
    children: [],
  };
}

const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;

/**
 * Fills type, params and the other Content-* fields from a part's header.
 * `digestChild` selects the RFC 2046 §5.1.5 default (message/rfc822).
 */
export function applyContentFields(
  part: MimePart,
  fields: readonly HeaderField[],
  digestChild: boolean,
): void {
  const seen = new Set<string>();
  let contentType: string | null = null;
  for (const f of fields) {
    const name = f.name.toLowerCase();
    if (!name.startsWith("content-") || seen.has(name)) continue;
    // First occurrence wins: RFC 2045 allows each field once, and a consistent rule beats guessing.
    seen.add(name);
    const value = clip(f.value);
    switch (name) {
      case "content-type":
        contentType = value;
        break;
      case "content-transfer-encoding": {
        const enc = parseStructured(value).value;
        if (enc !== "") part.encoding = enc.toUpperCase();
        break;
      }
      case "content-id":
        part.id = value;
        break;
      case "content-description":
        part.description = value;
        break;
      case "content-md5":
        part.md5 = value;
        break;
      case "content-disposition": {
        const d = parseStructured(value);
        if (d.value !== "") part.disposition = { type: d.value, params: d.params };
        break;
      }
      case "content-language": {
        const langs = value
          .replace(/\([^()]*\)/g, " ")
          .split(",")
          .map((l) => l.trim())
          .filter((l) => l !== "");
        if (langs.length > 0) part.language = langs;
        break;
      }
      case "content-location":
        // RFC 2557 §4.4.2: a long URI may be folded; the whitespace is not part of it.
        part.location = value.replace(/[ \t]+/g, "");
        break;
    }
  }
  if (contentType !== null) {
    const ct = parseStructured(contentType);
    const slash = ct.value.indexOf("/");
    const type = ct.value.slice(0, slash);
    const subtype = ct.value.slice(slash + 1);
    if (slash > 0 && TOKEN.test(type) && TOKEN.test(subtype)) {
      part.type = type;
      part.subtype = subtype;
      part.params = ct.params;
      return;
    }
  }
  if (digestChild) {
    part.type = "message";
    part.subtype = "rfc822";
  } else {
    // RFC 2045 §5.2: no (or a syntactically invalid) Content-Type means text/plain; charset=us-ascii.
    part.params = { charset: "us-ascii" };
  }
}

export function isMessageType(part: MimePart): boolean {
  return part.type === "message" && (part.subtype === "rfc822" || part.subtype === "global");
}

/** RFC 2046 §5.2.1: message/rfc822 bodies may only be 7bit, 8bit or binary; otherwise we cannot look inside in place. */
export function isIdentityEncoding(part: MimePart): boolean {
  return part.encoding === "7BIT" || part.encoding === "8BIT" || part.encoding === "BINARY";
}
