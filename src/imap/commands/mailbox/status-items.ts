/**
 * STATUS data items (RFC 3501 §6.3.10, RFC 7162 §3.1.10 HIGHESTMODSEQ, RFC 8438 SIZE, RFC 9051
 * §6.3.11 DELETED, RFC 9208 §4.1.4 DELETED-STORAGE, RFC 7889 §3.2 APPENDLIMIT): parsing the
 * requested list and writing the untagged STATUS response, shared by STATUS and LIST-STATUS (RFC 5819).
 */
import type { CountsWanted, MailboxCounts } from "../../../store/mod.ts";
import { ImapBad } from "../../errors.ts";
import { mailboxId } from "../../object-id.ts";
import { mailboxName, type Piece } from "../../protocol/encode.ts";
import type { Parser } from "../../protocol/parser.ts";

/** Every STATUS item we answer, with how its value is written: adding an item is one row. */
const STATUS_VALUES = {
  MESSAGES: (counts) => counts.messages,
  // RFC 3501 §6.3.10: the messages a SELECT now would find \Recent (none taken by a session yet).
  RECENT: (counts) => counts.recent,
  UIDNEXT: (counts) => counts.uidNext,
  UIDVALIDITY: (counts) => counts.uidValidity,
  UNSEEN: (counts) => counts.unseen,
  HIGHESTMODSEQ: (counts) => counts.highestModseq,
  SIZE: (counts) => counts.size,
  DELETED: (counts) => counts.deleted,
  // RFC 9208 §5.1: STORAGE counts units of 1024 octets, and so does what an EXPUNGE would free.
  "DELETED-STORAGE": (counts) => Math.ceil(counts.deletedSize / 1024),
  // RFC 7889 §3.2: every mailbox takes what the server takes.
  APPENDLIMIT: (_counts, context) => context.appendLimit,
  // RFC 8474 §4.3: MAILBOXID (objectid), a list not a number.
  MAILBOXID: (counts) => `(${mailboxId(counts.id)})`,
} satisfies Record<string, (counts: MailboxCounts, context: StatusContext) => number | string>;

export type StatusItem = keyof typeof STATUS_VALUES;
export const STATUS_ITEMS = Object.keys(STATUS_VALUES) as readonly StatusItem[];

function isStatusItem(name: string): name is StatusItem {
  return (STATUS_ITEMS as readonly string[]).includes(name);
}

/**
 * "(" status-att *(SP status-att) ")": at least one item; an unknown one is BAD (RFC 3501 §9).
 * `rev2`: the session ENABLEd IMAP4rev2, whose status-att has no RECENT (RFC 9051 §9, Appendix E
 * item 6: \Recent and the RECENT response are gone), so asking for it is BAD there.
 */
export function statusItems(parser: Parser, options: { rev2?: boolean } = {}): StatusItem[] {
  const items = parser.list(() => {
    const name = parser.atom().toUpperCase();
    if (!isStatusItem(name)) throw new ImapBad(undefined, `Unknown STATUS item ${name.slice(0, 40)}`);
    if (name === "RECENT" && options.rev2) throw new ImapBad(undefined, "RECENT is no IMAP4rev2 STATUS item");
    return name;
  });
  if (items.length === 0) throw new ImapBad(undefined, "STATUS needs at least one item");
  return [...new Set(items)];
}

/**
 * The counts the items need, so nothing else is computed (SIZE is the only one reading message
 * rows). `recentAbove`: the \Recent watermarks held in memory ahead of the database.
 */
export function countsWanted(
  items: readonly StatusItem[],
  recentAbove?: ReadonlyMap<number, number>,
): CountsWanted {
  return {
    messages: items.includes("MESSAGES"),
    unseen: items.includes("UNSEEN"),
    size: items.includes("SIZE"),
    deleted: items.includes("DELETED"),
    deletedSize: items.includes("DELETED-STORAGE"),
    recent: items.includes("RECENT"),
    ...(recentAbove ? { recentAbove } : {}),
  };
}

/** What the response needs of the session and server besides the counts. */
export interface StatusContext {
  /** Mailbox names in UTF-8 (handler.ts CommandSession.utf8). */
  utf8: boolean;
  /** RFC 7889: the largest message APPEND takes. */
  appendLimit: number;
}

/** `STATUS name (item value ...)` in the order the client asked for. */
export function statusResponse(
  counts: MailboxCounts,
  items: readonly StatusItem[],
  context: StatusContext,
): Piece[] {
  const values = items.map((item) => `${item} ${STATUS_VALUES[item](counts, context)}`);
  return ["STATUS ", mailboxName(counts.name, context.utf8), ` (${values.join(" ")})`];
}
