/**
 * Mailbox counts for IMAP STATUS and LIST-STATUS in one raw statement per batch. Message and unseen
 * counts are answered by the covering indexes (messages_mailbox_uid, messages_mailbox_flags); only the
 * size total, when asked for, reads message rows (never contents or blobs). Every lookup is scoped to
 * one account, so a name can never reach another account's mailbox.
 */
import { inChunks, placeholders } from "./chunks.ts";
import { type Reader, rawOf, rowDecoder } from "./db.ts";
import { DELETED, SEEN } from "./flags.ts";
import { mailboxNameLookup } from "./mailboxes.ts";

export interface MailboxCounts {
  id: number;
  name: string;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  /** 0 unless asked for. */
  messages: number;
  /** 0 unless asked for. */
  unseen: number;
  /** Total octets (RFC 8438); 0 unless asked for. */
  size: number;
  /** Messages with \Deleted (RFC 9051 §6.3.11, RFC 9208 §4.1.4 DELETED); 0 unless asked for. */
  deleted: number;
  /** Octets an EXPUNGE would free: the sizes of the \Deleted messages (RFC 9208 §4.1.4); 0 unless asked for. */
  deletedSize: number;
  /** Messages above the \Recent watermark (RFC 3501 §6.3.10 RECENT, store/recent.ts); 0 unless asked for. */
  recent: number;
}

/** Which counts to compute; each costs a pass over the mailbox's index entries. */
export interface CountsWanted {
  messages?: boolean;
  unseen?: boolean;
  size?: boolean;
  deleted?: boolean;
  deletedSize?: boolean;
  /**
   * Messages no session has taken as \Recent yet. `recentAbove` gives, by mailbox id, watermarks
   * held in memory ahead of the database (RecentClaims.unwrittenAll()).
   */
  recent?: boolean;
  recentAbove?: ReadonlyMap<number, number>;
}

/** Ids per statement: each costs three correlated subqueries, so fewer than a plain IN list takes. */
const CHUNK = 200;

function selectSql(wanted: CountsWanted, where: string): string {
  const messages = wanted.messages ? "(SELECT count(*) FROM messages WHERE mailbox_id = m.id)" : "0";
  const unseen = wanted.unseen
    ? `(SELECT count(*) FROM messages WHERE mailbox_id = m.id AND (flags & ${SEEN}) = 0)`
    : "0";
  const size = wanted.size ? "(SELECT coalesce(sum(size), 0) FROM messages WHERE mailbox_id = m.id)" : "0";
  const deleted = wanted.deleted
    ? `(SELECT count(*) FROM messages WHERE mailbox_id = m.id AND (flags & ${DELETED}) != 0)`
    : "0";
  const deletedSize = wanted.deletedSize
    ? `(SELECT coalesce(sum(size), 0) FROM messages WHERE mailbox_id = m.id AND (flags & ${DELETED}) != 0)`
    : "0";
  const recent = wanted.recent
    ? `(SELECT count(*) FROM messages WHERE mailbox_id = m.id AND uid > ${recentWatermark(wanted.recentAbove)})`
    : "0";
  return `SELECT m.id, m.name, m.uid_validity, m.uid_next, m.highest_modseq,
            ${messages} AS messages, ${unseen} AS unseen, ${size} AS size,
            ${deleted} AS deleted, ${deletedSize} AS deleted_size, ${recent} AS recent
          FROM mailboxes m WHERE ${where}`;
}

/** m.recent_uid, or the watermark in memory where that is ahead (integers only: they are inlined). */
function recentWatermark(above: ReadonlyMap<number, number> | undefined): string {
  const known = [...(above ?? [])].filter(
    ([id, uid]) => Number.isSafeInteger(id) && Number.isSafeInteger(uid),
  );
  if (known.length === 0) return "m.recent_uid";
  return `max(m.recent_uid, CASE m.id ${known.map(([id, uid]) => `WHEN ${id} THEN ${uid}`).join(" ")} ELSE 0 END)`;
}

const fromRow = rowDecoder<MailboxCounts>({
  id: Number,
  name: String,
  uidValidity: Number,
  uidNext: Number,
  highestModseq: Number,
  messages: Number,
  unseen: Number,
  size: Number,
  deleted: Number,
  deletedSize: Number,
  recent: Number,
});

/** Counts of one mailbox of the account, or undefined when the account has no such (or no valid) name. */
export async function mailboxCountsByName(
  r: Reader,
  accountId: number,
  name: string,
  wanted: CountsWanted,
): Promise<MailboxCounts | undefined> {
  const normalized = mailboxNameLookup(name);
  if (normalized === undefined) return undefined;
  const { rows } = await rawOf(r).execute({
    sql: selectSql(wanted, "m.account_id = ? AND m.name = ?"),
    args: [accountId, normalized],
  });
  const row = rows[0];
  return row ? fromRow(row as unknown as Record<string, unknown>) : undefined;
}

/** Counts of several mailboxes of the account by id; ids of other accounts are silently left out. */
export async function mailboxCountsByIds(
  r: Reader,
  accountId: number,
  ids: readonly number[],
  wanted: CountsWanted,
): Promise<Map<number, MailboxCounts>> {
  const out = new Map<number, MailboxCounts>();
  const raw = rawOf(r);
  await inChunks(ids, CHUNK, async (chunk) => {
    const { rows } = await raw.execute({
      sql: selectSql(wanted, `m.account_id = ? AND m.id IN (${placeholders(chunk.length)})`),
      args: [accountId, ...chunk],
    });
    for (const row of rows) {
      const counts = fromRow(row as unknown as Record<string, unknown>);
      out.set(counts.id, counts);
    }
  });
  return out;
}
