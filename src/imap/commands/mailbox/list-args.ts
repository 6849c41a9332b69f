/**
 * The arguments of LIST (RFC 3501 §6.3.8 and the extended form of RFC 5258 §3, with RFC 6154's
 * SPECIAL-USE and RFC 5819's STATUS return option) and LSUB (RFC 3501 §6.3.9). Syntax only.
 */
import { ImapBad } from "../../errors.ts";
import type { Parser } from "../../protocol/parser.ts";
import { type StatusItem, statusItems } from "./status-items.ts";

export interface ListArgs {
  /** Selection options or return options were given (RFC 5258 §3): answers use \NonExistent. */
  extended: boolean;
  reference: string;
  patterns: string[];
  select: { subscribed: boolean; recursiveMatch: boolean; specialUse: boolean };
  returns: { subscribed: boolean; children: boolean; specialUse: boolean; status: StatusItem[] | undefined };
}

/**
 * list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
 * (RFC 5258 §6); the parser stands right after "LIST".
 */
export function listArgs(parser: Parser): ListArgs {
  const args: ListArgs = {
    extended: false,
    reference: "",
    patterns: [],
    select: { subscribed: false, recursiveMatch: false, specialUse: false },
    returns: { subscribed: false, children: false, specialUse: false, status: undefined },
  };
  parser.sp();
  if (parser.peek("(")) {
    args.extended = true;
    parser.list(() => selectOption(parser, args));
    parser.sp();
    // RFC 5258 §3.1: RECURSIVEMATCH alone (or with only REMOTE) is a syntax error.
    if (args.select.recursiveMatch && !args.select.subscribed && !args.select.specialUse) {
      throw new ImapBad(undefined, "RECURSIVEMATCH needs another selection option");
    }
  }
  args.reference = parser.mailbox();
  parser.sp();
  if (parser.peek("(")) {
    // RFC 5258 §3: several patterns at once; one pattern at least.
    args.extended = true;
    args.patterns = parser.list(() => parser.listMailbox());
    if (args.patterns.length === 0) throw new ImapBad(undefined, "LIST needs at least one pattern");
  } else {
    args.patterns = [parser.listMailbox()];
  }
  if (parser.take(" ")) {
    parser.expect("RETURN");
    parser.sp();
    args.extended = true;
    parser.list(() => returnOption(parser, args));
  }
  parser.end();
  // RFC 5258 §3.1: the SUBSCRIBED selection option implies the SUBSCRIBED return option, and
  // RFC 6154 §3 the SPECIAL-USE one implies SPECIAL-USE attributes.
  if (args.select.subscribed) args.returns.subscribed = true;
  if (args.select.specialUse) args.returns.specialUse = true;
  return args;
}

/** Selection options (RFC 5258 §3.1, RFC 6154 §3) and the flag each sets. */
const SELECT_OPTIONS = new Map<string, keyof ListArgs["select"] | undefined>([
  ["SUBSCRIBED", "subscribed"],
  // RFC 5258 §3.1: we have no remote mailboxes, so REMOTE changes nothing.
  ["REMOTE", undefined],
  ["RECURSIVEMATCH", "recursiveMatch"],
  ["SPECIAL-USE", "specialUse"],
]);

/** Return options without arguments (RFC 5258 §3.2, RFC 6154 §3) and the flag each sets; STATUS has a list. */
const RETURN_FLAGS = new Map<string, "subscribed" | "children" | "specialUse">([
  ["SUBSCRIBED", "subscribed"],
  ["CHILDREN", "children"],
  ["SPECIAL-USE", "specialUse"],
]);

function selectOption(parser: Parser, args: ListArgs): void {
  const name = parser.atom().toUpperCase();
  // RFC 5258 §3: an unrecognised selection option is BAD.
  if (!SELECT_OPTIONS.has(name))
    throw new ImapBad(undefined, `Unknown LIST selection option ${name.slice(0, 40)}`);
  const flag = SELECT_OPTIONS.get(name);
  if (flag) args.select[flag] = true;
}

function returnOption(parser: Parser, args: ListArgs): void {
  const name = parser.atom().toUpperCase();
  const flag = RETURN_FLAGS.get(name);
  if (flag) {
    args.returns[flag] = true;
  } else if (name === "STATUS") {
    // RFC 5819 §2: STATUS (status-att ...).
    parser.sp();
    args.returns.status = statusItems(parser);
  } else {
    throw new ImapBad(undefined, `Unknown LIST return option ${name.slice(0, 40)}`);
  }
}

/** lsub = "LSUB" SP mailbox SP list-mailbox (RFC 3501 §9). */
export function lsubArgs(parser: Parser): { reference: string; pattern: string } {
  parser.sp();
  const reference = parser.mailbox();
  parser.sp();
  const pattern = parser.listMailbox();
  parser.end();
  return { reference, pattern };
}
