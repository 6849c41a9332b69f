/**
 * What an IMAP SELECT needs, from indexes only: the mailbox row (with its keyword set and \Recent
 * watermark), the first unseen UID, and its UIDs
 * (from the UidCache, or as one group_concat string: 100k UIDs cost one row, not 100k row objects).
 * No message body or per-message row object is read.
 */

import { type Reader, rawOf } from "./db.ts";
import { parseKeywords } from "./flags.ts";
import { mailboxNameLookup } from "./mailboxes.ts";
import type { Mailbox } from "./rows.ts";
import { parseUidList, type UidCache } from "./uid-cache.ts";

/** The mailbox row (SELECT does not say whether it is subscribed) with what SELECT answers from. */
export interface MailboxSnapshot extends Omit<Mailbox, "subscribed"> {
  /** The highest UID already taken as \Recent by some session (mailboxes.recent_uid, store/recent.ts). */
  recentUid: number;
  /** Every keyword the mailbox knows (mailbox-keywords.ts), for FLAGS and PERMANENTFLAGS. */
  keywords: string[];
  uids: number[];
  firstUnseenUid: number | null;
}

export async function mailboxSnapshot(
  r: Reader,
  accountId: number,
  name: string,
  cache?: UidCache,
): Promise<MailboxSnapshot | undefined> {
  const normalized = mailboxNameLookup(name);
  if (normalized === undefined) return undefined;
  const raw = rawOf(r);
  const { rows } = await raw.execute({
    sql: `SELECT m.id, m.name, m.special_use, m.uid_validity, m.uid_next, m.highest_modseq, m.recent_uid, m.keywords,
            (SELECT min(uid) FROM messages WHERE mailbox_id = m.id AND (flags & 1) = 0) AS first_unseen
          FROM mailboxes m WHERE m.account_id = ? AND m.name = ?`,
    args: [accountId, normalized],
  });
  const row = rows[0];
  if (!row) return undefined;
  const id = Number(row.id);
  const highestModseq = Number(row.highest_modseq);
  let uids = cache?.get(id, highestModseq);
  if (!uids) {
    const version = cache?.version(id) ?? 0;
    const list = await raw.execute({
      sql: "SELECT group_concat(uid) AS uids FROM (SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid)",
      args: [id],
    });
    const text = list.rows[0]?.uids;
    uids = text == null ? [] : parseUidList(String(text));
    cache?.set(id, uids, version, highestModseq);
  }
  return {
    id,
    accountId,
    name: String(row.name),
    specialUse: row.special_use == null ? null : String(row.special_use),
    uidValidity: Number(row.uid_validity),
    uidNext: Number(row.uid_next),
    highestModseq: Number(row.highest_modseq),
    recentUid: Number(row.recent_uid),
    keywords: parseKeywords(String(row.keywords)),
    uids,
    firstUnseenUid: row.first_unseen == null ? null : Number(row.first_unseen),
  };
}

/**
 * Changes since a MODSEQ, for QRESYNC (RFC 7162 §3.2.5): flag changes and removals. `historyLost`:
 * removals that old have been forgotten (store/maintenance.ts), so `vanished` is incomplete and the
 * caller reports every UID missing from the mailbox instead (RFC 7162 §3.2.5.2).
 */
export async function mailboxChangesSince(
  r: Reader,
  mailboxId: number,
  modseq: number,
): Promise<{
  changed: Array<{ uid: number; flags: number; keywords: string; modseq: number }>;
  vanished: number[];
  historyLost: boolean;
}> {
  const raw = rawOf(r);
  const historyLost = (await expungedHistoryLost(r, mailboxId, modseq)) !== undefined;
  const changed = await raw.execute({
    sql: "SELECT uid, flags, keywords, modseq FROM messages WHERE mailbox_id = ? AND modseq > ? ORDER BY uid",
    args: [mailboxId, modseq],
  });
  const vanished = await raw.execute({
    sql: "SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY uid",
    args: [mailboxId, modseq],
  });
  return {
    changed: changed.rows.map((row) => ({
      uid: Number(row.uid),
      flags: Number(row.flags),
      keywords: String(row.keywords),
      modseq: Number(row.modseq),
    })),
    vanished: historyLost ? [] : vanished.rows.map((row) => Number(row.uid)),
    historyLost,
  };
}

/**
 * Whether removals after `modseq` may have been forgotten (the mailbox's pruned floor is above it):
 * then the mailbox's UIDNEXT, which bounds the UIDs that can have vanished; else undefined.
 */
export async function expungedHistoryLost(
  r: Reader,
  mailboxId: number,
  modseq: number,
): Promise<{ uidNext: number } | undefined> {
  const { rows } = await rawOf(r).execute({
    sql: "SELECT expunged_floor, uid_next FROM mailboxes WHERE id = ?",
    args: [mailboxId],
  });
  const row = rows[0];
  return row && Number(row.expunged_floor) > modseq ? { uidNext: Number(row.uid_next) } : undefined;
}
