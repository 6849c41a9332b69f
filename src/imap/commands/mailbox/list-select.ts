/**
 * Which names a LIST or LSUB returns, and with which attributes, computed from the account's mailbox
 * rows and its subscription list. Pure: the handler loads both and writes the lines. Levels of
 * hierarchy that are no mailbox (an "a" above an "a/b" created through the API) and subscribed names
 * whose mailbox is gone (RFC 3501 §6.3.6 keeps them) are names without a row here.
 */
import type { ListArgs } from "./list-args.ts";
import { type ListPattern, listPattern } from "./list-pattern.ts";

export interface MailboxRow {
  id: number;
  name: string;
  specialUse: string | null;
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
 * pause between names however few match. `subscribed` is the account's subscription list.
 */
export function* listEntries(
  rows: readonly MailboxRow[],
  subscribed: ReadonlySet<string>,
  args: ListArgs,
): Generator<ListEntry | undefined, void, undefined> {
  const existing = new Map(rows.map((row) => [row.name, row]));
  // RFC 5258 §4: \HasChildren speaks of the mailbox hierarchy, whatever the subscriptions.
  const parents = parentsOf(existing.keys());
  const patterns = args.patterns.map((p) => listPattern(args.reference, p));
  const matches = (name: string) => patterns.some((p) => p.matches(name));
  const { select } = args;
  const filtered = select.subscribed || select.specialUse;
  // RFC 5258 §3.1: the selection options pick names; SUBSCRIBED picks subscribed names, existing or not.
  const meets = (name: string) => {
    if (select.subscribed && !subscribed.has(name)) return false;
    return !select.specialUse || (existing.get(name)?.specialUse ?? null) !== null;
  };
  const selected = filtered
    ? [...new Set([...(select.subscribed ? subscribed : existing.keys())])].filter(meets)
    : [];

  // RFC 5258 §3.5 CHILDINFO (only with RECURSIVEMATCH): a name with a descendant that meets the
  // selection criteria. A returned name that meets them itself says so whatever its descendants
  // match (examples 8 and 9: "Foo" and "eps2"); one that does not is returned only for the sake of
  // descendants the patterns would not show (§3.1 RECURSIVEMATCH, example 9: "foo2" but not "baz2").
  const aboveSelected = select.recursiveMatch ? parentsOf(selected) : new Set<string>();
  const aboveUnshown = select.recursiveMatch
    ? parentsOf(selected.filter((name) => !matches(name)))
    : new Set<string>();
  const childInfo = [select.subscribed && "SUBSCRIBED", select.specialUse && "SPECIAL-USE"].filter(
    (c): c is string => typeof c === "string",
  );

  const candidates = new Set([...existing.keys(), ...parents, ...selected, ...aboveUnshown]);
  for (const name of [...candidates].sort(byName)) {
    yield listed(name);
  }

  function listed(name: string): ListEntry | undefined {
    if (!matches(name)) return undefined;
    const row = existing.get(name);
    let info = false;
    if (filtered) {
      if (meets(name)) info = aboveSelected.has(name);
      else if (aboveUnshown.has(name)) info = true;
      else return undefined;
    } else if (!row && !percentLevel(patterns, name)) {
      return undefined;
    }
    return {
      name,
      mailbox: row,
      attributes: attributesOf(name, row, { parents, subscribed, args }),
      childInfo: info ? childInfo : [],
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
  {
    parents,
    subscribed,
    args,
  }: { parents: ReadonlySet<string>; subscribed: ReadonlySet<string>; args: ListArgs },
): string[] {
  const attributes: string[] = [];
  // RFC 5258 §3: \NonExistent (which implies \Noselect) for extended LIST; plain LIST keeps RFC 3501's \Noselect.
  if (!row) attributes.push(args.extended ? "\\NonExistent" : "\\Noselect");
  // RFC 3348 / RFC 5258 §4: always sent, whether or not the CHILDREN return option asked for them.
  attributes.push(parents.has(name) ? "\\HasChildren" : "\\HasNoChildren");
  if (args.returns.subscribed && subscribed.has(name)) attributes.push("\\Subscribed");
  // RFC 6154 §2: special-use attributes go into every LIST response, not only on request.
  if (row?.specialUse) attributes.push(row.specialUse);
  return attributes;
}

/**
 * LSUB (RFC 3501 §6.3.9): subscribed names, existing or not, plus, for a pattern ending in "%",
 * the unsubscribed levels above them as \Noselect; no other unsubscribed name. Yields per name
 * examined, like listEntries().
 */
export function* lsubEntries(
  rows: readonly MailboxRow[],
  subscribed: ReadonlySet<string>,
  { reference, pattern }: { reference: string; pattern: string },
): Generator<ListEntry | undefined, void, undefined> {
  const existing = new Map(rows.map((row) => [row.name, row]));
  const compiled = listPattern(reference, pattern);
  const levels = compiled.percentLast ? parentsOf(subscribed) : new Set<string>();
  for (const name of [...new Set([...subscribed, ...levels])].sort(byName)) {
    if (!compiled.matches(name)) {
      yield undefined;
      continue;
    }
    // "\Noselect" here means "not subscribed, but something below is" (§6.3.9), so a subscribed
    // name whose mailbox is gone carries no attribute.
    const attributes = subscribed.has(name) ? [] : ["\\Noselect"];
    yield { name, mailbox: existing.get(name), attributes, childInfo: [] };
  }
}
