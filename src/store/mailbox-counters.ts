/**
 * A mailbox's counters: UIDNEXT (RFC 3501 §2.3.1.1) and HIGHESTMODSEQ (RFC 7162 §3.1.2), kept in the
 * mailbox row and advanced in the same statement that reads them. No `max(uid)` scan per message:
 * FACTS.md measured one dropping writes to ~400 transactions/s. Raw statements, as delivery runs
 * them for every message it stores.
 */
import type { Write } from "./db.ts";
import { StoreError } from "./errors.ts";

/**
 * A mailbox as the message writers need it: its id within its account (a Mailbox will do). Named
 * here rather than imported from mailboxes.ts, which imports those writers (no import cycles).
 */
export interface MailboxIds {
  accountId: number;
  id: number;
}

/**
 * A mailbox by id (a Mailbox will do), or (for deliveries, saving a lookup) by name; either way
 * within its account.
 */
export type MailboxRef =
  | { accountId: number; id: number }
  | { accountId: number; id?: undefined; name: string };

/**
 * Takes `count` new UIDs and the next MODSEQ of a mailbox in one statement: the messages added get
 * UIDs firstUid .. firstUid + count - 1, all with that MODSEQ.
 */
export async function mailboxTakeUids(
  w: Write,
  mailbox: MailboxRef,
  count: number,
): Promise<{ mailboxId: number; firstUid: number; modseq: number }> {
  const byName = mailbox.id === undefined;
  const { rows } = await w.exec({
    sql: `UPDATE mailboxes SET uid_next = uid_next + ?, highest_modseq = highest_modseq + 1
          WHERE ${byName ? "account_id = ? AND name = ?" : "id = ? AND account_id = ?"}
          RETURNING id, uid_next - ? AS first_uid, highest_modseq AS modseq`,
    args: byName
      ? [count, mailbox.accountId, mailbox.name, count]
      : [count, mailbox.id, mailbox.accountId, count],
  });
  const row = rows[0];
  if (!row) throw new StoreError("not_found", `mailbox ${byName ? mailbox.name : mailbox.id} not found`);
  return { mailboxId: Number(row.id), firstUid: Number(row.first_uid), modseq: Number(row.modseq) };
}

/** Raises a mailbox's HIGHESTMODSEQ for a change that adds no message (flags, expunge); returns it. */
export async function mailboxBumpModseq(w: Write, mailboxId: number): Promise<number> {
  const { rows } = await w.exec({
    sql: "UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = ? RETURNING highest_modseq",
    args: [mailboxId],
  });
  const row = rows[0];
  if (!row) throw new StoreError("not_found", `mailbox ${mailboxId} not found`);
  return Number(row.highest_modseq);
}

/**
 * Raises a mailbox's \Recent watermark (recent.ts) to at least `uid`; never lowers it, so writes
 * that arrive out of order do no harm.
 */
export async function mailboxRecentRaise(w: Write, mailboxId: number, uid: number): Promise<void> {
  await w.exec({
    sql: "UPDATE mailboxes SET recent_uid = max(recent_uid, ?) WHERE id = ?",
    args: [uid, mailboxId],
  });
}
