/**
 * Messages: one content in one mailbox, with a UID, flags and a MODSEQ. This file owns the row shape
 * and the reads: a mailbox's messages in UID order (POP3, IMAP SELECT), pages of them (export), one
 * by id, and the REST list with its summaries (messages joined with their contents).
 */
import { and, asc, desc, eq, lt, sql } from "drizzle-orm";
import { searchTextSql } from "./contents.ts";
import type { Reader } from "./db.ts";
import { parseKeywords, SEEN } from "./flags.ts";
import { contents, messages } from "./schema.ts";

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

/** The columns of a Message, for drizzle selects across the store. */
export const messageColumns = {
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
export const messageFromRow = (row: Row): Message => ({ ...row, keywords: parseKeywords(row.keywords) });

/** All messages of a mailbox in UID order: what POP3 and IMAP SELECT need, from the index alone. */
export async function messagesOfMailbox(r: Reader, mailboxId: number): Promise<Message[]> {
  const rows = await r
    .select(messageColumns)
    .from(messages)
    .where(eq(messages.mailboxId, mailboxId))
    .orderBy(asc(messages.uid));
  return rows.map(messageFromRow);
}

export async function messageGet(r: Reader, accountId: number, id: number): Promise<Message | undefined> {
  const [row] = await r
    .select(messageColumns)
    .from(messages)
    .where(and(eq(messages.id, id), eq(messages.accountId, accountId)))
    .limit(1);
  return row ? messageFromRow(row) : undefined;
}

/** Up to `limit` messages of a mailbox with UIDs above `afterUid`, in UID order: for walking a big mailbox in batches. */
export async function messagesPage(
  r: Reader,
  mailboxId: number,
  afterUid: number,
  limit: number,
): Promise<Message[]> {
  const rows = await r
    .select(messageColumns)
    .from(messages)
    .where(and(eq(messages.mailboxId, mailboxId), sql`${messages.uid} > ${afterUid}`))
    .orderBy(asc(messages.uid))
    .limit(limit);
  return rows.map(messageFromRow);
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
      sql`(lower(${contents.subject}) LIKE ${needle} ESCAPE '\\' OR lower(${contents.fromText}) LIKE ${needle} ESCAPE '\\' OR lower(${contents.toText}) LIKE ${needle} ESCAPE '\\' OR ${sql.raw(searchTextSql('"contents"'))} LIKE ${needle} ESCAPE '\\')`,
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
