/**
 * Opening the database and the single write path.
 *
 * Every write in the process goes through `Writer.run()`. Writes that arrive while a commit is in
 * flight are grouped into the next transaction, each inside its own SAVEPOINT, so one fsync covers
 * many deliveries (FACTS.md: ~10x over a commit per message) while a failing write still rolls back
 * alone. A caller's promise settles only after COMMIT returned, i.e. after the WAL was fsync'd
 * (synchronous=FULL): that is what lets SMTP say 250 and POP3 say +OK safely.
 */
import {
  type Client,
  createClient,
  type InStatement,
  type ResultSet,
  type Transaction,
} from "@libsql/client";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import type { SQLiteTransaction } from "drizzle-orm/sqlite-core";
import { metrics } from "../metrics/mod.ts";
import type { Change } from "./changes.ts";
import { databaseFileCreate } from "./files.ts";
import * as schema from "./schema.ts";

export type Schema = typeof schema;
export type Db = LibSQLDatabase<Schema>;
export type Tx = SQLiteTransaction<"async", ResultSet, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything that can run a read: the database itself or an open transaction. */
export type Reader = Db | Tx;

/** What a write function gets: the transaction, and a place to record changes to publish after commit. */
export interface Write {
  tx: Tx;
  /**
   * Runs one SQL statement on the same transaction without drizzle's query building, which costs
   * about three times a raw execute (22-39 µs against 8 µs here). Only for the per-message hot path.
   */
  exec(statement: InStatement): Promise<ResultSet>;
  changed(change: Change): void;
  /** The per-account limits the store enforces in this write. */
  limits: StoreLimits;
  /** What this store was opened to do besides storing (queueing spam lessons). */
  features: StoreFeatures;
}

/** Optional work some writes do as part of their transaction, switched on by the composition root. */
export interface StoreFeatures {
  /**
   * Moves into and out of Junk (and $Junk/$NotJunk) queue a lesson for the spam filter
   * (spam-learns.ts); on only when a filter that learns (rspamd) is configured.
   */
  spamLearning: boolean;
}

export const DEFAULT_STORE_FEATURES: StoreFeatures = { spamLearning: false };

/** Limits the store enforces on every write, whichever protocol asked (IMAP, REST, delivery). */
export interface StoreLimits {
  /**
   * Mailboxes one account may have (MAILROOM_MAX_MAILBOXES). Every mailbox costs every LIST, LSUB
   * and STATUS of its account: without a cap one user can create enough of them to stall the server.
   */
  maxMailboxesPerAccount: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = { maxMailboxesPerAccount: 1000 };

/**
 * Raw statements on whatever a reader is (the database or an open transaction), for the few
 * per-message lookups where drizzle's query building costs more than the query.
 */
export function rawOf(r: Reader): { execute(statement: InStatement): Promise<ResultSet> } {
  const client = (r as unknown as { $client?: Client }).$client;
  return client ?? libsqlTransactionOf(r as Tx);
}

/**
 * A BLOB column of a raw statement's row as bytes: libSQL hands BLOBs back as ArrayBuffer, and
 * substr() of an empty range may come back as "".
 */
export function blobBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return new TextEncoder().encode(String(value ?? ""));
}

/** The libSQL transaction under a drizzle one (drizzle keeps it as `session.tx`). */
function libsqlTransactionOf(tx: Tx): Transaction {
  const inner = (tx as unknown as { session?: { tx?: Transaction } }).session?.tx;
  if (!inner || typeof inner.execute !== "function") {
    throw new Error("drizzle-orm internals changed: no libSQL transaction under the drizzle transaction");
  }
  return inner;
}

export interface Database {
  client: Client;
  db: Db;
  isLocalFile: boolean;
  close(): void;
}

/** Busy timeout for a second process (e.g. `mailroom migrate`) holding the write lock. */
const BUSY_TIMEOUT_MS = 10_000;

export async function openDatabase(url: string): Promise<Database> {
  const isLocalFile = url.startsWith("file:");
  // Before libSQL creates it with the umask's mode (0644 under the usual 022): see files.ts.
  if (isLocalFile) databaseFileCreate(url);
  const client = createClient({ url, timeout: BUSY_TIMEOUT_MS } as Parameters<typeof createClient>[0]);
  if (isLocalFile) {
    // File-only settings, in this one marked spot. WAL persists in the file; synchronous=FULL makes
    // every commit fsync the WAL. Pooled connections opened later start with synchronous=FULL too
    // (libSQL's default, checked by test/store/durability.test.ts).
    await client.execute("PRAGMA journal_mode = WAL");
    await client.execute("PRAGMA synchronous = FULL");
  }
  return { client, db: drizzle(client, { schema }), isLocalFile, close: () => client.close() };
}

interface Job {
  fn: (w: Write) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Most writes one transaction carries; bounds the latency a big group adds to its first member. */
const MAX_GROUP = 256;

export class Writer {
  readonly #db: Db;
  readonly #publish: (change: Change) => void;
  #queue: Job[] = [];
  #draining = false;
  #closed = false;
  #idle: Promise<void> = Promise.resolve();
  #idleResolve: (() => void) | undefined;

  readonly #limits: StoreLimits;
  readonly #features: StoreFeatures;

  constructor(
    db: Db,
    publish: (change: Change) => void,
    limits: StoreLimits = DEFAULT_STORE_LIMITS,
    features: StoreFeatures = DEFAULT_STORE_FEATURES,
  ) {
    this.#db = db;
    this.#publish = publish;
    this.#limits = limits;
    this.#features = features;
  }

  /** Runs `fn` inside a durable transaction (possibly shared with other writes) and returns its result after commit. */
  run<T>(fn: (w: Write) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("store is closed"));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#draining) {
        this.#draining = true;
        this.#idle = new Promise((r) => {
          this.#idleResolve = r;
        });
        void this.#drain();
      }
    });
  }

  /** Stops accepting writes and waits for those already queued to commit. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#idle;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        // libSQL's local driver runs statements synchronously, so a transaction never yields to the
        // event loop. Waiting one turn before each group lets every socket event already pending
        // (other deliveries) queue its write first, so they share one transaction and one fsync.
        await new Promise<void>((r) => setImmediate(r));
        const group = this.#queue.splice(0, MAX_GROUP);
        await this.#commitGroup(group);
      }
    } finally {
      this.#draining = false;
      this.#idleResolve?.();
    }
  }

  async #commitGroup(group: Job[]): Promise<void> {
    const outcomes: Array<{ ok: true; value: unknown; changes: Change[] } | { ok: false; error: unknown }> =
      [];
    /** When the last job finished and COMMIT (with its fsync) began. */
    let commitStarted = 0;
    try {
      await this.#db.transaction(async (tx) => {
        const raw = libsqlTransactionOf(tx);
        const exec = (statement: InStatement) => raw.execute(statement);
        for (const job of group) {
          const changes: Change[] = [];
          const write: Write = {
            tx,
            exec,
            changed: (c) => changes.push(c),
            limits: this.#limits,
            features: this.#features,
          };
          if (group.length === 1) {
            // Alone in its transaction: a failure rolls the whole transaction back, no savepoint needed.
            outcomes.push({ ok: true, value: await job.fn(write), changes });
            continue;
          }
          // A savepoint per job: its failure rolls back its own statements only.
          await raw.execute("SAVEPOINT job");
          try {
            const value = await job.fn(write);
            await raw.execute("RELEASE job");
            outcomes.push({ ok: true, value, changes });
          } catch (error) {
            await raw.execute("ROLLBACK TO job");
            await raw.execute("RELEASE job");
            outcomes.push({ ok: false, error });
          }
        }
        commitStarted = performance.now();
      });
    } catch (error) {
      // BEGIN or COMMIT failed (disk full, I/O error), or the single job failed: nothing is durable.
      metrics.commitFailed();
      for (const job of group) job.reject(error);
      return;
    }
    metrics.committed(group.length, commitStarted);
    group.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) {
        for (const change of outcome.changes) this.#publish(change);
        job.resolve(outcome.value);
      } else {
        job.reject(outcome.error);
      }
    });
  }
}
