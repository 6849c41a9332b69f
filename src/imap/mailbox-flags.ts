/**
 * The flags a session has been told of (RFC 3501 §7.2.6 FLAGS, §7.1 PERMANENTFLAGS) and how a
 * message's flags are written. A keyword may appear in a FETCH only after the client heard it in
 * FLAGS: SELECT lists the mailbox's keyword set (store/mailbox-keywords.ts), and whenever a
 * response is about to show a keyword this session has not heard yet (set by this session or any
 * other, by STORE, APPEND, COPY or MOVE), FLAGS and PERMANENTFLAGS go out again first, with it.
 */
import { flagNames, MAX_KEYWORDS_PER_MAILBOX, parseKeywords } from "../store/mod.ts";
import type { Piece } from "./protocol/encode.ts";

const SYSTEM_FLAGS = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
/** Keywords of RFC 5788's registry that clients look for; listed in every mailbox's FLAGS. */
const WELL_KNOWN_KEYWORDS = ["$Forwarded", "$MDNSent", "$Junk", "$NotJunk", "$Phishing"];

/** A message's flag list as FETCH writes it: system flags, \Recent for this session (§2.3.2), keywords. */
export function flagList(flags: number, keywords: readonly string[], recent: boolean): string {
  const names = flagNames(flags);
  if (recent) names.push("\\Recent");
  for (const k of keywords) names.push(k);
  return `(${names.join(" ")})`;
}

export class MailboxFlags {
  readonly #known: Set<string>;
  readonly #readOnly: boolean;

  /** `keywords`: the mailbox's keyword set as SELECT read it. */
  constructor(keywords: readonly string[], readOnly: boolean) {
    this.#known = new Set([...WELL_KNOWN_KEYWORDS, ...keywords]);
    this.#readOnly = readOnly;
  }

  /** FLAGS and OK [PERMANENTFLAGS]: what SELECT says, and what a new keyword brings again. */
  lines(): Piece[][] {
    const keywords = [...this.#known].join(" ");
    // RFC 3501 §7.1: "\*" says new keywords may be created; not once the mailbox has about all it
    // may know (the well-known ones may or may not be among its own).
    const more = this.#known.size < MAX_KEYWORDS_PER_MAILBOX + WELL_KNOWN_KEYWORDS.length ? " \\*" : "";
    const permanent = this.#readOnly ? "" : `${SYSTEM_FLAGS} ${keywords}${more}`;
    return [[`FLAGS (${SYSTEM_FLAGS} ${keywords})`], [`OK [PERMANENTFLAGS (${permanent})] Flags permitted`]];
  }

  /** The lines to send before a response showing `keywords`: none when all were heard already. */
  announce(keywords: readonly string[]): Piece[][] {
    let fresh = false;
    for (const k of keywords) {
      if (this.#known.has(k)) continue;
      this.#known.add(k);
      fresh = true;
    }
    return fresh ? this.lines() : [];
  }

  /** announce() for keywords as stored (a JSON array); the common "[]" costs nothing. */
  announceStored(json: string): Piece[][] {
    return json === "[]" ? [] : this.announce(parseKeywords(json));
  }
}
