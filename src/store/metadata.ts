/**
 * METADATA annotations (RFC 5464): named values on the server as a whole (per account: there is no
 * sharing between accounts, so "/shared" entries are the account's too) and on its mailboxes.
 * Entries are kept by mailbox id: RENAME keeps them, DELETE removes them (metadataDeleteMailbox),
 * and a change publishes `metadata-changed` after commit (NOTIFY's MailboxMetadataChange and
 * ServerMetadataChange events, RFC 5465 §5.7-5.8).
 */
import { and, asc, eq, inArray, or, sql } from "drizzle-orm";
import type { Reader, Write } from "./db.ts";
import { StoreError } from "./errors.ts";
import { metadata } from "./schema.ts";

/**
 * Bounds on what one account may store. Without them annotations are free disk space for anyone
 * with a login: a loop of SETMETADATA would fill the disk and every GETMETADATA DEPTH infinity
 * would grow with it.
 */
export const METADATA_LIMITS = {
  /** Octets of one value (SETMETADATA beyond: NO [METADATA MAXSIZE n], RFC 5464 §4.3). */
  maxValueBytes: 32 * 1024,
  /** Entries of one account, server and mailboxes together (beyond: NO [METADATA TOOMANY]). */
  maxEntriesPerAccount: 500,
} as const;

/** The "mailbox" of server annotations (mailbox "" on the wire). */
export const SERVER_METADATA = 0;

export interface MetadataEntry {
  /** Lower-case. */
  name: string;
  value: Buffer;
}

/** How far below a named entry GETMETADATA reaches (RFC 5464 §4.2.2). */
export type MetadataDepth = 0 | 1 | "infinity";

/** SQL LIKE pattern for the names below `name` ("%" and "*" never appear in names, RFC 5464 §3.2). */
function below(name: string): string {
  return `${name.replace(/[\\_]/g, (c) => `\\${c}`)}/%`;
}

/**
 * The entries named, and (with depth) those below them, of one mailbox (or SERVER_METADATA), in
 * name order. Names come lower-case and checked against RFC 5464 §3.2 (imap/metadata-names.ts).
 */
export async function metadataGet(
  r: Reader,
  accountId: number,
  { mailboxId, names, depth }: { mailboxId: number; names: string[]; depth: MetadataDepth },
): Promise<MetadataEntry[]> {
  if (names.length === 0) return [];
  const conditions = [inArray(metadata.name, names)];
  if (depth !== 0)
    for (const name of names) conditions.push(sql`${metadata.name} LIKE ${below(name)} ESCAPE '\\'`);
  const rows = await r
    .select({ name: metadata.name, value: metadata.value })
    .from(metadata)
    .where(and(eq(metadata.accountId, accountId), eq(metadata.mailboxId, mailboxId), or(...conditions)))
    .orderBy(asc(metadata.name));
  if (depth !== 1) return rows;
  // DEPTH 1: the entry and its children, not grandchildren.
  return rows.filter((row) =>
    names.some(
      (n) => row.name === n || (row.name.startsWith(`${n}/`) && !row.name.slice(n.length + 1).includes("/")),
    ),
  );
}

/**
 * Sets (or, for a null value, removes) entries of one mailbox or of the server, all or none.
 * Throws StoreError("invalid") for a value over METADATA_LIMITS.maxValueBytes and
 * StoreError("limit") once the account would hold more than maxEntriesPerAccount.
 */
export async function metadataSet(
  w: Write,
  accountId: number,
  { mailboxId, entries }: { mailboxId: number; entries: Array<{ name: string; value: Buffer | null }> },
): Promise<void> {
  for (const { value } of entries)
    if (value && value.length > METADATA_LIMITS.maxValueBytes)
      throw new StoreError("invalid", `a value may have at most ${METADATA_LIMITS.maxValueBytes} octets`);
  const changed: string[] = [];
  for (const { name, value } of entries) {
    const where = and(
      eq(metadata.accountId, accountId),
      eq(metadata.mailboxId, mailboxId),
      eq(metadata.name, name),
    );
    if (value === null) {
      const gone = await w.tx.delete(metadata).where(where).returning({ name: metadata.name });
      if (gone.length > 0) changed.push(name);
      continue;
    }
    await w.tx
      .insert(metadata)
      .values({ accountId, mailboxId, name, value })
      .onConflictDoUpdate({
        target: [metadata.accountId, metadata.mailboxId, metadata.name],
        set: { value },
      });
    changed.push(name);
  }
  const [count] = await w.tx
    .select({ n: sql<number>`count(*)` })
    .from(metadata)
    .where(eq(metadata.accountId, accountId));
  if ((count?.n ?? 0) > METADATA_LIMITS.maxEntriesPerAccount)
    throw new StoreError(
      "limit",
      `an account may have at most ${METADATA_LIMITS.maxEntriesPerAccount} annotations`,
    );
  if (changed.length > 0)
    w.changed({
      kind: "metadata-changed",
      accountId,
      mailboxId: mailboxId === SERVER_METADATA ? null : mailboxId,
      names: changed,
    });
}

/** DELETE of a mailbox: its annotations go with it (foreign keys are not enforced). */
export async function metadataDeleteMailbox(w: Write, accountId: number, mailboxId: number): Promise<void> {
  await w.tx
    .delete(metadata)
    .where(and(eq(metadata.accountId, accountId), eq(metadata.mailboxId, mailboxId)));
}

/** Deleting an account: every annotation of it. */
export async function metadataDeleteAccount(w: Write, accountId: number): Promise<void> {
  await w.tx.delete(metadata).where(eq(metadata.accountId, accountId));
}
