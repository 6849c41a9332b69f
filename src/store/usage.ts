/**
 * An account's stored bytes: the accounts.used_bytes counter every add and removal adjusts, and the
 * quota checked against it (accountUsageRecount() in accounts.ts recomputes it from the messages).
 * Raw statements: delivery runs both for every message it stores.
 */
import { type Reader, rawOf, type Write } from "./db.ts";
import { StoreError } from "./errors.ts";

/** Adds `delta` bytes (negative for removals) to the account's counter, never going below 0. */
export async function accountUsageAdjust(w: Write, accountId: number, delta: number): Promise<void> {
  if (delta === 0) return;
  await w.exec({
    sql: "UPDATE accounts SET used_bytes = max(0, used_bytes + ?) WHERE id = ?",
    args: [delta, accountId],
  });
}

/**
 * Refuses (StoreError "over_quota") when `bytes` (and `count` messages) more would take the account
 * over its quota; an account without a quota takes anything. Run inside the write that adds the
 * bytes, so parallel writers cannot all pass it. A message-count quota costs a count over the
 * account's index entries, paid only by accounts that have one.
 */
export async function accountQuotaCheck(
  w: Write,
  accountId: number,
  bytes: number,
  count = 1,
): Promise<void> {
  const { rows } = await w.exec({
    sql: "SELECT quota, quota_messages, used_bytes FROM accounts WHERE id = ?",
    args: [accountId],
  });
  const quota = rows[0]?.quota;
  if (quota != null && Number(rows[0]!.used_bytes) + bytes > Number(quota)) {
    throw new StoreError("over_quota", "mailbox quota exceeded");
  }
  const quotaMessages = rows[0]?.quota_messages;
  if (
    quotaMessages != null &&
    count > 0 &&
    (await accountMessageCount(w.tx, accountId)) + count > Number(quotaMessages)
  ) {
    throw new StoreError("over_quota", "message count quota exceeded");
  }
}

/** How many messages the account holds in all its mailboxes (RFC 9208 §5.2: an exact number). */
export async function accountMessageCount(r: Reader, accountId: number): Promise<number> {
  const { rows } = await rawOf(r).execute({
    sql: "SELECT count(*) AS n FROM messages WHERE account_id = ?",
    args: [accountId],
  });
  return Number(rows[0]!.n);
}
