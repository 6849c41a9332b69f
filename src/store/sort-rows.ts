/**
 * What SORT and THREAD read (RFC 5256): the messages of a mailbox in the order of the sort keys
 * stored at delivery (the string keys in the narrow table sort_keys, joined by content id), sorted by SQLite (nothing but UIDs leaves the database), and the per-message
 * rows the THREAD algorithms link. Raw SQL: these run over whole mailboxes.
 */
import { type Reader, rawOf } from "./db.ts";

/** RFC 5256 §3 sort-key, with RFC 5957's DISPLAYFROM and DISPLAYTO. */
export type SortKey =
  | "ARRIVAL"
  | "CC"
  | "DATE"
  | "FROM"
  | "SIZE"
  | "SUBJECT"
  | "TO"
  | "DISPLAYFROM"
  | "DISPLAYTO";

export interface SortCriterion {
  key: SortKey;
  /** RFC 5256 §3 REVERSE: this key in descending order. */
  reverse: boolean;
}

/**
 * The SQL value each key orders by. The strings were casefolded at delivery (src/mime sort-keys.ts),
 * so SQLite's bytewise order is code point order of the casefolded text (i;unicode-casemap).
 */
const ORDER_BY: Record<SortKey, { sql: string; content: boolean }> = {
  ARRIVAL: { sql: "m.internal_date", content: false },
  // RFC 5256 §2.2: the sent date, in UTC; the internal date when the Date header is missing or bad
  // (copied onto the message at ingest: no join).
  DATE: { sql: "m.sort_date", content: false },
  SIZE: { sql: "m.size", content: false },
  SUBJECT: { sql: "k.base_subject", content: true },
  FROM: { sql: "k.sort_from", content: true },
  TO: { sql: "k.sort_to", content: true },
  CC: { sql: "k.sort_cc", content: true },
  DISPLAYFROM: { sql: "k.display_from", content: true },
  DISPLAYTO: { sql: "k.display_to", content: true },
};

/**
 * The UIDs of a mailbox's messages (up to `maxUid`) in sort order; equal keys keep mailbox order
 * (RFC 5256 §3: "the order in which they appear in the mailbox"), whatever REVERSE says.
 */
export async function messagesSorted(
  r: Reader,
  mailboxId: number,
  criteria: readonly SortCriterion[],
  maxUid = Number.MAX_SAFE_INTEGER,
): Promise<number[]> {
  const join = criteria.some((c) => ORDER_BY[c.key].content);
  const order = criteria.map((c) => `${ORDER_BY[c.key].sql}${c.reverse ? " DESC" : ""}`);
  // One row with the UIDs joined: 100k result rows cost more to hand over than to sort. The order
  // is the aggregate's own (group_concat(... ORDER BY), SQLite 3.44): an aggregate over an ordered
  // subquery happens to read it in order, but no documented rule says it must.
  const { rows } = await rawOf(r).execute({
    sql: `SELECT group_concat(m.uid, ' ' ORDER BY ${[...order, "m.uid"].join(", ")}) AS uids FROM messages m ${join ? "JOIN sort_keys k ON k.content_id = m.content_id" : ""}
          WHERE m.mailbox_id = ? AND m.uid <= ?`,
    args: [mailboxId, maxUid],
  });
  const joined = rows[0]?.uids;
  return joined === null || joined === undefined ? [] : String(joined).split(" ").map(Number);
}

/** One message as the THREAD algorithms see it (RFC 5256 §3). */
export interface ThreadRow {
  uid: number;
  /** RFC 5256 §2.2 sent date (epoch ms), the internal date standing in. */
  date: number;
  /** Casefolded base subject (§2.1). */
  baseSubject: string;
  isReply: boolean;
  /** "" when the message has no valid Message-ID. */
  messageId: string;
  /** Oldest first. */
  references: string[];
}

/** The THREAD rows of a mailbox's messages up to `maxUid`, in UID order. */
export async function messagesThreadRows(
  r: Reader,
  mailboxId: number,
  maxUid = Number.MAX_SAFE_INTEGER,
): Promise<ThreadRow[]> {
  const { rows } = await rawOf(r).execute({
    sql: `SELECT m.uid, m.sort_date AS date, k.base_subject, c.is_reply, c.message_id, c.refs
          FROM messages m JOIN contents c ON c.id = m.content_id JOIN sort_keys k ON k.content_id = m.content_id WHERE m.mailbox_id = ? AND m.uid <= ? ORDER BY m.uid`,
    args: [mailboxId, maxUid],
  });
  return rows.map((row) => ({
    uid: Number(row.uid),
    date: Number(row.date),
    baseSubject: String(row.base_subject),
    isReply: Number(row.is_reply) === 1,
    messageId: String(row.message_id),
    references: row.refs === "" ? [] : String(row.refs).split(" "),
  }));
}
