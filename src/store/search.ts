/**
 * What IMAP SEARCH reads: one row per message of a mailbox with the index columns, and the content's
 * Date and decoded search text only when the search needs them (joining `contents` walks past its
 * JSON columns, and the text columns can be large). The header search text is not stored (issue 12):
 * it is derived here from the header's bytes. Raw SQL: this runs over whole mailboxes.
 */
import { parseSentDate, searchHeadersOfHeader } from "../mime/mod.ts";
import { envelopeDateDecode } from "./content-codec.ts";
import { searchTextSql } from "./contents.ts";
import { blobBytes, type Reader, rawOf } from "./db.ts";

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
  /**
   * RFC 8474 EMAILID's content and THREADID's thread (the content id for messages stored before
   * threads); 0 unless asked for.
   */
  contentId: number;
  threadId: number;
  /**
   * The Date header's own calendar day (days since 1970-01-01, RFC 3501 §6.4.4); null when missing,
   * unparseable, or not asked for.
   */
  sentDay: number | null;
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
  /** The sent day (SENTBEFORE, SENTON, SENTSINCE). */
  sentDay?: boolean;
  searchHeaders?: boolean;
  searchText?: boolean;
  /** RFC 8474 EMAILID / THREADID keys: the content and thread ids (0 unless asked for). */
  objectIds?: boolean;
  /** Only these UIDs (at most IN_LIST_MAX; search-index.ts pages through longer lists). */
  uids?: readonly number[];
}

/** One page of a mailbox's messages in UID order, with the columns SEARCH asked for. */
export async function messagesSearchRows(
  r: Reader,
  mailboxId: number,
  options: MessageSearchOptions = {},
): Promise<MessageSearchRow[]> {
  const join = options.sentDay || options.searchHeaders || options.searchText;
  const columns = [
    "m.uid",
    "m.flags",
    "m.keywords",
    "m.internal_date",
    "m.size",
    "m.modseq",
    "m.save_date",
    options.objectIds ? "m.content_id" : "0 AS content_id",
    options.objectIds ? "coalesce(m.thread_id, m.content_id) AS thread_id" : "0 AS thread_id",
    options.sentDay ? "c.sent_day" : "NULL AS sent_day",
    // Contents stored before sent_day existed: their Date header, from the stored envelope, parsed here.
    options.sentDay
      ? "CASE WHEN c.sent_day IS NULL AND c.sent_at IS NOT NULL THEN c.envelope END AS sent_envelope, c.sent_at"
      : "NULL AS sent_envelope, NULL AS sent_at",
    // Derived from the stored header bytes (searchHeadersOfHeader): only the header leaves the database.
    options.searchHeaders
      ? "(SELECT substr(b.data, 1, c.header_end) FROM blobs b WHERE b.content_id = m.content_id) AS head"
      : "NULL AS head",
    options.searchText ? `${searchTextSql("c")} AS search_text` : "'' AS search_text",
  ];
  const only = options.uids ? ` AND m.uid IN (${options.uids.map(() => "?").join(", ")})` : "";
  const { rows } = await rawOf(r).execute({
    sql: `SELECT ${columns.join(", ")} FROM messages m ${join ? "JOIN contents c ON c.id = m.content_id" : ""}
          WHERE m.mailbox_id = ? AND m.uid > ? AND m.uid <= ?${only} ORDER BY m.uid LIMIT ?`,
    args: [
      mailboxId,
      options.afterUid ?? 0,
      options.maxUid ?? Number.MAX_SAFE_INTEGER,
      ...(options.uids ?? []),
      options.limit ?? -1,
    ],
  });
  return rows.map((row) => ({
    uid: Number(row.uid),
    flags: Number(row.flags),
    keywords: String(row.keywords),
    internalDate: Number(row.internal_date),
    size: Number(row.size),
    modseq: Number(row.modseq),
    saveDate: row.save_date == null ? null : Number(row.save_date),
    contentId: Number(row.content_id),
    threadId: Number(row.thread_id),
    sentDay:
      row.sent_day != null
        ? Number(row.sent_day)
        : row.sent_envelope != null
          ? (parseSentDate(envelopeDateDecode(String(row.sent_envelope), Number(row.sent_at)))?.day ?? null)
          : null,
    searchHeaders: row.head == null ? "" : searchHeadersOfHeader(blobBytes(row.head)),
    searchText: String(row.search_text ?? ""),
  }));
}
