/**
 * Writes that IMAP needs beyond the shared message functions: STORE with CONDSTORE's UNCHANGEDSINCE
 * test (RFC 7162 §3.1.3), the \Deleted lookup EXPUNGE runs inside its own transaction, and COPY
 * within the account's quota. Each builds on messages.ts so that flag changes, copies and expunges
 * keep one implementation and publish the same change events.
 */
import type { InStatement } from "@libsql/client";
import { type Reader, rawOf, type Write } from "./db.ts";
import { StoreError } from "./errors.ts";
import { DELETED, parseKeywords } from "./flags.ts";
import type { Mailbox } from "./mailboxes.ts";
import { type FlagMode, messagesCopy, messagesUpdateFlags } from "./messages.ts";

/**
 * Keywords one message may carry. Without a bound, repeated `+FLAGS (kw1 kw2 ...)` grows one row's
 * keyword list (and every FETCH of it) without end.
 */
export const MAX_KEYWORDS_PER_MESSAGE = 100;

/** Placeholders per IN (...) list: well under SQLite's variable limit. */
const CHUNK = 500;

export interface FlagState {
  uid: number;
  flags: number;
  keywords: string[];
  modseq: number;
}

export interface StoreFlagsResult {
  /** Messages the change was applied to, in UID order, as they are now; `changed` when this write altered them. */
  stored: Array<FlagState & { changed: boolean }>;
  /** Messages left alone because their MODSEQ is above UNCHANGEDSINCE (RFC 7162 §3.1.3), in UID order. */
  modified: FlagState[];
}

async function selectByUids(
  w: Write,
  sqlHead: string,
  args: Array<string | number>,
  uids: number[],
): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < uids.length; i += CHUNK) {
    const chunk = uids.slice(i, i + CHUNK);
    const statement: InStatement = {
      sql: `${sqlHead} AND uid IN (${chunk.map(() => "?").join(",")})`,
      args: [...args, ...chunk],
    };
    rows.push(...((await w.exec(statement)).rows as unknown as Array<Record<string, unknown>>));
  }
  return rows;
}

/**
 * Changes flags of messages of one mailbox, skipping those modified after `unchangedSince`. The
 * MODSEQ test and the change run in one transaction, so no other writer can slip in between.
 */
export async function messagesStoreFlags(
  w: Write,
  mailboxId: number,
  uids: number[],
  change: { mode: FlagMode; flags: number; keywords: string[] },
  options: { unchangedSince?: number | undefined } = {},
): Promise<StoreFlagsResult> {
  const rows = await selectByUids(
    w,
    "SELECT uid, flags, keywords, modseq FROM messages WHERE mailbox_id = ?",
    [mailboxId],
    uids,
  );
  const current: FlagState[] = rows
    .map((r) => ({
      uid: Number(r.uid),
      flags: Number(r.flags),
      keywords: parseKeywords(String(r.keywords)),
      modseq: Number(r.modseq),
    }))
    .sort((a, b) => a.uid - b.uid);
  const since = options.unchangedSince;
  // RFC 7162 §3.1.3: UNCHANGEDSINCE 0 fails for every message, as every MODSEQ is at least 1.
  const modified = since === undefined ? [] : current.filter((m) => m.modseq > since);
  const passing = since === undefined ? current : current.filter((m) => m.modseq <= since);
  if (change.mode !== "remove") {
    for (const m of passing) {
      const after =
        change.mode === "set" ? change.keywords : [...new Set([...m.keywords, ...change.keywords])];
      if (after.length > MAX_KEYWORDS_PER_MESSAGE) {
        throw new StoreError("invalid", `a message may carry at most ${MAX_KEYWORDS_PER_MESSAGE} keywords`);
      }
    }
  }
  const changed = await messagesUpdateFlags(
    w,
    mailboxId,
    passing.map((m) => m.uid),
    change,
  );
  const byUid = new Map(changed.map((m) => [m.uid, m]));
  const stored = passing.map((m) => {
    const after = byUid.get(m.uid);
    return after
      ? { uid: m.uid, flags: after.flags, keywords: after.keywords, modseq: after.modseq, changed: true }
      : { ...m, changed: false };
  });
  return { stored, modified };
}

/** UIDs of the messages flagged \Deleted in a mailbox, ascending (EXPUNGE, RFC 3501 §6.4.3). */
export async function messagesDeletedUids(r: Reader, mailboxId: number): Promise<number[]> {
  const { rows } = await rawOf(r).execute({
    sql: "SELECT uid FROM messages WHERE mailbox_id = ? AND (flags & ?) != 0 ORDER BY uid",
    args: [mailboxId, DELETED],
  });
  return rows.map((row) => Number(row.uid));
}

/**
 * messagesCopy() that first refuses a copy the target account's quota cannot hold (COPY adds bytes
 * to the account; MOVE does not, so it needs no check).
 */
export async function messagesCopyWithinQuota(
  w: Write,
  source: Mailbox,
  uids: number[],
  target: Mailbox,
): Promise<Array<[number, number]>> {
  const sizes = await selectByUids(
    w,
    "SELECT coalesce(sum(size), 0) AS bytes FROM messages WHERE mailbox_id = ?",
    [source.id],
    uids,
  );
  const bytes = sizes.reduce((sum, row) => sum + Number(row.bytes), 0);
  const { rows } = await w.exec({
    sql: "SELECT quota, used_bytes FROM accounts WHERE id = ?",
    args: [target.accountId],
  });
  const quota = rows[0]?.quota;
  if (quota != null && Number(rows[0]!.used_bytes) + bytes > Number(quota)) {
    throw new StoreError("over_quota", "mailbox quota exceeded");
  }
  return messagesCopy(w, source, uids, target);
}
