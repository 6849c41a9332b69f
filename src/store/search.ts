/**
 * What IMAP SEARCH reads: one row per message of a mailbox with the index columns, and the content's
 * Date and decoded search text only when the search needs them (joining `contents` walks past its
 * big JSON columns, and the text columns can be large). Raw SQL: this runs over whole mailboxes.
 */
import { type Reader, rawOf } from "./db.ts";

export interface MessageSearchRow {
  uid: number;
  /** System flag bits (flags.ts). */
  flags: number;
  /** Keywords as stored: a JSON array of strings. */
  keywords: string;
  internalDate: number;
  size: number;
  modseq: number;
  /** RFC 8514 save date (epoch ms); null for messages stored before it was kept. */
  saveDate: number | null;
  /** The Date header as epoch ms; null when missing, unparseable, or not asked for. */
  sentAt: number | null;
  /** Lower-cased decoded "name: value" lines; "" unless asked for. */
  searchHeaders: string;
  /** Lower-cased decoded body text; "" unless asked for. */
  searchText: string;
}

export interface MessageSearchOptions {
  /** Only messages with a UID above this (paging). */
  afterUid?: number;
  /** Only messages with a UID up to this. */
  maxUid?: number;
  /** Most rows returned (paging bounds memory when the text columns are read). */
  limit?: number;
  sentAt?: boolean;
  searchHeaders?: boolean;
  searchText?: boolean;
}

/** One page of a mailbox's messages in UID order, with the columns SEARCH asked for. */
export async function messagesSearchRows(
  r: Reader,
  mailboxId: number,
  options: MessageSearchOptions = {},
): Promise<MessageSearchRow[]> {
  const join = options.sentAt || options.searchHeaders || options.searchText;
  const columns = [
    "m.uid",
    "m.flags",
    "m.keywords",
    "m.internal_date",
    "m.size",
    "m.modseq",
    "m.save_date",
    options.sentAt ? "c.sent_at" : "NULL AS sent_at",
    options.searchHeaders ? "c.search_headers" : "'' AS search_headers",
    options.searchText ? "c.search_text" : "'' AS search_text",
  ];
  const { rows } = await rawOf(r).execute({
    sql: `SELECT ${columns.join(", ")} FROM messages m ${join ? "JOIN contents c ON c.id = m.content_id" : ""}
          WHERE m.mailbox_id = ? AND m.uid > ? AND m.uid <= ? ORDER BY m.uid LIMIT ?`,
    args: [mailboxId, options.afterUid ?? 0, options.maxUid ?? Number.MAX_SAFE_INTEGER, options.limit ?? -1],
  });
  return rows.map((row) => ({
    uid: Number(row.uid),
    flags: Number(row.flags),
    keywords: String(row.keywords),
    internalDate: Number(row.internal_date),
    size: Number(row.size),
    modseq: Number(row.modseq),
    saveDate: row.save_date == null ? null : Number(row.save_date),
    sentAt: row.sent_at == null ? null : Number(row.sent_at),
    searchHeaders: String(row.search_headers ?? ""),
    searchText: String(row.search_text ?? ""),
  }));
}
