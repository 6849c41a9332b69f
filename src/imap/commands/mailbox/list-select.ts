/**
 * Which names a LIST or LSUB returns, and with which attributes, computed from the account's mailbox
 * rows alone. Pure: the handler loads the rows and writes the lines. Levels of hierarchy that are no
 * mailbox (an "a" above an "a/b" created through the API) are "virtual" names here.
 */
import type { ListArgs } from "./list-args.ts";
import { type ListPattern, listPattern } from "./list-pattern.ts";

export interface MailboxRow {
  id: number;
  name: string;
  specialUse: string | null;
  subscribed: boolean;
}

export interface ListEntry {
  name: string;
  /** The mailbox, or undefined for a level of hierarchy that does not exist. */
  mailbox: MailboxRow | undefined;
  attributes: string[];
  /** RFC 5258 §3.5 CHILDINFO: the selection criteria some descendant meets. */
  childInfo: string[];
}

/** Every proper ancestor of every name: the names that have children. */
function parentsOf(names: Iterable<string>): Set<string> {
  const parents = new Set<string>();
  for (const name of names) {
    for (let i = name.indexOf("/"); i !== -1; i = name.indexOf("/", i + 1)) parents.add(name.slice(0, i));
  }
  return parents;
}

const underInbox = (name: string) => name === "INBOX" || name.startsWith("INBOX/");

/** INBOX and its children first, then code-point order, so a parent precedes its children. */
function byName(a: string, b: string): number {
  const inbox = Number(underInbox(b)) - Number(underInbox(a));
  if (inbox !== 0) return inbox;
  return a === b ? 0 : a < b ? -1 : 1;
}

/**
 * LIST (RFC 3501 §6.3.8, RFC 5258 §3, RFC 3348 children, RFC 6154 special use). Yields per name
 * examined, in order: the entry, or undefined for a name that is not listed, so the caller can
 * pause between names however few match.
 */
export function* listEntries(
  rows: readonly MailboxRow[],
  args: ListArgs,
): Generator<ListEntry | undefined, void, undefined> {
  const existing = new Map(rows.map((row) => [row.name, row]));
  const parents = parentsOf(existing.keys());
  const patterns = args.patterns.map((p) => listPattern(args.reference, p));
  const matches = (name: string) => patterns.some((p) => p.matches(name));
  const { select } = args;
  const filtered = select.subscribed || select.specialUse;
  const meets = (row: MailboxRow) =>
    (!select.subscribed || row.subscribed) && (!select.specialUse || row.specialUse !== null);

  // RFC 5258 §3.1 RECURSIVEMATCH: names above a mailbox that meets the criteria without matching
  // the pattern itself are returned with CHILDINFO, so a client can show the path down to it.
  const withChildInfo = select.recursiveMatch
    ? parentsOf(rows.filter((row) => meets(row) && !matches(row.name)).map((row) => row.name))
    : new Set<string>();
  const childInfo = [select.subscribed && "SUBSCRIBED", select.specialUse && "SPECIAL-USE"].filter(
    (c): c is string => typeof c === "string",
  );

  for (const name of [...new Set([...existing.keys(), ...parents])].sort(byName)) {
    yield listed(name);
  }

  function listed(name: string): ListEntry | undefined {
    if (!matches(name)) return undefined;
    const row = existing.get(name);
    const hasChildInfo = withChildInfo.has(name);
    if (filtered) {
      if (!(row && meets(row)) && !hasChildInfo) return undefined;
    } else if (!row && !percentLevel(patterns, name)) {
      return undefined;
    }
    return {
      name,
      mailbox: row,
      attributes: attributesOf(name, row, parents, args),
      childInfo: hasChildInfo ? childInfo : [],
    };
  }
}

/** RFC 3501 §6.3.8: a "%" at the end of a pattern also returns matching levels of hierarchy. */
function percentLevel(patterns: readonly ListPattern[], name: string): boolean {
  return patterns.some((p) => p.percentLast && p.matches(name));
}

function attributesOf(
  name: string,
  row: MailboxRow | undefined,
  parents: ReadonlySet<string>,
  args: ListArgs,
): string[] {
  const attributes: string[] = [];
  // RFC 5258 §3: \NonExistent (which implies \Noselect) for extended LIST; plain LIST keeps RFC 3501's \Noselect.
  if (!row) attributes.push(args.extended ? "\\NonExistent" : "\\Noselect");
  // RFC 3348 / RFC 5258 §4: always sent, whether or not the CHILDREN return option asked for them.
  attributes.push(parents.has(name) ? "\\HasChildren" : "\\HasNoChildren");
  if (row?.subscribed && args.returns.subscribed) attributes.push("\\Subscribed");
  // RFC 6154 §2: special-use attributes go into every LIST response, not only on request.
  if (row?.specialUse) attributes.push(row.specialUse);
  return attributes;
}

/**
 * LSUB (RFC 3501 §6.3.9): subscribed names, plus unsubscribed "%" levels above them as \Noselect.
 * Yields per name examined, like listEntries().
 */
export function* lsubEntries(
  rows: readonly MailboxRow[],
  { reference, pattern }: { reference: string; pattern: string },
): Generator<ListEntry | undefined, void, undefined> {
  const subscribed = new Map(rows.filter((row) => row.subscribed).map((row) => [row.name, row]));
  const compiled = listPattern(reference, pattern);
  const levels = compiled.percentLast ? parentsOf(subscribed.keys()) : new Set<string>();
  for (const name of [...new Set([...subscribed.keys(), ...levels])].sort(byName)) {
    if (!compiled.matches(name)) {
      yield undefined;
      continue;
    }
    const row = subscribed.get(name);
    yield { name, mailbox: row, attributes: row ? [] : ["\\Noselect"], childInfo: [] };
  }
}
