/**
 * Messages: one content in one mailbox, with a UID, flags and a MODSEQ. Every way mail enters the
 * store (SMTP delivery, IMAP APPEND, REST import, mbox import, bounces) goes through messageIngest().
 */
import { and, asc, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { ParsedMessage } from "../mime/mod.ts";
import { contentCreate, contentsDeleteOrphans } from "./contents.ts";
import type { Reader, Write } from "./db.ts";
import { StoreError } from "./errors.ts";
import { parseKeywords, SEEN } from "./flags.ts";
import { accountUsageAdjust, type Mailbox } from "./mailboxes.ts";
import { type QueueInput, queueAdd } from "./queue.ts";
import { contents, expunged, mailboxes, messages } from "./schema.ts";

export interface Message {
  id: number;
  accountId: number;
  mailboxId: number;
  uid: number;
  modseq: number;
  contentId: number;
  flags: number;
  keywords: string[];
  internalDate: number;
  size: number;
}

const columns = {
  id: messages.id,
  accountId: messages.accountId,
  mailboxId: messages.mailboxId,
  uid: messages.uid,
  modseq: messages.modseq,
  contentId: messages.contentId,
  flags: messages.flags,
  keywords: messages.keywords,
  internalDate: messages.internalDate,
  size: messages.size,
};

type Row = Omit<Message, "keywords"> & { keywords: string };
const fromRow = (row: Row): Message => ({ ...row, keywords: parseKeywords(row.keywords) });

/** Takes the next UID and MODSEQ of a mailbox in one statement (no max(uid) scans: FACTS.md). */
async function mailboxTakeUids(
  w: Write,
  mailboxId: number,
  count: number,
): Promise<{ firstUid: number; modseq: number }> {
  const [row] = await w.tx
    .update(mailboxes)
    .set({
      uidNext: sql`${mailboxes.uidNext} + ${count}`,
      highestModseq: sql`${mailboxes.highestModseq} + 1`,
    })
    .where(eq(mailboxes.id, mailboxId))
    .returning({ uidNext: mailboxes.uidNext, modseq: mailboxes.highestModseq });
  if (!row) throw new StoreError("not_found", "mailbox not found");
  return { firstUid: row.uidNext - count, modseq: row.modseq };
}

async function mailboxBumpModseq(w: Write, mailboxId: number): Promise<number> {
  const [row] = await w.tx
    .update(mailboxes)
    .set({ highestModseq: sql`${mailboxes.highestModseq} + 1` })
    .where(eq(mailboxes.id, mailboxId))
    .returning({ modseq: mailboxes.highestModseq });
  return row!.modseq;
}

export interface IngestTarget {
  accountId: number;
  /** The mailbox, by id or (for deliveries, saving a lookup) by name within the account. */
  mailboxId?: number;
  mailboxName?: string;
  flags?: number;
  keywords?: string[];
}

export interface IngestInput {
  raw: Uint8Array;
  parsed: ParsedMessage;
  internalDate?: number;
  targets: IngestTarget[];
  /** Refuse (StoreError "over_quota") when a target's account would go over quota: every ingest path but bounces. */
  enforceQuota?: boolean;
  /** Remote recipients: queued for delivery in the same transaction, sharing the stored content. */
  queue?: QueueInput;
}

/**
 * The one ingest path: stores the content once and adds a message for each target.
 * Raw SQL, as it runs for every delivered message: ~7 statements instead of ~10 drizzle-built ones.
 */
export async function messageIngest(w: Write, input: IngestInput): Promise<Message[]> {
  const size = input.raw.byteLength;
  if (input.enforceQuota) {
    for (const accountId of new Set(input.targets.map((t) => t.accountId))) {
      const { rows } = await w.exec({
        sql: "SELECT quota, used_bytes FROM accounts WHERE id = ?",
        args: [accountId],
      });
      const quota = rows[0]?.quota;
      if (quota != null && Number(rows[0]!.used_bytes) + size > Number(quota)) {
        throw new StoreError("over_quota", "mailbox quota exceeded");
      }
    }
  }
  const contentId = await contentCreate(w, input.raw, input.parsed);
  if (input.queue && input.queue.recipients.length > 0) await queueAdd(w, contentId, input.queue);
  const internalDate = input.internalDate ?? Date.now();
  const added: Message[] = [];
  for (const target of input.targets) {
    // Take the next UID and MODSEQ in the same statement that finds the mailbox (no max(uid): FACTS.md).
    const byName = target.mailboxId === undefined;
    const taken = await w.exec({
      sql: `UPDATE mailboxes SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1
            WHERE ${byName ? "account_id = ? AND name = ?" : "id = ? AND account_id = ?"}
            RETURNING id, uid_next - 1 AS uid, highest_modseq AS modseq`,
      args: byName
        ? [target.accountId, target.mailboxName ?? "INBOX"]
        : [target.mailboxId!, target.accountId],
    });
    const row = taken.rows[0];
    if (!row)
      throw new StoreError("not_found", `mailbox ${target.mailboxName ?? target.mailboxId} not found`);
    const mailboxId = Number(row.id);
    const uid = Number(row.uid);
    const modseq = Number(row.modseq);
    const keywords = target.keywords ?? [];
    const flags = target.flags ?? 0;
    const inserted = await w.exec({
      sql: `INSERT INTO messages (account_id, mailbox_id, uid, modseq, content_id, flags, keywords, internal_date, size)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      args: [
        target.accountId,
        mailboxId,
        uid,
        modseq,
        contentId,
        flags,
        JSON.stringify(keywords),
        internalDate,
        size,
      ],
    });
    await w.exec({
      sql: "UPDATE accounts SET used_bytes = used_bytes + ? WHERE id = ?",
      args: [size, target.accountId],
    });
    added.push({
      id: Number(inserted.rows[0]!.id),
      accountId: target.accountId,
      mailboxId,
      uid,
      modseq,
      contentId,
      flags,
      keywords,
      internalDate,
      size,
    });
    w.changed({ kind: "message-added", accountId: target.accountId, mailboxId, uid, modseq });
  }
  return added;
}

/** All messages of a mailbox in UID order: what POP3 and IMAP SELECT need, from the index alone. */
export async function messagesOfMailbox(r: Reader, mailboxId: number): Promise<Message[]> {
  const rows = await r
    .select(columns)
    .from(messages)
    .where(eq(messages.mailboxId, mailboxId))
    .orderBy(asc(messages.uid));
  return rows.map(fromRow);
}

export async function messageGet(r: Reader, accountId: number, id: number): Promise<Message | undefined> {
  const [row] = await r
    .select(columns)
    .from(messages)
    .where(and(eq(messages.id, id), eq(messages.accountId, accountId)))
    .limit(1);
  return row ? fromRow(row) : undefined;
}

export interface MessageSummary {
  id: number;
  uid: number;
  from: string;
  to: string;
  subject: string;
  date: number | null;
  internalDate: number;
  size: number;
  flags: number;
  keywords: string[];
  preview: string;
}

/** The columns of a list entry (messages joined with contents), shared by the list and by one lookup. */
const summaryColumns = {
  id: messages.id,
  uid: messages.uid,
  from: contents.fromText,
  to: contents.toText,
  subject: contents.subject,
  date: contents.sentAt,
  internalDate: messages.internalDate,
  size: messages.size,
  flags: messages.flags,
  keywords: messages.keywords,
  preview: contents.preview,
};

export interface MessageListOptions {
  limit: number;
  /** UID to continue below (the list is newest first). */
  before?: number | undefined;
  unseen?: boolean | undefined;
  /** Case-insensitive substring over subject, from, to and body text. */
  q?: string | undefined;
}

export async function messageList(
  r: Reader,
  mailboxId: number,
  options: MessageListOptions,
): Promise<{ items: MessageSummary[]; next: number | null }> {
  const conditions = [eq(messages.mailboxId, mailboxId)];
  if (options.before !== undefined) conditions.push(lt(messages.uid, options.before));
  if (options.unseen) conditions.push(sql`(${messages.flags} & ${SEEN}) = 0`);
  if (options.q) {
    const needle = `%${options.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(
      sql`(lower(${contents.subject}) LIKE ${needle} ESCAPE '\\' OR lower(${contents.fromText}) LIKE ${needle} ESCAPE '\\' OR lower(${contents.toText}) LIKE ${needle} ESCAPE '\\' OR ${contents.searchText} LIKE ${needle} ESCAPE '\\')`,
    );
  }
  const rows = await r
    .select(summaryColumns)
    .from(messages)
    .innerJoin(contents, eq(contents.id, messages.contentId))
    .where(and(...conditions))
    .orderBy(desc(messages.uid))
    .limit(options.limit + 1);
  const more = rows.length > options.limit;
  const items = rows
    .slice(0, options.limit)
    .map((row) => ({ ...row, keywords: parseKeywords(row.keywords) }));
  return { items, next: more ? items[items.length - 1]!.uid : null };
}

export type FlagMode = "set" | "add" | "remove";

/** Changes flags of messages in one mailbox; returns the messages whose flags really changed, with their new MODSEQ. */
export async function messagesUpdateFlags(
  w: Write,
  mailboxId: number,
  uids: number[],
  change: { mode: FlagMode; flags: number; keywords: string[] },
): Promise<Message[]> {
  if (uids.length === 0) return [];
  const current: Message[] = [];
  for (let i = 0; i < uids.length; i += 500) {
    const rows = await w.tx
      .select(columns)
      .from(messages)
      .where(and(eq(messages.mailboxId, mailboxId), inArray(messages.uid, uids.slice(i, i + 500))));
    current.push(...rows.map(fromRow));
  }
  const changed: Message[] = [];
  let modseq: number | undefined;
  for (const m of current.sort((a, b) => a.uid - b.uid)) {
    let flags = m.flags;
    let keywords = m.keywords;
    if (change.mode === "set") {
      flags = change.flags;
      keywords = [...change.keywords];
    } else if (change.mode === "add") {
      flags |= change.flags;
      keywords = [...new Set([...keywords, ...change.keywords])];
    } else {
      flags &= ~change.flags;
      keywords = keywords.filter((k) => !change.keywords.includes(k));
    }
    if (
      flags === m.flags &&
      keywords.length === m.keywords.length &&
      keywords.every((k) => m.keywords.includes(k))
    )
      continue;
    modseq ??= await mailboxBumpModseq(w, mailboxId);
    // Raw: a BODY[] fetch of 10,000 messages sets \Seen on each; drizzle's building tripled the cost.
    await w.exec({
      sql: "UPDATE messages SET flags = ?, keywords = ?, modseq = ? WHERE id = ?",
      args: [flags, JSON.stringify(keywords), modseq, m.id],
    });
    const updated = { ...m, flags, keywords, modseq };
    changed.push(updated);
    w.changed({
      kind: "flags-changed",
      accountId: m.accountId,
      mailboxId,
      uid: m.uid,
      modseq,
      flags,
      keywords,
    });
  }
  return changed;
}

/** Removes messages from a mailbox for good, recording their UIDs for QRESYNC; returns the UIDs removed. */
export async function messagesExpunge(
  w: Write,
  mailbox: Pick<Mailbox, "id" | "accountId">,
  uids: number[],
): Promise<number[]> {
  if (uids.length === 0) return [];
  const gone: Array<{ uid: number; contentId: number; size: number }> = [];
  for (let i = 0; i < uids.length; i += 500) {
    gone.push(
      ...(await w.tx
        .delete(messages)
        .where(and(eq(messages.mailboxId, mailbox.id), inArray(messages.uid, uids.slice(i, i + 500))))
        .returning({ uid: messages.uid, contentId: messages.contentId, size: messages.size })),
    );
  }
  if (gone.length === 0) return [];
  const modseq = await mailboxBumpModseq(w, mailbox.id);
  for (let i = 0; i < gone.length; i += 300) {
    await w.tx
      .insert(expunged)
      .values(gone.slice(i, i + 300).map((g) => ({ mailboxId: mailbox.id, uid: g.uid, modseq })))
      .onConflictDoNothing();
  }
  await accountUsageAdjust(w, mailbox.accountId, -gone.reduce((sum, g) => sum + g.size, 0));
  await contentsDeleteOrphans(w, [...new Set(gone.map((g) => g.contentId))]);
  const removed = gone.map((g) => g.uid).sort((a, b) => a - b);
  w.changed({
    kind: "messages-expunged",
    accountId: mailbox.accountId,
    mailboxId: mailbox.id,
    uids: removed,
    modseq,
  });
  return removed;
}

/**
 * Copies messages into another mailbox of the same account, sharing their contents; returns pairs of
 * (source UID, new UID) in source UID order (what COPYUID reports, RFC 4315 §3).
 */
export async function messagesCopy(
  w: Write,
  source: Mailbox,
  uids: number[],
  target: Mailbox,
): Promise<Array<[number, number]>> {
  const rows: Message[] = [];
  for (let i = 0; i < uids.length; i += 500) {
    const chunk = await w.tx
      .select(columns)
      .from(messages)
      .where(and(eq(messages.mailboxId, source.id), inArray(messages.uid, uids.slice(i, i + 500))));
    rows.push(...chunk.map(fromRow));
  }
  if (rows.length === 0) return [];
  rows.sort((a, b) => a.uid - b.uid);
  const { firstUid, modseq } = await mailboxTakeUids(w, target.id, rows.length);
  const pairs: Array<[number, number]> = [];
  for (const [i, m] of rows.entries()) {
    const uid = firstUid + i;
    await w.tx.insert(messages).values({
      accountId: target.accountId,
      mailboxId: target.id,
      uid,
      modseq,
      contentId: m.contentId,
      flags: m.flags,
      keywords: JSON.stringify(m.keywords),
      internalDate: m.internalDate,
      size: m.size,
    });
    pairs.push([m.uid, uid]);
    w.changed({ kind: "message-added", accountId: target.accountId, mailboxId: target.id, uid, modseq });
  }
  await accountUsageAdjust(
    w,
    target.accountId,
    rows.reduce((sum, m) => sum + m.size, 0),
  );
  return pairs;
}

/** MOVE (RFC 6851): copy then expunge from the source, in the same transaction. */
export async function messagesMove(
  w: Write,
  source: Mailbox,
  uids: number[],
  target: Mailbox,
): Promise<Array<[number, number]>> {
  const pairs = await messagesCopy(w, source, uids, target);
  await messagesExpunge(
    w,
    source,
    pairs.map(([from]) => from),
  );
  return pairs;
}

/** One message's list entry (the fields messageList returns) with its mailbox; undefined when another account's. */
export async function messageSummaryGet(
  r: Reader,
  accountId: number,
  id: number,
): Promise<(MessageSummary & { mailboxId: number }) | undefined> {
  const [row] = await r
    .select({ ...summaryColumns, mailboxId: messages.mailboxId })
    .from(messages)
    .innerJoin(contents, eq(contents.id, messages.contentId))
    .where(and(eq(messages.id, id), eq(messages.accountId, accountId)))
    .limit(1);
  return row ? { ...row, keywords: parseKeywords(row.keywords) } : undefined;
}

/** Up to `limit` messages of a mailbox with UIDs above `afterUid`, in UID order: for walking a big mailbox in batches. */
export async function messagesPage(
  r: Reader,
  mailboxId: number,
  afterUid: number,
  limit: number,
): Promise<Message[]> {
  const rows = await r
    .select(columns)
    .from(messages)
    .where(and(eq(messages.mailboxId, mailboxId), sql`${messages.uid} > ${afterUid}`))
    .orderBy(asc(messages.uid))
    .limit(limit);
  return rows.map(fromRow);
}

/**
 * Moves one message to another mailbox of its account keeping its id (the REST API's handle on it):
 * a new UID and MODSEQ in the target, the old UID recorded as expunged in the source, as MOVE would.
 */
export async function messageMoveKeepId(w: Write, message: Message, target: Mailbox): Promise<Message> {
  if (target.accountId !== message.accountId)
    throw new StoreError("invalid", "a message can only move within its account");
  if (target.id === message.mailboxId) return message;
  const { firstUid: uid, modseq } = await mailboxTakeUids(w, target.id, 1);
  const sourceModseq = await mailboxBumpModseq(w, message.mailboxId);
  await w.tx.update(messages).set({ mailboxId: target.id, uid, modseq }).where(eq(messages.id, message.id));
  await w.tx
    .insert(expunged)
    .values({ mailboxId: message.mailboxId, uid: message.uid, modseq: sourceModseq })
    .onConflictDoNothing();
  w.changed({ kind: "message-added", accountId: message.accountId, mailboxId: target.id, uid, modseq });
  w.changed({
    kind: "messages-expunged",
    accountId: message.accountId,
    mailboxId: message.mailboxId,
    uids: [message.uid],
    modseq: sourceModseq,
  });
  return { ...message, mailboxId: target.id, uid, modseq };
}
