/**
 * The outgoing queue's state. Rows are added in the same transaction that stores the message (so a
 * 250 means "stored and queued"), claimed by the delivery workers when due, and deleted on success or
 * final failure in the same commit that records it. Only the delivery code decides policy (retry
 * schedule, bounces); this module only keeps the facts.
 */

import { contentsDeleteOrphans } from "./contents.ts";
import { type Reader, rawOf, type Write } from "./db.ts";

export interface QueueRecipientInput {
  address: string;
  /** RFC 3461 NOTIFY (e.g. "FAILURE,DELAY" or "NEVER"), ORCPT as given. */
  notify?: string | null | undefined;
  orcpt?: string | null | undefined;
}

export interface QueueInput {
  /** Envelope sender; "" for the null reverse-path. */
  sender: string;
  recipients: QueueRecipientInput[];
  ret?: string | null | undefined;
  envid?: string | null | undefined;
  accountId?: number | null | undefined;
  /** RFC 8689 REQUIRETLS and RFC 6531 SMTPUTF8 as given on MAIL FROM. */
  requireTls?: boolean | undefined;
  smtpUtf8?: boolean | undefined;
  /** First attempt time (ms); now by default. */
  now?: number;
}

export interface QueueItem {
  id: number;
  contentId: number;
  sender: string;
  recipient: string;
  domain: string;
  notify: string | null;
  orcpt: string | null;
  ret: string | null;
  envid: string | null;
  accountId: number | null;
  requireTls: boolean;
  smtpUtf8: boolean;
  /** A "delayed" DSN (RFC 3464) went out for this recipient already. */
  delayNotified: boolean;
  status: "queued" | "deferred";
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

function fromRow(row: Record<string, unknown>): QueueItem {
  const text = (v: unknown) => (v == null ? null : String(v));
  return {
    id: Number(row.id),
    contentId: Number(row.content_id),
    sender: String(row.sender),
    recipient: String(row.recipient),
    domain: String(row.domain),
    notify: text(row.notify),
    orcpt: text(row.orcpt),
    ret: text(row.ret),
    envid: text(row.envid),
    accountId: row.account_id == null ? null : Number(row.account_id),
    requireTls: Number(row.require_tls) === 1,
    smtpUtf8: Number(row.smtp_utf8) === 1,
    delayNotified: Number(row.delay_notified) === 1,
    status: String(row.status) === "deferred" ? "deferred" : "queued",
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    lastError: text(row.last_error),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

const COLUMNS =
  "id, content_id, sender, recipient, domain, notify, orcpt, ret, envid, account_id, require_tls, smtp_utf8, delay_notified, status, attempts, next_attempt_at, last_error, created_at, updated_at";

/** Queues a stored content for remote recipients; returns the new item ids. */
export async function queueAdd(w: Write, contentId: number, input: QueueInput): Promise<number[]> {
  const now = input.now ?? Date.now();
  const ids: number[] = [];
  for (const r of input.recipients) {
    const at = r.address.lastIndexOf("@");
    const domain = (at === -1 ? "" : r.address.slice(at + 1)).toLowerCase();
    const { rows } = await w.exec({
      sql: `INSERT INTO queue (content_id, sender, recipient, domain, notify, orcpt, ret, envid, account_id, require_tls, smtp_utf8,
              status, attempts, next_attempt_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?) RETURNING id`,
      args: [
        contentId,
        input.sender,
        r.address,
        domain,
        r.notify ?? null,
        r.orcpt ?? null,
        input.ret ?? null,
        input.envid ?? null,
        input.accountId ?? null,
        input.requireTls ? 1 : 0,
        input.smtpUtf8 ? 1 : 0,
        now,
        now,
        now,
      ],
    });
    ids.push(Number(rows[0]!.id));
  }
  return ids;
}

/**
 * Items due at `now`, oldest due first, skipping `exclude` (items already in flight); only those for
 * `domain` when given (a worker with an open connection asks for more mail for its destination).
 */
export async function queueDue(
  r: Reader,
  now: number,
  limit: number,
  exclude: ReadonlySet<number> = new Set(),
  domain?: string,
): Promise<QueueItem[]> {
  const { rows } = await rawOf(r).execute({
    sql: `SELECT ${COLUMNS} FROM queue WHERE next_attempt_at <= ?${domain === undefined ? "" : " AND domain = ?"}
          ORDER BY next_attempt_at, id LIMIT ?`,
    args: domain === undefined ? [now, limit + exclude.size] : [now, domain, limit + exclude.size],
  });
  return rows
    .map((row) => fromRow(row as Record<string, unknown>))
    .filter((item) => !exclude.has(item.id))
    .slice(0, limit);
}

/** When the next item falls due (for the worker's timer), or null for an empty queue. */
export async function queueNextDue(r: Reader): Promise<number | null> {
  const { rows } = await rawOf(r).execute("SELECT min(next_attempt_at) AS t FROM queue");
  return rows[0]?.t == null ? null : Number(rows[0].t);
}

export async function queueGet(r: Reader, id: number): Promise<QueueItem | undefined> {
  const { rows } = await rawOf(r).execute({ sql: `SELECT ${COLUMNS} FROM queue WHERE id = ?`, args: [id] });
  return rows[0] ? fromRow(rows[0] as Record<string, unknown>) : undefined;
}

/** Items in id order after `afterId` (keyset pagination for the admin API). */
export async function queueList(
  r: Reader,
  options: { limit: number; afterId?: number | undefined },
): Promise<QueueItem[]> {
  const { rows } = await rawOf(r).execute({
    sql: `SELECT ${COLUMNS} FROM queue WHERE id > ? ORDER BY id LIMIT ?`,
    args: [options.afterId ?? 0, options.limit],
  });
  return rows.map((row) => fromRow(row as Record<string, unknown>));
}

/** A temporary failure: count the attempt and wait until `nextAttemptAt`. */
export async function queueDefer(w: Write, id: number, error: string, nextAttemptAt: number): Promise<void> {
  await w.exec({
    sql: "UPDATE queue SET status = 'deferred', attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?",
    args: [error.slice(0, 1000), nextAttemptAt, Date.now(), id],
  });
}

/** Records that the sender was told of the delay (RFC 3464 "delayed"), so it is told once. */
export async function queueMarkDelayNotified(w: Write, ids: readonly number[]): Promise<void> {
  for (const id of ids) await w.exec({ sql: "UPDATE queue SET delay_notified = 1 WHERE id = ?", args: [id] });
}

/** Makes an item due now (the admin's "retry now"). Returns false when there is no such item. */
export async function queueRetryNow(w: Write, id: number): Promise<boolean> {
  const { rowsAffected } = await w.exec({
    sql: "UPDATE queue SET next_attempt_at = ?, updated_at = ? WHERE id = ?",
    args: [Date.now(), Date.now(), id],
  });
  return rowsAffected > 0;
}

/**
 * Removes an item for good (delivered, bounced, or dropped by the admin), and its content when no
 * message or other queue item still refers to it. Returns the removed item.
 */
export async function queueRemove(w: Write, id: number): Promise<QueueItem | undefined> {
  const { rows } = await w.exec({ sql: `DELETE FROM queue WHERE id = ? RETURNING ${COLUMNS}`, args: [id] });
  const item = rows[0] ? fromRow(rows[0] as Record<string, unknown>) : undefined;
  if (item) await contentsDeleteOrphans(w, [item.contentId]);
  return item;
}
