/**
 * Mailboxes of an account. Names are full Unicode paths with "/" as the hierarchy separator
 * (IMAP's modified UTF-7 is the IMAP layer's business); "INBOX" is case-insensitive (RFC 3501 §5.1).
 */
import { Buffer } from "node:buffer";
import { and, asc, eq, or, sql } from "drizzle-orm";
import { contentsDeleteOrphans } from "./contents.ts";
import type { Reader, Write } from "./db.ts";
import { conflict, invalid, notFound, StoreError } from "./errors.ts";
import { DELETED, SEEN } from "./flags.ts";
import { messagesMoveAll } from "./message-copy-move.ts";
import type { Mailbox } from "./rows.ts";
import { expunged, mailboxes, messages, meta } from "./schema.ts";
import { accountUsageAdjust } from "./usage.ts";

export type { Mailbox };

export const HIERARCHY_SEPARATOR = "/";
/** Names looked up (older databases may hold names up to this long). */
const MAX_NAME_LENGTH = 1024;
/**
 * Names created or renamed to: UTF-8 octets of the whole path. Each name costs every LIST of its
 * account; 1,000-character names were part of a LIST that stalled the server. Dovecot and Cyrus
 * stop at about this length too.
 */
export const MAX_NEW_NAME_OCTETS = 255;
const MAX_DEPTH = 32;

export interface MailboxStatus extends Mailbox {
  messages: number;
  unseen: number;
  deleted: number;
  size: number;
}

const columns = {
  id: mailboxes.id,
  accountId: mailboxes.accountId,
  name: mailboxes.name,
  specialUse: mailboxes.specialUse,
  uidValidity: mailboxes.uidValidity,
  uidNext: mailboxes.uidNext,
  highestModseq: mailboxes.highestModseq,
  subscribed: mailboxes.subscribed,
};

/** Validates a mailbox name and spells INBOX canonically. Throws StoreError("invalid"). */
export function mailboxNameNormalize(name: string): string {
  const n = name.normalize("NFC");
  if (n.length === 0 || n.length > MAX_NAME_LENGTH)
    throw invalid("mailbox name must be 1 to 1024 characters");
  // Control characters and IMAP LIST wildcards can never be part of a name (RFC 3501 §5.1).
  if (/[\u0000-\u001f\u007f*%]/.test(n))
    throw invalid("mailbox name must not contain control characters, * or %");
  const parts = n.split(HIERARCHY_SEPARATOR);
  if (parts.length > MAX_DEPTH) throw invalid(`mailbox names may be at most ${MAX_DEPTH} levels deep`);
  for (const part of parts) {
    if (part === "" || part === "." || part === "..")
      throw invalid(`"${name}" has an empty, "." or ".." level`);
  }
  if (parts[0]!.toUpperCase() === "INBOX") parts[0] = "INBOX";
  return parts.join(HIERARCHY_SEPARATOR);
}

/** The name to look up, or undefined when `name` cannot name any mailbox (so none is found). */
export function mailboxNameLookup(name: string): string | undefined {
  try {
    return mailboxNameNormalize(name);
  } catch {
    return undefined;
  }
}

export async function mailboxList(r: Reader, accountId: number): Promise<Mailbox[]> {
  return r
    .select(columns)
    .from(mailboxes)
    .where(eq(mailboxes.accountId, accountId))
    .orderBy(asc(mailboxes.name));
}

/** The counts of a MailboxStatus over the message rows selected (0, not NULL, over none). */
const statusCounts = {
  messages: sql<number>`count(*)`,
  unseen: sql<number>`coalesce(sum((${messages.flags} & ${SEEN}) = 0), 0)`,
  deleted: sql<number>`coalesce(sum((${messages.flags} & ${DELETED}) != 0), 0)`,
  size: sql<number>`coalesce(sum(${messages.size}), 0)`,
};

/** A mailbox with its counts; a mailbox without messages has no counts row. */
function withCounts(
  mailbox: Mailbox,
  counts: Pick<MailboxStatus, keyof typeof statusCounts> | undefined,
): MailboxStatus {
  return {
    ...mailbox,
    messages: counts?.messages ?? 0,
    unseen: counts?.unseen ?? 0,
    deleted: counts?.deleted ?? 0,
    size: counts?.size ?? 0,
  };
}

/** Every mailbox with its counts, from the indexes only (no message bodies are read). */
export async function mailboxListWithStatus(r: Reader, accountId: number): Promise<MailboxStatus[]> {
  const list = await mailboxList(r, accountId);
  const counts = await r
    .select({ mailboxId: messages.mailboxId, ...statusCounts })
    .from(messages)
    .where(eq(messages.accountId, accountId))
    .groupBy(messages.mailboxId);
  const byId = new Map(counts.map((c) => [c.mailboxId, c]));
  return list.map((m) => withCounts(m, byId.get(m.id)));
}

export async function mailboxFind(r: Reader, accountId: number, name: string): Promise<Mailbox | undefined> {
  const normalized = mailboxNameLookup(name);
  if (normalized === undefined) return undefined;
  const [row] = await r
    .select(columns)
    .from(mailboxes)
    .where(and(eq(mailboxes.accountId, accountId), eq(mailboxes.name, normalized)))
    .limit(1);
  return row;
}

export async function mailboxGet(r: Reader, accountId: number, name: string): Promise<Mailbox> {
  const mailbox = await mailboxFind(r, accountId, name);
  if (!mailbox) throw notFound(`mailbox ${name}`);
  return mailbox;
}

export async function mailboxById(r: Reader, mailboxId: number): Promise<Mailbox | undefined> {
  const [row] = await r.select(columns).from(mailboxes).where(eq(mailboxes.id, mailboxId)).limit(1);
  return row;
}

export async function mailboxStatus(r: Reader, mailbox: Mailbox): Promise<MailboxStatus> {
  const [c] = await r.select(statusCounts).from(messages).where(eq(messages.mailboxId, mailbox.id));
  return withCounts(mailbox, c);
}

/**
 * UIDVALIDITY must differ for every incarnation of a name (RFC 3501 §2.3.1.1), even when a mailbox is
 * deleted and re-created within a second: a database-wide counter, started from the clock, guarantees it.
 */
async function uidValidityNext(w: Write): Promise<number> {
  const seconds = Math.floor(Date.now() / 1000);
  const [row] = await w.tx
    .insert(meta)
    .values({ key: "uidvalidity", value: String(seconds) })
    .onConflictDoUpdate({
      target: meta.key,
      set: { value: sql`max(cast(${meta.value} as integer) + 1, ${seconds})` },
    })
    .returning({ value: meta.value });
  return Number(row!.value);
}

/** A name a mailbox is about to get must fit MAX_NEW_NAME_OCTETS. Throws StoreError("invalid"). */
function newNameCheck(name: string): void {
  if (Buffer.byteLength(name, "utf8") > MAX_NEW_NAME_OCTETS)
    throw invalid(`mailbox names may be at most ${MAX_NEW_NAME_OCTETS} octets (UTF-8), hierarchy included`);
}

/** Refuses a new mailbox once the account has `w.limits.maxMailboxesPerAccount`. Throws StoreError("limit"). */
async function mailboxCountCheck(w: Write, accountId: number): Promise<void> {
  const max = w.limits.maxMailboxesPerAccount;
  const [row] = await w.tx
    .select({ n: sql<number>`count(*)` })
    .from(mailboxes)
    .where(eq(mailboxes.accountId, accountId));
  if ((row?.n ?? 0) >= max)
    throw new StoreError("limit", `the account has ${max} mailboxes, the most allowed; delete some first`);
}

export async function mailboxCreate(
  w: Write,
  accountId: number,
  name: string,
  options: { specialUse?: string | null; subscribed?: boolean } = {},
): Promise<Mailbox> {
  const normalized = mailboxNameNormalize(name);
  newNameCheck(normalized);
  if (await mailboxFind(w.tx, accountId, normalized)) throw conflict(`mailbox ${normalized}`);
  await mailboxCountCheck(w, accountId);
  if (options.specialUse && !/^\\(All|Archive|Drafts|Flagged|Junk|Sent|Trash)$/.test(options.specialUse)) {
    throw invalid(`unknown special-use attribute ${options.specialUse}`);
  }
  const [row] = await w.tx
    .insert(mailboxes)
    .values({
      accountId,
      name: normalized,
      specialUse: options.specialUse ?? null,
      uidValidity: await uidValidityNext(w),
      subscribed: options.subscribed ?? true,
    })
    .returning(columns);
  w.changed({ kind: "mailbox-created", accountId, mailboxId: row!.id, name: normalized });
  return row!;
}

/**
 * Mailboxes below `name` in the hierarchy: names in the binary range ("name/", "name0"), since "0"
 * follows "/" in code-point order. Exact and case-sensitive, unlike LIKE.
 */
function childrenOf(accountId: number, name: string) {
  return and(
    eq(mailboxes.accountId, accountId),
    sql`${mailboxes.name} > ${`${name}/`} AND ${mailboxes.name} < ${`${name}0`}`,
  );
}

export async function mailboxHasChildren(r: Reader, accountId: number, name: string): Promise<boolean> {
  const [row] = await r
    .select({ id: mailboxes.id })
    .from(mailboxes)
    .where(childrenOf(accountId, name))
    .limit(1);
  return row !== undefined;
}

/** Deletes a mailbox and its messages. INBOX cannot be deleted (RFC 3501 §6.3.4); parents of others neither. */
export async function mailboxDelete(w: Write, accountId: number, name: string): Promise<void> {
  const mailbox = await mailboxGet(w.tx, accountId, name);
  if (mailbox.name === "INBOX") throw new StoreError("forbidden", "INBOX cannot be deleted");
  if (await mailboxHasChildren(w.tx, accountId, mailbox.name)) {
    throw new StoreError("conflict", `mailbox ${mailbox.name} has child mailboxes; delete them first`);
  }
  const gone = await w.tx
    .delete(messages)
    .where(eq(messages.mailboxId, mailbox.id))
    .returning({ contentId: messages.contentId, size: messages.size });
  await accountUsageAdjust(w, accountId, -gone.reduce((sum, m) => sum + m.size, 0));
  await w.tx.delete(expunged).where(eq(expunged.mailboxId, mailbox.id));
  await w.tx.delete(mailboxes).where(eq(mailboxes.id, mailbox.id));
  await contentsDeleteOrphans(w, [...new Set(gone.map((m) => m.contentId))]);
  w.changed({ kind: "mailbox-deleted", accountId, mailboxId: mailbox.id, name: mailbox.name });
}

/**
 * Renames a mailbox and its children. Renaming INBOX moves its messages into a new mailbox and leaves
 * INBOX empty (RFC 3501 §6.3.5).
 */
export async function mailboxRename(w: Write, accountId: number, from: string, to: string): Promise<Mailbox> {
  const source = await mailboxGet(w.tx, accountId, from);
  const target = mailboxNameNormalize(to);
  newNameCheck(target);
  if (await mailboxFind(w.tx, accountId, target)) throw conflict(`mailbox ${target}`);
  if (target === source.name || target.startsWith(`${source.name}/`))
    throw invalid("cannot rename a mailbox into itself");
  if (source.name === "INBOX") {
    const created = await mailboxCreate(w, accountId, target);
    await messagesMoveAll(w, source, created);
    return (await mailboxById(w.tx, created.id))!;
  }
  const children = await w.tx
    .select(columns)
    .from(mailboxes)
    .where(or(eq(mailboxes.id, source.id), childrenOf(accountId, source.name)));
  // Checked for all before any is renamed, though the write would roll back anyway.
  for (const child of children) newNameCheck(target + child.name.slice(source.name.length));
  for (const child of children) {
    const newName = target + child.name.slice(source.name.length);
    await w.tx.update(mailboxes).set({ name: newName }).where(eq(mailboxes.id, child.id));
    w.changed({
      kind: "mailbox-renamed",
      accountId,
      mailboxId: child.id,
      name: newName,
      oldName: child.name,
    });
  }
  return (await mailboxById(w.tx, source.id))!;
}

export async function mailboxSetSubscribed(
  w: Write,
  accountId: number,
  name: string,
  subscribed: boolean,
): Promise<void> {
  const mailbox = await mailboxGet(w.tx, accountId, name);
  await w.tx.update(mailboxes).set({ subscribed }).where(eq(mailboxes.id, mailbox.id));
}

export async function mailboxSetSpecialUse(
  w: Write,
  accountId: number,
  name: string,
  specialUse: string | null,
): Promise<void> {
  const mailbox = await mailboxGet(w.tx, accountId, name);
  await w.tx.update(mailboxes).set({ specialUse }).where(eq(mailboxes.id, mailbox.id));
}
