/**
 * The store's public face. Protocol servers and the API use this and nothing below it:
 * reads go straight to the database, writes go through the group-committing Writer, and changes
 * are published to `changes` after they commit.
 */
import { ChangeHub } from "./changes.ts";
import {
  type Database,
  DEFAULT_STORE_LIMITS,
  openDatabase,
  type Reader,
  type StoreLimits,
  type Write,
  Writer,
} from "./db.ts";
import { type EmbeddedMigrations, migrate } from "./migrate.ts";
import { UidCache } from "./uid-cache.ts";

export * from "./accounts.ts";
export { addressNormalize, domainNormalize } from "./addresses.ts";
export * from "./aliases.ts";
export { accountCatchEnsure, NO_PASSWORD, sentMailboxEnsure } from "./catch-accounts.ts";
export type { Change, ChangeListener } from "./changes.ts";
export {
  type ContentMeta,
  type ContentView,
  contentMeta,
  contentRaw,
  contentRawWithHeaderEnd,
  contentSlices,
  contentView,
} from "./contents.ts";
export { DEFAULT_STORE_LIMITS, type Reader, type StoreLimits, type Write } from "./db.ts";
export * from "./dkim-keys.ts";
export * from "./domains.ts";
export { isStorageFull, StoreError, type StoreErrorCode } from "./errors.ts";
export { accountAddressesOf, mailboxNamesOf } from "./event-names.ts";
export { databaseFileModes } from "./files.ts";
export * from "./flags.ts";
export * from "./mailboxes.ts";
export { messageMoveKeepId, messagesCopy, messagesMove } from "./message-copy-move.ts";
export * from "./message-expunge.ts";
export * from "./message-find.ts";
export * from "./message-flags.ts";
export * from "./message-ingest.ts";
export {
  type Message,
  type MessageListOptions,
  type MessageSummary,
  messageGet,
  messageList,
  messageSummaryGet,
  messagesOfMailbox,
  messagesPage,
} from "./message-read.ts";
export type { EmbeddedMigrations } from "./migrate.ts";
export * from "./mta-sts.ts";
export * from "./namespaces.ts";
export { passwordHash, passwordVerify } from "./passwords.ts";
export * from "./recipients.ts";
export { Spool, SpoolDir } from "./spool.ts";
export * from "./webhooks.ts";

export class Store {
  readonly changes = new ChangeHub();
  /** UIDs of recently selected mailboxes, kept in step with every commit (IMAP SELECT). */
  readonly uidCache = new UidCache();
  readonly #database: Database;
  readonly #writer: Writer;

  private constructor(database: Database, limits: StoreLimits) {
    this.#database = database;
    this.#writer = new Writer(
      database.db,
      (change) => {
        this.uidCache.apply(change);
        this.changes.publish(change);
      },
      limits,
    );
  }

  /** Opens the database and applies any pending migrations. */
  static async open(
    url: string,
    migrations: EmbeddedMigrations,
    options: { limits?: Partial<StoreLimits> } = {},
  ): Promise<Store> {
    const database = await openDatabase(url);
    try {
      await migrate(database.db, migrations);
    } catch (error) {
      database.close();
      throw error;
    }
    return new Store(database, { ...DEFAULT_STORE_LIMITS, ...options.limits });
  }

  /** For `mailroom migrate`: applies migrations and reports which ran. */
  static async migrateOnly(url: string, migrations: EmbeddedMigrations): Promise<string[]> {
    const database = await openDatabase(url);
    try {
      return await migrate(database.db, migrations);
    } finally {
      database.close();
    }
  }

  /** The read side: pass it to any store read function. Sees only committed data. */
  get read(): Reader {
    return this.#database.db;
  }

  /** Runs a write durably; the promise settles after COMMIT (grouped with concurrent writes). */
  write<T>(fn: (w: Write) => Promise<T>): Promise<T> {
    return this.#writer.run(fn);
  }

  /** A raw pragma/SQL escape hatch for tests and health checks. */
  async execute(sqlText: string): Promise<Array<Record<string, unknown>>> {
    const result = await this.#database.client.execute(sqlText);
    return result.rows as unknown as Array<Record<string, unknown>>;
  }

  async close(): Promise<void> {
    await this.#writer.close();
    this.#database.close();
  }
}
export * from "./fetch-rows.ts";
export * from "./mailbox-status.ts";
export * from "./queue.ts";
export * from "./search.ts";
export * from "./selection.ts";
export * from "./senders.ts";
export * from "./tls-reports.ts";
