/**
 * STATUS data items (RFC 3501 §6.3.10, RFC 7162 §3.1.10 HIGHESTMODSEQ, RFC 8438 SIZE, RFC 9051
 * §6.3.11 DELETED, RFC 9208 §4.1.4 DELETED-STORAGE, RFC 7889 §3.2 APPENDLIMIT): parsing the
 * requested list and writing the untagged STATUS response, shared by STATUS and LIST-STATUS (RFC 5819).
 */
import type { CountsWanted, MailboxCounts } from "../../../store/mod.ts";
import { ImapBad } from "../../errors.ts";
import { mailboxName, type Piece } from "../../protocol/encode.ts";
import type { Parser } from "../../protocol/parser.ts";

/** Every STATUS item we answer, with where its value comes from: adding an item is one row. */
const STATUS_VALUES = {
  MESSAGES: (counts) => counts.messages,
  // We never set \Recent (IMAP4rev2 dropped it), so no message is ever recent.
  RECENT: () => 0,
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
} satisfies Record<string, (counts: MailboxCounts, context: StatusContext) => number>;

export type StatusItem = keyof typeof STATUS_VALUES;
export const STATUS_ITEMS = Object.keys(STATUS_VALUES) as readonly StatusItem[];

function isStatusItem(name: string): name is StatusItem {
  return Object.hasOwn(STATUS_VALUES, name);
}

/** "(" status-att *(SP status-att) ")": at least one item; an unknown one is BAD (RFC 3501 §9). */
export function statusItems(parser: Parser): StatusItem[] {
  const items = parser.list(() => {
    const name = parser.atom().toUpperCase();
    if (!isStatusItem(name)) throw new ImapBad(undefined, `Unknown STATUS item ${name.slice(0, 40)}`);
    return name;
  });
  if (items.length === 0) throw new ImapBad(undefined, "STATUS needs at least one item");
  return [...new Set(items)];
}

/** The counts the items need, so nothing else is computed (SIZE is the only one reading message rows). */
export function countsWanted(items: readonly StatusItem[]): CountsWanted {
  return {
    messages: items.includes("MESSAGES"),
    unseen: items.includes("UNSEEN"),
    size: items.includes("SIZE"),
    deleted: items.includes("DELETED"),
    deletedSize: items.includes("DELETED-STORAGE"),
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
