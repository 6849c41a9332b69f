/**
 * The spam filter's training queue. When an owner files a message as junk (copies or moves it into
 * the Junk mailbox, or sets $Junk) or takes it back out (moves it from Junk to a mailbox other than
 * Trash, or sets $NotJunk), the write that does it also queues a "spam" or "ham" lesson here, in the
 * same transaction: a lesson is never lost to a crash, and the IMAP command never waits for the
 * filter. A worker (src/spam/learner.ts) sends them to rspamd with retries. Queued only when the
 * store was opened with spam learning on (a filter is configured), so the table cannot fill up with
 * lessons nobody takes.
 */
import { placeholders } from "./chunks.ts";
import { type Reader, rawOf, type Write } from "./db.ts";

export type SpamLesson = "spam" | "ham";

/** What a learn job needs: the content to send and whose Bayes database it trains. */
export interface SpamLearnJob {
  id: number;
  accountId: number;
  /** The owner's address: rspamd's per-user Bayes key (sent as Deliver-To). */
  address: string;
  contentId: number;
  kind: SpamLesson;
  attempts: number;
  createdAt: number;
}

/** A mailbox as far as training goes: RFC 6154's \Junk, or one simply called Junk. */
interface MailboxKind {
  name: string;
  specialUse: string | null;
}

export function isJunkMailbox(m: MailboxKind): boolean {
  return m.specialUse?.toLowerCase() === "\\junk" || m.name.toLowerCase() === "junk";
}

function isTrashMailbox(m: MailboxKind): boolean {
  return m.specialUse?.toLowerCase() === "\\trash" || m.name.toLowerCase() === "trash";
}

/**
 * The lesson a copy or move from `source` to `target` teaches: into Junk is spam; out of Junk into
 * anything but Trash is ham (deleting junk says nothing about it); anything else teaches nothing.
 */
export function lessonOfMove(source: MailboxKind, target: MailboxKind): SpamLesson | undefined {
  const from = isJunkMailbox(source);
  const to = isJunkMailbox(target);
  if (to && !from) return "spam";
  if (from && !to && !isTrashMailbox(target)) return "ham";
  return undefined;
}

/** The lesson a keyword change teaches: $Junk newly set is spam, $NotJunk newly set is ham. */
export function lessonOfKeywords(
  before: readonly string[],
  after: readonly string[],
): SpamLesson | undefined {
  const had = (list: readonly string[], k: string) => list.some((x) => x.toLowerCase() === k);
  if (had(after, "$junk") && !had(before, "$junk")) return "spam";
  if (had(after, "$notjunk") && !had(before, "$notjunk")) return "ham";
  return undefined;
}

/** Queues one lesson per content (when learning is on); part of the caller's transaction. */
export async function spamLearnQueue(
  w: Write,
  accountId: number,
  contentIds: readonly number[],
  kind: SpamLesson,
): Promise<void> {
  if (!w.features.spamLearning) return;
  const now = Date.now();
  for (const contentId of new Set(contentIds)) {
    await w.exec({
      sql: "INSERT INTO spam_learns (account_id, content_id, kind, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?)",
      args: [accountId, contentId, kind, now, now],
    });
  }
}

/** The lesson of moving `contentIds` from the mailbox `sourceId` to `target`, queued. */
export async function spamLearnAfterMove(
  w: Write,
  sourceId: number,
  target: MailboxKind & { accountId: number },
  contentIds: readonly number[],
): Promise<void> {
  if (!w.features.spamLearning || contentIds.length === 0) return;
  const { rows } = await w.exec({
    sql: "SELECT name, special_use FROM mailboxes WHERE id = ?",
    args: [sourceId],
  });
  const row = rows[0];
  if (!row) return;
  const source = {
    name: String(row.name),
    specialUse: row.special_use == null ? null : String(row.special_use),
  };
  const kind = lessonOfMove(source, target);
  if (kind) await spamLearnQueue(w, target.accountId, contentIds, kind);
}

/** Lessons due now, oldest first, with their owner's address. */
export async function spamLearnsDue(r: Reader, now: number, limit: number): Promise<SpamLearnJob[]> {
  const { rows } = await rawOf(r).execute({
    sql: `SELECT l.id, l.account_id, a.address, l.content_id, l.kind, l.attempts, l.created_at
          FROM spam_learns l JOIN accounts a ON a.id = l.account_id
          WHERE l.next_attempt_at <= ? ORDER BY l.next_attempt_at, l.id LIMIT ?`,
    args: [now, limit],
  });
  return rows.map((row) => ({
    id: Number(row.id),
    accountId: Number(row.account_id),
    address: String(row.address),
    contentId: Number(row.content_id),
    kind: String(row.kind) === "ham" ? "ham" : "spam",
    attempts: Number(row.attempts),
    createdAt: Number(row.created_at),
  }));
}

/** Removes finished (or abandoned) lessons. */
export async function spamLearnsDelete(w: Write, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await w.exec({ sql: `DELETE FROM spam_learns WHERE id IN (${placeholders(ids.length)})`, args: [...ids] });
}

/** Puts a lesson back for a later try, with what went wrong. */
export async function spamLearnRetry(
  w: Write,
  id: number,
  nextAttemptAt: number,
  error: string,
): Promise<void> {
  await w.exec({
    sql: "UPDATE spam_learns SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
    args: [nextAttemptAt, error.slice(0, 500), id],
  });
}

/** Lessons waiting, for tests and health checks. */
export async function spamLearnsPending(r: Reader): Promise<number> {
  const { rows } = await rawOf(r).execute("SELECT count(*) AS n FROM spam_learns");
  return Number(rows[0]?.n ?? 0);
}

/**
 * Each account's Junk mailbox (RFC 6154 \Junk first, else one named Junk) by account id, for mail
 * the spam check files there; an account without one is absent (its mail goes to INBOX, marked $Junk).
 */
export async function junkMailboxIds(r: Reader, accountIds: readonly number[]): Promise<Map<number, number>> {
  const found = new Map<number, number>();
  if (accountIds.length === 0) return found;
  const { rows } = await rawOf(r).execute({
    sql: `SELECT account_id, id FROM mailboxes
          WHERE account_id IN (${placeholders(accountIds.length)})
            AND (lower(special_use) = '\\junk' OR lower(name) = 'junk')
          ORDER BY account_id, lower(special_use) = '\\junk' DESC, id`,
    args: [...accountIds],
  });
  for (const row of rows) {
    const account = Number(row.account_id);
    if (!found.has(account)) found.set(account, Number(row.id));
  }
  return found;
}
