/**
 * The arguments of NOTIFY (RFC 5465 §8 grammar): `NOTIFY NONE`, or `NOTIFY SET [STATUS]` and event
 * groups, each a mailbox filter and its events. Event names are case-insensitive; names we do not
 * know are collected (the command answers NO [BADEVENT], §3.1) rather than refused as syntax.
 * MessageNew's fetch attributes are kept as text, checked by the caller with the FETCH parser.
 */
import { ImapParseError, type Parser } from "./parser.ts";

/** The events this server reports (RFC 5465 §5); AnnotationChange (RFC 5257) is not among them. */
export const NOTIFY_EVENTS = [
  "MessageNew",
  "MessageExpunge",
  "FlagChange",
  "MailboxName",
  "SubscriptionChange",
  "MailboxMetadataChange",
  "ServerMetadataChange",
] as const;

export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

const MESSAGE_EVENTS = new Set<NotifyEvent>(["MessageNew", "MessageExpunge", "FlagChange"]);

/** RFC 5465 §6: which mailboxes a group's events are about. */
export type MailboxFilter =
  | { kind: "inboxes" | "personal" | "subscribed" }
  | { kind: "subtree" | "mailboxes"; names: string[] };

export interface NotifyGroup {
  filter: MailboxFilter;
  events: Set<NotifyEvent>;
}

export interface SelectedGroup {
  /** selected-delayed (§6): EXPUNGE waits for a command that may have it. */
  delayed: boolean;
  events: Set<NotifyEvent>;
  /** MessageNew's fetch-att list, as the client wrote it ("(UID FLAGS)"), or undefined. */
  fetch: string | undefined;
}

export interface NotifySpec {
  /** NOTIFY SET STATUS (§3): a STATUS for every mailbox of the filters first. */
  status: boolean;
  selected: SelectedGroup | undefined;
  groups: NotifyGroup[];
  /** Event names we do not support, as given: the answer is NO [BADEVENT]. */
  unsupported: string[];
}

/** `(...)` as written, balanced parentheses and brackets: the fetch-att list of MessageNew. */
function balancedList(parser: Parser): string {
  const text = parser.rest();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth--;
    else if (ch === '"' || ch === "{")
      throw new ImapParseError("MessageNew fetch attributes take no strings");
    if (depth === 0) {
      const list = text.slice(0, i + 1);
      parser.expect(list);
      return list;
    }
  }
  throw new ImapParseError("unbalanced MessageNew fetch attributes");
}

/** events = ( "(" event *(SP event) ")" ) / "NONE" */
function events(
  parser: Parser,
  unsupported: string[],
  selected: boolean,
): { events: Set<NotifyEvent>; fetch: string | undefined } {
  const out = new Set<NotifyEvent>();
  let fetch: string | undefined;
  let annotation = false;
  if (parser.take("NONE")) return { events: out, fetch };
  parser.expect("(");
  do {
    const word = parser.atom();
    const event = NOTIFY_EVENTS.find((e) => e.toLowerCase() === word.toLowerCase());
    if (!event) unsupported.push(word);
    else out.add(event);
    if (word.toLowerCase() === "annotationchange") annotation = true;
    if (event === "MessageNew" && parser.peek(" (")) {
      if (!selected) throw new ImapParseError("fetch attributes are for the selected mailbox only");
      parser.sp();
      fetch = balancedList(parser);
    }
  } while (parser.take(" "));
  parser.expect(")");
  // §5: MessageNew and MessageExpunge go together, and FlagChange "and/or AnnotationChange" need
  // both, "Otherwise, the server MUST respond with the tagged BAD response": an event we do not
  // report (AnnotationChange, RFC 5257) is held to the rule before it is refused as unsupported.
  if (out.has("MessageNew") !== out.has("MessageExpunge"))
    throw new ImapParseError("MessageNew and MessageExpunge must be given together");
  if ((out.has("FlagChange") || annotation) && !out.has("MessageNew"))
    throw new ImapParseError("FlagChange and AnnotationChange need MessageNew and MessageExpunge");
  if (selected)
    for (const e of out)
      if (!MESSAGE_EVENTS.has(e)) throw new ImapParseError(`${e} is not an event of the selected mailbox`);
  return { events: out, fetch };
}

/** one-or-more-mailbox = mailbox / "(" mailbox *(SP mailbox) ")" */
function mailboxes(parser: Parser): string[] {
  if (!parser.take("(")) return [parser.mailbox()];
  const out = [parser.mailbox()];
  while (parser.take(" ")) out.push(parser.mailbox());
  parser.expect(")");
  return out;
}

/** notify = "NOTIFY" SP (notify-set / notify-none); undefined for NONE. */
export function notifyArgs(parser: Parser): NotifySpec | undefined {
  parser.sp();
  const verb = parser.atom().toUpperCase();
  if (verb === "NONE") {
    parser.end();
    return undefined;
  }
  if (verb !== "SET") throw new ImapParseError("NOTIFY SET or NOTIFY NONE");
  parser.sp();
  const spec: NotifySpec = { status: false, selected: undefined, groups: [], unsupported: [] };
  if (parser.take("STATUS")) {
    spec.status = true;
    parser.sp();
  }
  do {
    parser.expect("(");
    const filter = parser.atom().toLowerCase();
    parser.sp();
    if (filter === "selected" || filter === "selected-delayed") {
      if (spec.selected) throw new ImapParseError("the selected mailbox is named once");
      const got = events(parser, spec.unsupported, true);
      spec.selected = { delayed: filter === "selected-delayed", ...got };
    } else if (filter === "inboxes" || filter === "personal" || filter === "subscribed") {
      spec.groups.push({ filter: { kind: filter }, events: events(parser, spec.unsupported, false).events });
    } else if (filter === "subtree" || filter === "mailboxes") {
      const names = mailboxes(parser);
      parser.sp();
      spec.groups.push({
        filter: { kind: filter, names },
        events: events(parser, spec.unsupported, false).events,
      });
    } else throw new ImapParseError(`unknown mailbox filter ${filter}`);
    parser.expect(")");
  } while (parser.take(" "));
  parser.end();
  return spec;
}
