/**
 * The store's public face. Protocol servers and the API use this and nothing below it:
 * reads go straight to the database, writes go through the group-committing Writer, and changes
 * are published to `changes` after they commit.
 */
import { ChangeHub } from "./changes.ts";
import { CredentialCache, type CredentialCacheOptions } from "./credential-cache.ts";
import {
  type Database,
  DEFAULT_STORE_FEATURES,
  DEFAULT_STORE_LIMITS,
  openDatabase,
  type Reader,
  type StoreFeatures,
  type StoreLimits,
  type Write,
  Writer,
} from "./db.ts";
import { databaseFilePath } from "./files.ts";
import { mailboxRecentRaise } from "./mailbox-counters.ts";
import {
  checkpointConnection,
  databaseCopy,
  databaseOptimize,
  databaseTune,
  expungedOverLimit,
  expungedPrune,
  MAINTENANCE_LIMITS,
  vacuumIncremental,
  walCheckpoint,
  walCheckpointNoWait,
} from "./maintenance.ts";
import { type EmbeddedMigrations, migrate } from "./migrate.ts";
import { RecentClaims } from "./recent.ts";
import { SearchIndexer } from "./search-indexer.ts";
import { sortKeysBackfill } from "./sort-keys-backfill.ts";
import { DiskReserve } from "./space.ts";
import { UidCache } from "./uid-cache.ts";

export * from "./accounts.ts";
export * from "./acme.ts";
export { addressNormalize, domainNormalize } from "./addresses.ts";
export * from "./aliases.ts";
export * from "./authentication.ts";
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
export {
  CREDENTIAL_CACHE_DEFAULTS,
  CredentialCache,
  type CredentialCacheOptions,
} from "./credential-cache.ts";
export type { DailyReportRows, SentReportRow } from "./daily-reports.ts";
export {
  DEFAULT_STORE_LIMITS,
  type Reader,
  type StoreFeatures,
  type StoreLimits,
  type Write,
} from "./db.ts";
export * from "./dkim-keys.ts";
export * from "./dmarc-reports.ts";
export * from "./domains.ts";
export { isStorageFull, StoreError, type StoreErrorCode } from "./errors.ts";
export { accountAddressesOf, mailboxNamesOf } from "./event-names.ts";
export { databaseFileModes, databaseFilePath } from "./files.ts";
export * from "./flags.ts";
export * from "./greylist.ts";
export * from "./mailbox-keywords.ts";
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
export * from "./received-reports.ts";
export type { RecentClaims, RecentView, UidRange } from "./recent.ts";
export * from "./recipients.ts";
export * from "./spam-learns.ts";
export { Spool, SpoolDir } from "./spool.ts";
export { accountMessageCount } from "./usage.ts";
export * from "./webhooks.ts";

export interface HousekeepingReport {
  /** Expunged-UID rows forgotten (QRESYNC history beyond its bound). */
  expungedPruned: number;
  /** Pages given back to the file system (incremental vacuum). */
  pagesFreed: number;
  /** Pages that were in the WAL when it was checkpointed and truncated. */
  walPages: number;
}

export { type DatabaseFileSummary, databaseFileVerify, MAINTENANCE_LIMITS } from "./maintenance.ts";

export class Store {
  readonly changes = new ChangeHub();
  /** UIDs of recently selected mailboxes, kept in step with every commit (IMAP SELECT). */
  readonly uidCache = new UidCache();
  /** Logins verified recently, dropped when their account changes (credential-cache.ts). */
  readonly credentials: CredentialCache;
  /** Which session takes \Recent for which messages (IMAP, RFC 3501 §2.3.2), written behind to the mailbox rows. */
  readonly recent = new RecentClaims((mailboxId, uid) =>
    this.write((w) => mailboxRecentRaise(w, mailboxId, uid)),
  );
  readonly #database: Database;
  readonly #writer: Writer;
  /** The connection housekeeping checkpoints on, opened at its first run (maintenance.ts). */
  #checkpointer: ReturnType<typeof checkpointConnection> | undefined;
  #closing = false;
  /** The startup backfill of SORT/THREAD keys (sort-keys-backfill.ts); settles with its error, if any. */
  #sortKeys: Promise<unknown> = Promise.resolve();
  /** SEARCH's trigram index, written behind delivery in batches (search-indexer.ts). */
  readonly #searchIndex: SearchIndexer;

  /** The disk reserve (store/space.ts); undefined for remote databases or MAILROOM_DISK_RESERVE=0. */
  readonly reserve: DiskReserve | undefined;

  private constructor(
    database: Database,
    limits: StoreLimits,
    features: StoreFeatures,
    reserve: DiskReserve | undefined,
    credentials: CredentialCacheOptions,
  ) {
    this.#database = database;
    this.reserve = reserve;
    this.credentials = new CredentialCache(credentials);
    this.#searchIndex = new SearchIndexer(database.db, (fn) => this.write(fn));
    this.#writer = new Writer(
      database.db,
      (change) => {
        if (change.kind === "message-added") this.#searchIndex.schedule();
        this.uidCache.apply(change);
        this.credentials.apply(change);
        this.recent.apply(change);
        this.changes.publish(change);
      },
      limits,
      features,
      reserve,
      (id, header) => this.#searchIndex.keep(id, header),
    );
  }

  /** Opens the database and applies any pending migrations. */
  static async open(
    url: string,
    migrations: EmbeddedMigrations,
    options: {
      limits?: Partial<StoreLimits>;
      features?: Partial<StoreFeatures>;
      reserveBytes?: number;
      credentials?: CredentialCacheOptions;
    } = {},
  ): Promise<Store> {
    const database = await openDatabase(url);
    try {
      if (database.isLocalFile) await databaseTune(database.client);
      await migrate(database.db, migrations);
    } catch (error) {
      database.close();
      throw error;
    }
    // Only the server keeps a reserve (tools beside it pass nothing): `<database>.reserve`.
    const path = databaseFilePath(url);
    const reserve =
      path !== undefined && (options.reserveBytes ?? 0) > 0
        ? new DiskReserve(`${path}.reserve`, options.reserveBytes!)
        : undefined;
    reserve?.hold();
    const store = new Store(
      database,
      { ...DEFAULT_STORE_LIMITS, ...options.limits },
      { ...DEFAULT_STORE_FEATURES, ...options.features },
      reserve,
      options.credentials ?? {},
    );
    // Runs beside the first connections; SORT and THREAD wait for it (sortKeysReady()).
    store.#sortKeys = sortKeysBackfill(
      store.read,
      (fn) => store.write(fn),
      () => store.#closing,
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    // What an earlier process stored and did not index (it stopped first, or was killed).
    void store.#searchIndex.runNow();
    return store;
  }

  /** Settles once every content stored before the call is in SEARCH's trigram index (search-indexer.ts). */
  searchIndexSettled(): Promise<void> {
    return this.#searchIndex.settled();
  }

  /**
   * Settles once every stored content has its SORT/THREAD keys (contents stored by an older
   * release get them at startup); rejects if that backfill failed.
   */
  async sortKeysReady(): Promise<void> {
    const error = await this.#sortKeys;
    if (error !== undefined) throw error;
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

  /**
   * Periodic care (the server runs it every few minutes): forgets QRESYNC history beyond its bound,
   * gives free pages back after large deletions, refreshes planner statistics and truncates the WAL.
   */
  async housekeep(
    keepExpunged: number = MAINTENANCE_LIMITS.expungedKeepPerMailbox,
  ): Promise<HousekeepingReport> {
    const client = this.#database.client;
    let expungedPruned = 0;
    for (const mailboxId of await expungedOverLimit(client, keepExpunged)) {
      expungedPruned += await this.write((w) => expungedPrune(w, mailboxId, keepExpunged));
    }
    if (!this.#database.isLocalFile) return { expungedPruned, pagesFreed: 0, walPages: 0 };
    const path = this.#database.path;
    return this.#writer.exclusive(async () => {
      const pagesFreed = await vacuumIncremental(client);
      await databaseOptimize(client);
      this.#checkpointer ??= path === undefined ? undefined : checkpointConnection(path);
      const { walPages } = this.#checkpointer
        ? walCheckpointNoWait(this.#checkpointer)
        : await walCheckpoint(client);
      return { expungedPruned, pagesFreed, walPages };
    });
  }

  /** An online, consistent copy of the whole database into a new file (`mailroom backup`, POST /backups). */
  async backup(path: string): Promise<void> {
    await databaseCopy(this.#database.client, path);
  }

  /**
   * Commits what is queued, then leaves the file self-contained: statistics refreshed (PRAGMA
   * optimize) and the WAL checkpointed into the main file and truncated, so `mailroom.db` alone is a
   * complete database after a clean stop. A tool beside a running server passes `checkpoint: false`:
   * the server's own checkpoints keep the WAL, and a tool should not wait on the server's readers.
   */
  async close(options: { checkpoint?: boolean } = {}): Promise<void> {
    // The \Recent watermarks written behind go out while the writer still takes writes.
    await this.recent.settle();
    this.#closing = true;
    await this.#sortKeys;
    await this.#searchIndex.close();
    await this.#writer.close();
    if (this.#database.isLocalFile && options.checkpoint !== false) {
      try {
        await databaseOptimize(this.#database.client);
        await walCheckpoint(this.#database.client);
      } catch {
        // A full disk or another process's reader: the WAL stays and is replayed on the next open.
      }
    }
    this.#checkpointer?.close();
    this.#database.close();
  }
}
export { envelopeDecode, structureDecode } from "./content-codec.ts";
export * from "./fetch-rows.ts";
export * from "./imported.ts";
export * from "./mailbox-status.ts";
export * from "./metadata.ts";
export * from "./queue.ts";
export * from "./search.ts";
export * from "./search-index.ts";
export * from "./selection.ts";
export * from "./senders.ts";
export * from "./sort-rows.ts";
export * from "./stats.ts";
export * from "./subscriptions.ts";
export * from "./tls-reports.ts";
export * from "./traffic.ts";
export * from "./web-sessions.ts";
