/**
 * SEARCH syntax (RFC 3501 §6.4.4 and §9 `search`, RFC 4466 §2.6 `search-return-opts`, RFC 4731
 * result options, RFC 7162 §3.1.5 `search-modsequence`) into a typed tree, in program order.
 * Pure syntax: resolving sequence sets and matching messages happen in evaluate.ts.
 */
import { ImapBad } from "../errors.ts";
import { ImapParseError, type Parser } from "../protocol/parser.ts";
import type { SequenceSet } from "../protocol/sequence.ts";

export type SystemFlagName = "\\Answered" | "\\Deleted" | "\\Draft" | "\\Flagged" | "\\Seen";

export type SearchKey =
  | { kind: "all" }
  /** RFC 3501 §6.4.4 RECENT; this server never has recent messages (RFC 9051 dropped \Recent). */
  | { kind: "recent" }
  | { kind: "flag"; flag: SystemFlagName; set: boolean }
  | { kind: "keyword"; keyword: string; set: boolean }
  /** FROM, TO, CC, BCC, SUBJECT and HEADER: a substring of the named header's decoded value. */
  | { kind: "header"; field: string; value: string }
  | { kind: "body"; value: string }
  | { kind: "text"; value: string }
  /** Days are whole days since the epoch (UTC). "saved" is RFC 8514's save date. */
  | { kind: "date"; of: "internal" | "sent" | "saved"; op: "before" | "on" | "since"; day: number }
  /** RFC 5032 OLDER / YOUNGER: the internal date against now, in seconds. */
  | { kind: "within"; op: "older" | "younger"; seconds: number }
  | { kind: "size"; op: "larger" | "smaller"; size: number }
  | { kind: "sequence"; set: SequenceSet; uid: boolean }
  /** RFC 9738 §3.2 UIDAFTER / UIDBEFORE: UIDs above / below one, whether or not it exists. */
  | { kind: "uid-bound"; op: "after" | "before"; uid: number }
  | { kind: "modseq"; modseq: number }
  | { kind: "not"; key: SearchKey }
  | { kind: "or"; left: SearchKey; right: SearchKey }
  | { kind: "and"; keys: SearchKey[] };

export type ReturnOption = "MIN" | "MAX" | "ALL" | "COUNT";

export interface SearchCommand {
  /** RFC 4731 result options: present means answer with ESEARCH; `RETURN ()` means ALL. */
  returnOptions: Set<ReturnOption> | undefined;
  /** The CHARSET argument as sent (upper-cased), if any. */
  charset: string | undefined;
  key: SearchKey;
}

/**
 * Nesting (parentheses, NOT, OR) deeper than this is refused: the parser and evaluator recurse, and
 * no real client nests more than a handful of levels. Keeps a hostile "((((..." from blowing the stack.
 */
export const MAX_SEARCH_DEPTH = 64;
/**
 * More keys than this in one program are refused: every key runs once per message, so a 1 MB command
 * of "ALL ALL ALL ..." against a big mailbox would otherwise cost billions of evaluations.
 */
export const MAX_SEARCH_KEYS = 1000;

const DAY_MS = 86_400_000;
const RETURN_OPTIONS = new Set<string>(["MIN", "MAX", "ALL", "COUNT"]);

const FLAG_KEYS: Record<string, { flag: SystemFlagName; set: boolean }> = {
  ANSWERED: { flag: "\\Answered", set: true },
  DELETED: { flag: "\\Deleted", set: true },
  DRAFT: { flag: "\\Draft", set: true },
  FLAGGED: { flag: "\\Flagged", set: true },
  SEEN: { flag: "\\Seen", set: true },
  UNANSWERED: { flag: "\\Answered", set: false },
  UNDELETED: { flag: "\\Deleted", set: false },
  UNDRAFT: { flag: "\\Draft", set: false },
  UNFLAGGED: { flag: "\\Flagged", set: false },
  UNSEEN: { flag: "\\Seen", set: false },
};

const HEADER_KEYS: Record<string, string> = {
  BCC: "bcc",
  CC: "cc",
  FROM: "from",
  SUBJECT: "subject",
  TO: "to",
};

const DATE_KEYS: Record<string, { of: "internal" | "sent" | "saved"; op: "before" | "on" | "since" }> = {
  BEFORE: { of: "internal", op: "before" },
  ON: { of: "internal", op: "on" },
  SINCE: { of: "internal", op: "since" },
  SENTBEFORE: { of: "sent", op: "before" },
  SENTON: { of: "sent", op: "on" },
  SENTSINCE: { of: "sent", op: "since" },
  // RFC 8514 §4.3
  SAVEDBEFORE: { of: "saved", op: "before" },
  SAVEDON: { of: "saved", op: "on" },
  SAVEDSINCE: { of: "saved", op: "since" },
};

/**
 * The arguments of SEARCH / UID SEARCH after the command name:
 * `[SP "RETURN" SP "(" opts ")"] [SP "CHARSET" SP astring] 1*(SP search-key)` (RFC 4466 §2.6).
 */
export function searchCommand(parser: Parser): SearchCommand {
  parser.sp();
  let returnOptions: Set<ReturnOption> | undefined;
  if (parser.take("RETURN ")) {
    returnOptions = searchReturnOpts(parser);
    parser.sp();
  }
  let charset: string | undefined;
  if (parser.take("CHARSET ")) {
    charset = parser.astring().toUpperCase();
    parser.sp();
  }
  const budget = { keys: 0 };
  const keys = [searchKey(parser, 0, budget)];
  while (!parser.atEnd()) {
    parser.sp();
    keys.push(searchKey(parser, 0, budget));
  }
  parser.end();
  return { returnOptions, charset, key: keys.length === 1 ? keys[0]! : { kind: "and", keys } };
}

/** RFC 4731 §3.1: "(" [opt *(SP opt)] ")"; an empty list means ALL. */
function searchReturnOpts(parser: Parser): Set<ReturnOption> {
  const names = parser.list(() => parser.atom().toUpperCase());
  const options = new Set<ReturnOption>();
  for (const name of names) {
    // RFC 5182 SAVE needs SEARCHRES, which is not advertised.
    if (name === "SAVE") throw new ImapBad(undefined, "RETURN (SAVE) is not supported (no SEARCHRES)");
    if (!RETURN_OPTIONS.has(name))
      throw new ImapBad(undefined, `Unknown search return option ${name.slice(0, 20)}`);
    options.add(name as ReturnOption);
  }
  if (options.size === 0) options.add("ALL");
  return options;
}

/** One search-key (RFC 3501 §9), recursing into parentheses, NOT and OR. */
export function searchKey(parser: Parser, depth: number, budget: { keys: number }): SearchKey {
  if (depth > MAX_SEARCH_DEPTH) throw new ImapParseError("search keys nested too deeply");
  if (++budget.keys > MAX_SEARCH_KEYS) throw new ImapParseError("too many search keys");
  if (parser.take("(")) {
    const keys = [searchKey(parser, depth + 1, budget)];
    while (!parser.take(")")) {
      parser.sp();
      keys.push(searchKey(parser, depth + 1, budget));
    }
    return keys.length === 1 ? keys[0]! : { kind: "and", keys };
  }
  // A sequence-set key starts with a digit, "*" or "$" (RFC 5182's saved result, refused here).
  if (/^[0-9*$]/.test(parser.rest())) return { kind: "sequence", set: sequenceSet(parser), uid: false };

  const name = parser.atom().toUpperCase();
  const flag = FLAG_KEYS[name];
  if (flag) return { kind: "flag", ...flag };
  const header = HEADER_KEYS[name];
  if (header) return { kind: "header", field: header, value: argument(parser, () => parser.astring()) };
  const date = DATE_KEYS[name];
  if (date) return { kind: "date", ...date, day: argument(parser, () => parser.date()) / DAY_MS };

  switch (name) {
    case "ALL":
      return { kind: "all" };
    // RFC 8514 §4.3: every mailbox here keeps save dates.
    case "SAVEDATESUPPORTED":
      return { kind: "all" };
    // RFC 5032 §3: OLDER / YOUNGER nz-number (seconds).
    case "OLDER":
    case "YOUNGER":
      return {
        kind: "within",
        op: name === "OLDER" ? "older" : "younger",
        seconds: argument(parser, () => parser.nzNumber()),
      };
    case "RECENT":
      return { kind: "recent" };
    // RFC 3501 §6.4.4: NEW is "(RECENT UNSEEN)", OLD is "NOT RECENT".
    case "NEW":
      return { kind: "and", keys: [{ kind: "recent" }, { kind: "flag", flag: "\\Seen", set: false }] };
    case "OLD":
      return { kind: "not", key: { kind: "recent" } };
    case "KEYWORD":
    case "UNKEYWORD":
      return { kind: "keyword", keyword: argument(parser, () => parser.atom()), set: name === "KEYWORD" };
    case "HEADER": {
      const field = argument(parser, () => parser.astring());
      return { kind: "header", field: field.toLowerCase(), value: argument(parser, () => parser.astring()) };
    }
    case "BODY":
      return { kind: "body", value: argument(parser, () => parser.astring()) };
    case "TEXT":
      return { kind: "text", value: argument(parser, () => parser.astring()) };
    case "LARGER":
    case "SMALLER":
      return {
        kind: "size",
        op: name === "LARGER" ? "larger" : "smaller",
        size: argument(parser, () => parser.number()),
      };
    case "UID":
      return { kind: "sequence", set: argument(parser, () => sequenceSet(parser)), uid: true };
    case "UIDAFTER":
    case "UIDBEFORE":
      return {
        kind: "uid-bound",
        op: name === "UIDAFTER" ? "after" : "before",
        uid: argument(parser, () => parser.nzNumber()),
      };
    case "MODSEQ":
      return { kind: "modseq", modseq: argument(parser, () => searchModsequence(parser)) };
    case "NOT":
      return { kind: "not", key: argument(parser, () => searchKey(parser, depth + 1, budget)) };
    case "OR": {
      const left = argument(parser, () => searchKey(parser, depth + 1, budget));
      return { kind: "or", left, right: argument(parser, () => searchKey(parser, depth + 1, budget)) };
    }
    default:
      throw new ImapParseError(`unknown search key ${name.slice(0, 20)}`);
  }
}

/** SP then one argument. */
function argument<T>(parser: Parser, read: () => T): T {
  parser.sp();
  return read();
}

function sequenceSet(parser: Parser): SequenceSet {
  const set = parser.sequenceSet();
  // RFC 5182 "$" refers to a saved result; SEARCHRES is not advertised.
  if (set.saved) throw new ImapBad(undefined, "$ (SEARCHRES) is not supported");
  return set;
}

/**
 * RFC 7162 §3.1.5: `[entry-name SP entry-type-req SP] mod-sequence-valzer`. The entry name (a
 * per-flag metadata item) and its type are accepted and ignored: one MODSEQ per message covers all flags.
 */
function searchModsequence(parser: Parser): number {
  if (parser.peek('"')) {
    const entry = parser.string();
    if (!entry.toLowerCase().startsWith("/flags/")) throw new ImapParseError("bad MODSEQ entry name");
    parser.sp();
    const type = parser.atom().toLowerCase();
    if (type !== "priv" && type !== "shared" && type !== "all")
      throw new ImapParseError("bad MODSEQ entry type");
    parser.sp();
  }
  return parser.modSequence();
}
