/**
 * SEARCH syntax (RFC 3501 §6.4.4 and §9 `search`, RFC 4466 §2.6 `search-return-opts`, RFC 4731
 * result options, RFC 5182 SAVE and "$", RFC 7162 §3.1.5 `search-modsequence`) into a typed tree,
 * in program order.
 * Pure syntax: resolving sequence sets and matching messages happen in evaluate.ts.
 */

import { ImapBad } from "../errors.ts";
import { isObjectId, objectIdNumber } from "../object-id.ts";
import { ImapParseError, type Parser } from "../protocol/parser.ts";
import type { SequenceSet } from "../protocol/sequence.ts";

export type SystemFlagName = "\\Answered" | "\\Deleted" | "\\Draft" | "\\Flagged" | "\\Seen";

export type SearchKey =
  | { kind: "all" }
  /** RFC 3501 §6.4.4 RECENT: \Recent in this session (§2.3.2). */
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
  /** RFC 8474 §6 EMAILID / THREADID: the content or thread the id names (undefined: none of ours). */
  | { kind: "object-id"; of: "email" | "thread"; id: number | undefined }
  | { kind: "not"; key: SearchKey }
  | { kind: "or"; left: SearchKey; right: SearchKey }
  | { kind: "and"; keys: SearchKey[] };

/**
 * RFC 4731 result options, RFC 5182 §2.1 SAVE, and RFC 5267 §4's CONTEXT (a hint), UPDATE (keep the
 * result up to date) and PARTIAL (a window of the result; its range is SearchCommand.partial).
 */
export type ReturnOption = "MIN" | "MAX" | "ALL" | "COUNT" | "SAVE" | "CONTEXT" | "UPDATE" | "PARTIAL";

/**
 * RFC 5267 §4.4 as RFC 9394 §3.1 and §4 extend it: results `from` to `to` (1-based, from <= to) of
 * the result list, counted from its end when `last` ("-1:-100" is the last hundred). `text` is the
 * range as the client wrote it, which the PARTIAL response data repeats.
 */
export interface PartialRange {
  from: number;
  to: number;
  last: boolean;
  text: string;
}

export interface SearchCommand {
  /**
   * RFC 4731 result options: present means answer with ESEARCH (unless SAVE is the only one, RFC
   * 5182 §2.1); `RETURN ()` means ALL.
   */
  returnOptions: Set<ReturnOption> | undefined;
  /** The PARTIAL return option's range, when given. */
  partial: PartialRange | undefined;
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
const RETURN_OPTIONS = new Set<string>([
  "MIN",
  "MAX",
  "ALL",
  "COUNT",
  "SAVE",
  "CONTEXT",
  "UPDATE",
  "PARTIAL",
]);
/** The options that return data; without one, UPDATE or CONTEXT ask for the whole result (ALL). */
const DATA_OPTIONS: readonly ReturnOption[] = ["MIN", "MAX", "ALL", "COUNT", "PARTIAL"];

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

/** What the session's protocol revision changes in the syntax. */
export interface SearchSyntax {
  /**
   * The session ENABLEd IMAP4rev2: RECENT, NEW and OLD are no search keys of RFC 9051 (§6.4.4, §9
   * search-key; \Recent is gone, Appendix E), so they are BAD like any unknown key.
   */
  rev2?: boolean;
}

/**
 * The arguments of SEARCH / UID SEARCH after the command name:
 * `[SP "RETURN" SP "(" opts ")"] [SP "CHARSET" SP astring] 1*(SP search-key)` (RFC 4466 §2.6).
 */
export function searchCommand(parser: Parser, syntax: SearchSyntax = {}): SearchCommand {
  parser.sp();
  const { returnOptions, partial } = returnClause(parser);
  let charset: string | undefined;
  if (parser.take("CHARSET ")) {
    charset = parser.astring().toUpperCase();
    parser.sp();
  }
  return { returnOptions, partial, charset, key: searchProgram(parser, syntax) };
}

/**
 * search-key *(SP search-key) up to the end of the command, as one key (an implicit AND): what
 * SEARCH, SORT and THREAD (RFC 5256 §4) end with.
 */
export function searchProgram(parser: Parser, syntax: SearchSyntax = {}): SearchKey {
  const budget = { keys: 0, rev2: syntax.rev2 === true };
  const keys = [searchKey(parser, 0, budget)];
  while (!parser.atEnd()) {
    parser.sp();
    keys.push(searchKey(parser, 0, budget));
  }
  parser.end();
  return keys.length === 1 ? keys[0]! : { kind: "and", keys };
}

/**
 * `[RETURN SP "(" opts ")" SP]` at the start of SEARCH (RFC 4466 §2.6) and SORT (RFC 5267 §3.2):
 * no options at all when the clause is absent (a plain SEARCH / SORT answer).
 */
export function returnClause(parser: Parser): {
  returnOptions: Set<ReturnOption> | undefined;
  partial: PartialRange | undefined;
} {
  if (!parser.take("RETURN ")) return { returnOptions: undefined, partial: undefined };
  const { options, partial } = searchReturnOpts(parser);
  parser.sp();
  return { returnOptions: options, partial };
}

/**
 * RFC 4731 §3.1: "(" [opt *(SP opt)] ")"; an empty list means ALL. Also ESORT's (RFC 5267 §3.2).
 * RFC 5267 §4.4 (and RFC 9394 §3.1): one PARTIAL or one ALL, never both; UPDATE once (§4.3).
 */
export function searchReturnOpts(parser: Parser): {
  options: Set<ReturnOption>;
  partial: PartialRange | undefined;
} {
  const options = new Set<ReturnOption>();
  let partial: PartialRange | undefined;
  parser.list(() => {
    const name = parser.atom().toUpperCase();
    if (!RETURN_OPTIONS.has(name))
      throw new ImapBad(undefined, `Unknown search return option ${name.slice(0, 20)}`);
    const option = name as ReturnOption;
    if ((option === "ALL" || option === "PARTIAL" || option === "UPDATE") && options.has(option))
      throw new ImapBad(undefined, `${option} given twice`);
    if (option === "PARTIAL") {
      parser.sp();
      partial = partialRange(parser);
    }
    options.add(option);
  });
  if (options.has("PARTIAL") && options.has("ALL"))
    throw new ImapBad(undefined, "PARTIAL and ALL exclude each other (RFC 5267 §4.4)");
  // RFC 4731 §3.1: RETURN () is ALL. Our reading of RFC 5267 §4.3: UPDATE (or CONTEXT) without an
  // option that returns data asks for the whole result, which the updates then keep current.
  if (
    options.size === 0 ||
    (!DATA_OPTIONS.some((o) => options.has(o)) && (options.has("UPDATE") || options.has("CONTEXT")))
  )
    options.add("ALL");
  return { options, partial };
}

/**
 * RFC 9394 §4: partial-range-first = nz-number ":" nz-number / partial-range-last = "-" nz-number
 * ":" "-" nz-number; 500:400 is 400:500, and "*" is not allowed.
 */
function partialRange(parser: Parser): PartialRange {
  const text = parser.atom();
  const m = /^(-?)([1-9]\d{0,9}):(-?)([1-9]\d{0,9})$/.exec(text);
  if (!m || m[1] !== m[3]) throw new ImapBad(undefined, "PARTIAL takes a range such as 1:100 or -1:-100");
  const a = Number(m[2]);
  const b = Number(m[4]);
  if (a > 0xffffffff || b > 0xffffffff) throw new ImapBad(undefined, "PARTIAL range beyond 32 bits");
  return { from: Math.min(a, b), to: Math.max(a, b), last: m[1] === "-", text };
}

/** The results a PARTIAL range names, in the list's order (RFC 9394 §3.1: -1 is the last result). */
export function partialSlice<T>(results: readonly T[], range: PartialRange): T[] {
  if (!range.last) return results.slice(range.from - 1, range.to);
  const end = results.length - range.from + 1;
  return results.slice(Math.max(0, results.length - range.to), Math.max(0, end));
}

/** One search-key (RFC 3501 §9), recursing into parentheses, NOT and OR. */
export function searchKey(
  parser: Parser,
  depth: number,
  budget: { keys: number; rev2?: boolean },
): SearchKey {
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
  // A sequence-set key starts with a digit, "*" or "$" (RFC 5182's saved result).
  if (/^[0-9*$]/.test(parser.rest())) return { kind: "sequence", set: parser.sequenceSet(), uid: false };

  const name = parser.atom().toUpperCase();
  if (budget.rev2 && (name === "RECENT" || name === "NEW" || name === "OLD"))
    throw new ImapBad(undefined, `${name} is no IMAP4rev2 search key (RFC 9051 removed \\Recent)`);
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
    case "YOUNGER": {
      const seconds = argument(parser, () => parser.nzNumber());
      return { kind: "within", op: name === "OLDER" ? "older" : "younger", seconds };
    }
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
    case "SMALLER": {
      const size = argument(parser, () => parser.number());
      return { kind: "size", op: name === "LARGER" ? "larger" : "smaller", size };
    }
    case "UID":
      return { kind: "sequence", set: argument(parser, () => parser.sequenceSet()), uid: true };
    case "UIDAFTER":
    case "UIDBEFORE": {
      const uid = argument(parser, () => parser.nzNumber());
      return { kind: "uid-bound", op: name === "UIDAFTER" ? "after" : "before", uid };
    }
    case "MODSEQ":
      return { kind: "modseq", modseq: argument(parser, () => searchModsequence(parser)) };
    // RFC 8474 §6: EMAILID objectid / THREADID objectid; a malformed id is BAD, an unknown one matches nothing.
    case "EMAILID":
    case "THREADID": {
      const value = argument(parser, () => parser.astring());
      if (!isObjectId(value)) throw new ImapParseError(`bad ${name} ${value.slice(0, 20)}`);
      const email = name === "EMAILID";
      return {
        kind: "object-id",
        of: email ? "email" : "thread",
        id: objectIdNumber(value, email ? "M" : "T"),
      };
    }
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
