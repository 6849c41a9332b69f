/**
 * The arguments of SORT (RFC 5256 §3, §5; RFC 5957 DISPLAYFROM/DISPLAYTO; RFC 5267 §3.2 ESORT's
 * RETURN) and THREAD (RFC 5256 §4): syntax only.
 */
import type { SortCriterion, SortKey } from "../../store/mod.ts";
import { ImapBad } from "../errors.ts";
import type { Parser } from "../protocol/parser.ts";
import {
  type PartialRange,
  type ReturnOption,
  returnClause,
  type SearchKey,
  type SearchSyntax,
  searchProgram,
} from "./parse.ts";

const SORT_KEYS = new Set<string>([
  "ARRIVAL",
  "CC",
  "DATE",
  "FROM",
  "SIZE",
  "SUBJECT",
  "TO",
  "DISPLAYFROM",
  "DISPLAYTO",
]);

/** More criteria than keys exist make no sense; bounds the ORDER BY built from them. */
const MAX_SORT_CRITERIA = 20;

export interface SortCommand {
  /** RFC 5267 §3.2: present means answer with ESEARCH (SAVE alone: nothing, RFC 5182 §2.4). */
  returnOptions: Set<ReturnOption> | undefined;
  /** RFC 5267 §4.4: the PARTIAL window, counted in sort order. */
  partial: PartialRange | undefined;
  criteria: SortCriterion[];
  charset: string;
  key: SearchKey;
}

/** sort = ["UID" SP] "SORT" [SP "RETURN" SP sort-return-opts] SP sort-criteria SP search-charset 1*(SP search-key) */
export function sortCommand(parser: Parser, syntax: SearchSyntax = {}): SortCommand {
  parser.sp();
  const { returnOptions, partial } = returnClause(parser);
  const criteria = parser.list(() => {
    let name = parser.atom().toUpperCase();
    let reverse = false;
    if (name === "REVERSE") {
      parser.sp();
      name = parser.atom().toUpperCase();
      reverse = true;
    }
    if (!SORT_KEYS.has(name)) throw new ImapBad(undefined, `Unknown sort key ${name.slice(0, 20)}`);
    return { key: name as SortKey, reverse };
  });
  if (criteria.length === 0) throw new ImapBad(undefined, "SORT needs at least one sort criterion");
  if (criteria.length > MAX_SORT_CRITERIA) throw new ImapBad(undefined, "Too many sort criteria");
  parser.sp();
  const charset = parser.astring();
  parser.sp();
  return { returnOptions, partial, criteria, charset, key: searchProgram(parser, syntax) };
}

export type ThreadAlgorithm = "REFERENCES" | "ORDEREDSUBJECT";

/** thread = ["UID" SP] "THREAD" SP thread-alg SP search-charset 1*(SP search-key) (RFC 5256 §5). */
export function threadCommand(
  parser: Parser,
  syntax: SearchSyntax = {},
): { algorithm: ThreadAlgorithm; charset: string; key: SearchKey } {
  parser.sp();
  const algorithm = parser.atom().toUpperCase();
  // RFC 5256 §4: an algorithm the server does not support is BAD.
  if (algorithm !== "REFERENCES" && algorithm !== "ORDEREDSUBJECT")
    throw new ImapBad(undefined, `Unknown thread algorithm ${algorithm.slice(0, 20)}`);
  parser.sp();
  const charset = parser.astring();
  parser.sp();
  return { algorithm, charset, key: searchProgram(parser, syntax) };
}
