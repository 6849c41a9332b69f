/**
 * Evaluating a parsed SEARCH program (RFC 3501 §6.4.4) against message rows: the tree is compiled
 * once into closures, sequence sets are resolved once into UID sets, and each message then costs a
 * few comparisons and, for text keys, substring scans of its stored lower-cased search text.
 *
 * Matching rules:
 * - Text keys are case-insensitive substring matches on decoded text (RFC 3501 §6.4.4 leaves the
 *   method to the server): the needle is lower-cased (Unicode) and its whitespace runs collapsed,
 *   exactly as the stored search text was at delivery (src/mime/search-text.ts).
 * - Dates compare whole days: BEFORE/ON/SINCE the internal date's UTC day, SENT* the Date header's
 *   own day in its own zone (RFC 3501 §6.4.4 "disregarding time and timezone", stored at delivery);
 *   a message without a usable Date header matches no SENT* key.
 */
import type { IndexTerm, MessageSearchRow } from "../../store/mod.ts";
import { FLAG_BITS, parseKeywords } from "../../store/mod.ts";
import type { SequenceSet } from "../protocol/sequence.ts";
import type { SearchKey } from "./parse.ts";

export type Matcher = (row: MessageSearchRow) => boolean;

/** What a program asks of the session's view of the mailbox (SelectedMailbox has both). */
export interface SearchView {
  /** The UIDs a sequence set names in the session's view (sequence numbers or UIDs, or "$"). */
  resolve(set: SequenceSet, byUid: boolean): readonly number[];
  /** Whether the message is \Recent in this session (RFC 3501 §2.3.2). */
  isRecent(uid: number): boolean;
}

/** Which columns a program reads, so the store fetches no more than needed. */
export interface SearchNeeds {
  sentDay: boolean;
  searchHeaders: boolean;
  searchText: boolean;
  /** The program has a MODSEQ key: RFC 7162 §3.1.5 MODSEQ response data, and CONDSTORE turns on. */
  modseq: boolean;
  /** An EMAILID or THREADID key (RFC 8474 §6). */
  objectIds: boolean;
}

const DAY_MS = 86_400_000;

export function searchNeeds(key: SearchKey): SearchNeeds {
  const needs: SearchNeeds = {
    sentDay: false,
    searchHeaders: false,
    searchText: false,
    modseq: false,
    objectIds: false,
  };
  const visit = (k: SearchKey): void => {
    switch (k.kind) {
      case "header":
        needs.searchHeaders = true;
        break;
      case "body":
        needs.searchText = true;
        break;
      case "text":
        needs.searchHeaders = true;
        needs.searchText = true;
        break;
      case "date":
        if (k.of === "sent") needs.sentDay = true;
        break;
      case "modseq":
        needs.modseq = true;
        break;
      case "object-id":
        needs.objectIds = true;
        break;
      case "not":
        visit(k.key);
        break;
      case "or":
        visit(k.left);
        visit(k.right);
        break;
      case "and":
        for (const sub of k.keys) visit(sub);
        break;
    }
  };
  visit(key);
  return needs;
}

/**
 * RFC 9738 §3.1: which messages a SEARCH looks at, for counting them against MESSAGELIMIT: those its
 * top-level sequence set, UID, UIDAFTER and UIDBEFORE keys allow (a predicate on the UID alone).
 */
export function candidateFilter(key: SearchKey, view: SearchView): (uid: number) => boolean {
  const narrowing = (k: SearchKey): SearchKey[] =>
    k.kind === "and" ? k.keys.flatMap(narrowing) : k.kind === "sequence" || k.kind === "uid-bound" ? [k] : [];
  const parts = narrowing(key).map((k) => compileSearch(k, view));
  // These keys read only the UID of the row.
  return (uid) => parts.every((p) => p({ uid } as MessageSearchRow));
}

/** Whether a program has a key naming message sequence numbers (RFC 9586 §3.1 refuses them). */
export function usesSequenceNumbers(key: SearchKey): boolean {
  // RFC 5182 §2.1: "$" names the saved messages, not numbers; UIDONLY allows it (RFC 9586 §3.1
  // only forbids message numbers).
  return anyKey(key, (k) => k.kind === "sequence" && !k.uid && k.set.saved !== true);
}

/**
 * Whether a program's result changes with the clock alone (RFC 5032 OLDER / YOUNGER): a search
 * context (RFC 5267 §4.3) could not keep it current from the mailbox's changes.
 */
export function dependsOnTime(key: SearchKey): boolean {
  return anyKey(key, (k) => k.kind === "within");
}

/** Whether any key of the program, at any depth, passes `test`. */
function anyKey(key: SearchKey, test: (k: SearchKey) => boolean): boolean {
  if (test(key)) return true;
  switch (key.kind) {
    case "not":
      return anyKey(key.key, test);
    case "or":
      return anyKey(key.left, test) || anyKey(key.right, test);
    case "and":
      return key.keys.some((k) => anyKey(k, test));
    default:
      return false;
  }
}

/**
 * The text keys the trigram index can prefilter by (store/search-index.ts): those every match must
 * satisfy (the key itself, or members of a top-level AND; not under NOT or OR), with a needle of at
 * least three characters. HEADER's needle is in the header text too (headerContains), so the
 * headers column stands for SUBJECT, FROM, TO, CC, BCC and HEADER alike.
 */
export function indexTerms(key: SearchKey, minChars: number): IndexTerm[] {
  const members = key.kind === "and" ? key.keys.flatMap((k) => (k.kind === "and" ? k.keys : [k])) : [key];
  const terms: IndexTerm[] = [];
  for (const k of members) {
    if (k.kind !== "header" && k.kind !== "body" && k.kind !== "text") continue;
    const needle = normalizeNeedle(k.value);
    if ([...needle].length < minChars) continue;
    terms.push({ column: k.kind === "header" ? "headers" : k.kind === "body" ? "body" : "any", needle });
  }
  return terms;
}

/** The needle as the stored search text spells it: lower-cased, whitespace runs collapsed. */
export function normalizeNeedle(value: string): string {
  return value.toLowerCase().replace(/[\s\x00-\x1f\x7f]+/g, " ");
}

/** Compiles a search program into one predicate over message rows. */
export function compileSearch(key: SearchKey, view: SearchView): Matcher {
  switch (key.kind) {
    case "all":
      return () => true;
    case "recent":
      // \Recent is per session (RFC 3501 §2.3.2): the view knows which messages it took.
      return (row) => view.isRecent(row.uid);
    case "flag": {
      const bit = FLAG_BITS[key.flag];
      return key.set ? (row) => (row.flags & bit) !== 0 : (row) => (row.flags & bit) === 0;
    }
    case "keyword": {
      // Keywords compare case-insensitively, like flags (RFC 3501 §2.3.2 leaves case to the server).
      const wanted = key.keyword.toLowerCase();
      const has = (row: MessageSearchRow) =>
        row.keywords !== "[]" && parseKeywords(row.keywords).some((k) => k.toLowerCase() === wanted);
      return key.set ? has : (row) => !has(row);
    }
    case "header": {
      const field = key.field.toLowerCase();
      const needle = normalizeNeedle(key.value);
      return (row) => headerContains(row.searchHeaders, field, needle);
    }
    case "body": {
      const needle = normalizeNeedle(key.value);
      return (row) => row.searchText.includes(needle);
    }
    case "text": {
      const needle = normalizeNeedle(key.value);
      return (row) => row.searchHeaders.includes(needle) || row.searchText.includes(needle);
    }
    case "date":
      return dateMatcher(key.of, key.op, key.day);
    case "within": {
      // RFC 5032 §3: OLDER is an internal date more than n seconds ago, YOUNGER within the last n.
      const cutoff = Date.now() - key.seconds * 1000;
      return key.op === "older" ? (row) => row.internalDate < cutoff : (row) => row.internalDate >= cutoff;
    }
    case "size":
      return key.op === "larger" ? (row) => row.size > key.size : (row) => row.size < key.size;
    case "sequence": {
      const uids = new Set(view.resolve(key.set, key.uid));
      return (row) => uids.has(row.uid);
    }
    case "modseq":
      return (row) => row.modseq >= key.modseq;
    case "object-id": {
      const { id } = key;
      if (id === undefined) return () => false;
      return key.of === "email" ? (row) => row.contentId === id : (row) => row.threadId === id;
    }
    case "uid-bound":
      return key.op === "after" ? (row) => row.uid > key.uid : (row) => row.uid < key.uid;
    case "not": {
      const inner = compileSearch(key.key, view);
      return (row) => !inner(row);
    }
    case "or": {
      const left = compileSearch(key.left, view);
      const right = compileSearch(key.right, view);
      return (row) => left(row) || right(row);
    }
    case "and": {
      // Cheap keys first, so text scans run only on messages that pass the index columns.
      const parts = [...key.keys].sort((a, b) => cost(a) - cost(b)).map((k) => compileSearch(k, view));
      return (row) => {
        for (const part of parts) if (!part(row)) return false;
        return true;
      };
    }
  }
}

/** A rough cost per message, for ordering AND's members. */
function cost(key: SearchKey): number {
  switch (key.kind) {
    case "header":
    case "body":
    case "text":
      return 10;
    case "keyword":
      return 2;
    case "not":
      return cost(key.key);
    case "or":
      return cost(key.left) + cost(key.right);
    case "and":
      return key.keys.reduce((sum, k) => sum + cost(k), 0);
    default:
      return 1;
  }
}

function dateMatcher(of: "internal" | "sent" | "saved", op: "before" | "on" | "since", day: number): Matcher {
  const dayOf = (row: MessageSearchRow): number | null => {
    if (of === "sent") return row.sentDay;
    // RFC 8514 §4.3: without a save date the internal date stands in.
    const ms = of === "internal" ? row.internalDate : (row.saveDate ?? row.internalDate);
    return Math.floor(ms / DAY_MS);
  };
  switch (op) {
    case "before":
      return (row) => {
        const d = dayOf(row);
        return d !== null && d < day;
      };
    case "on":
      return (row) => dayOf(row) === day;
    case "since":
      return (row) => {
        const d = dayOf(row);
        return d !== null && d >= day;
      };
  }
}

/**
 * Whether a line "field: value" in the search headers has `needle` in its value. An empty needle
 * asks only whether the header is present (RFC 3501 §6.4.4 HEADER).
 */
export function headerContains(headers: string, field: string, needle: string): boolean {
  if (needle !== "" && !headers.includes(needle)) return false;
  const prefix = `${field}:`;
  let start = headers.startsWith(prefix) ? 0 : lineStart(headers, `\n${prefix}`, 0);
  while (start !== -1) {
    const newline = headers.indexOf("\n", start);
    const end = newline === -1 ? headers.length : newline;
    if (needle === "") return true;
    const at = headers.indexOf(needle, start + prefix.length);
    if (at !== -1 && at + needle.length <= end) return true;
    start = lineStart(headers, `\n${prefix}`, end);
  }
  return false;
}

function lineStart(headers: string, marker: string, from: number): number {
  const i = headers.indexOf(marker, from);
  return i === -1 ? -1 : i + 1;
}
