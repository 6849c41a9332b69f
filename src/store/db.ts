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
import { BUSY_TIMEOUT_MS, installConnectionSetup } from "./connection-setup.ts";
import { isStorageFull } from "./errors.ts";
import { databaseFileCreate, databaseFilePath } from "./files.ts";
import { type KeptStatements, type ReadRow, ReadStatements } from "./read-statements.ts";
import * as schema from "./schema.ts";
import type { DiskReserve } from "./space.ts";
import { connectionOf, installStatementCache } from "./statement-cache.ts";
import { type ExecResult, writeStatementsOn } from "./write-statements.ts";

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
   * Runs on the transaction's connection directly where it can (write-statements.ts).
   */
  exec(statement: InStatement): Promise<ExecResult>;
  changed(change: Change): void;
  /**
   * A content was stored with these header bytes: after commit they go to the search indexer
   * (search-indexer.ts), which then need not read them back out of the blob (for a 20 MB message
   * SQLite's substr() would load all 20 MB). A rolled-back write hands nothing over.
   */
  contentStored(id: number, header: Uint8Array): void;
  /** The per-account limits the store enforces in this write. */
  limits: StoreLimits;
  /** What this store was opened to do besides storing (queueing spam lessons). */
  features: StoreFeatures;
  /** The disk reserve was given back (store/space.ts): new mail is refused, deletions go on. */
  lowSpace: boolean;
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

/** What a raw statement gives back: its rows, each by column name. */
export interface RawResult {
  rows: ReadRow[];
}

/** What rawOf() returns: one statement at a time, on the database or on an open transaction. */
export interface RawReader {
  execute(statement: InStatement): Promise<RawResult>;
}

/**
 * The kept statements of each open database (keyed by its drizzle handle: the read connection's) and
 * of the Writer's transaction while it is open (keyed by the drizzle transaction: its connection's).
 */
const readStatementsOf = new WeakMap<object, KeptStatements>();

/**
 * Raw statements on whatever a reader is (the database or an open transaction), for the few
 * per-message lookups where drizzle's query building costs more than the query. On the database of
 * a local file, reads run as statements prepared once on the read connection (read-statements.ts);
 * inside a transaction, on the transaction.
 */
export function rawOf(r: Reader): RawReader {
  const client = (r as unknown as { $client?: Client }).$client;
  const fallback = (client ?? libsqlTransactionOf(r as Tx)) as unknown as RawReader;
  const prepared = readStatementsOf.get(r);
  if (!prepared) return fallback;
  return {
    async execute(statement: InStatement): Promise<RawResult> {
      const plain = plainArgs(statement);
      const rows = plain ? prepared.all(plain.sql, plain.args) : undefined;
      return rows ? { rows } : fallback.execute(statement);
    },
  };
}

/** A statement's text and positional arguments, when every argument binds as it is; else undefined. */
function plainArgs(statement: InStatement): { sql: string; args: unknown[] } | undefined {
  if (typeof statement === "string") return { sql: statement, args: [] };
  const args = statement.args ?? [];
  return Array.isArray(args) && args.every(plainValue) ? { sql: statement.sql, args } : undefined;
}

/** The first row a raw statement returns, or undefined. */
export async function rawFirst(
  r: Reader,
  statement: InStatement,
): Promise<Record<string, unknown> | undefined> {
  const { rows } = await rawOf(r).execute(statement);
  return rows[0] as Record<string, unknown> | undefined;
}

/** A read that names its columns by position: values in SELECT order. */
export interface PositionalRead {
  sql: string;
  args: unknown[];
}

/**
 * Every row of a read as an array of values in SELECT order: the cheapest shape, for the reads a
 * protocol does per command (prepared once on the read connection; on a transaction, or a database
 * that is not a local file, through the client).
 */
export async function readArrays(r: Reader, statement: PositionalRead): Promise<unknown[][]> {
  const prepared = readStatementsOf.get(r);
  const rows =
    prepared && statement.args.every(plainValue) ? prepared.arrays(statement.sql, statement.args) : undefined;
  if (rows) return rows;
  const result = await rawOf(r).execute(statement as InStatement);
  return result.rows.map((row) => Array.from(row as unknown as ArrayLike<unknown>));
}

/** The first row of a read as an array in SELECT order, or undefined when there is none. */
export async function readFirst(r: Reader, statement: PositionalRead): Promise<unknown[] | undefined> {
  const prepared = readStatementsOf.get(r);
  const row =
    prepared && statement.args.every(plainValue) ? prepared.first(statement.sql, statement.args) : undefined;
  if (row !== undefined) return row ?? undefined;
  return (await readArrays(r, statement))[0];
}

/** Values the read connection binds as they are; anything else (booleans, dates) goes through the client. */
function plainValue(value: unknown): boolean {
  const type = typeof value;
  return (
    value === null ||
    (type === "number" && Number.isFinite(value)) ||
    type === "string" ||
    type === "bigint" ||
    value instanceof Uint8Array
  );
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
  /** The database file's path on this machine; undefined for ":memory:" and remote databases. */
  path: string | undefined;
  db: Db;
  isLocalFile: boolean;
  close(): void;
}

export async function openDatabase(url: string): Promise<Database> {
  const isLocalFile = url.startsWith("file:");
  // Before libSQL creates it with the umask's mode (0644 under the usual 022): see files.ts.
  if (isLocalFile) databaseFileCreate(url);
  // Before the client's first connection: its statements are kept prepared (statement-cache.ts).
  installStatementCache();
  // Every connection the pool opens gets the per-connection settings first (connection-setup.ts).
  installConnectionSetup();
  const client = createClient({ url, timeout: BUSY_TIMEOUT_MS } as Parameters<typeof createClient>[0]);
  const path = databaseFilePath(url);
  if (isLocalFile) {
    // File-only setting, in this one marked spot: WAL persists in the file. The per-connection ones
    // (synchronous=FULL, busy_timeout, ...) are made on each connection (connection-setup.ts).
    await client.execute("PRAGMA journal_mode = WAL");
  }
  const db = drizzle(client, { schema });
  // A file on this machine (not ":memory:", which exists only on the connection that opened it).
  const prepared = path === undefined ? undefined : new ReadStatements(path, { timeoutMs: BUSY_TIMEOUT_MS });
  if (prepared) readStatementsOf.set(db, prepared);
  return {
    client,
    path,
    db,
    isLocalFile,
    close: () => {
      prepared?.close();
      client.close();
    },
  };
}

interface Job {
  fn: (w: Write) => Promise<unknown>;
  /** Runs alone, with no transaction open (checkpoints, VACUUM, backups): see Writer.exclusive(). */
  outside?: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** How one write of a group ended: its value and what to hand on after commit, or its error. */
type Outcome =
  | { ok: true; value: unknown; changes: Change[]; stored: Array<[number, Uint8Array]> }
  | { ok: false; error: unknown };

/** Most writes one transaction carries; bounds the latency a big group adds to its first member. */
const MAX_GROUP = 256;

/** Turns of the event loop a group waits at most for writes still arriving (see #drain). */
const MAX_GATHER_TURNS = 8;

/** The cheapest statement that returns data (the client's other path throws and catches once). */
const CONNECTION_PROBE = "SELECT 0 WHERE 0";

/** One turn of the event loop: every I/O callback already pending runs first. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Writer {
  readonly #db: Db;
  readonly #publish: (change: Change) => void;
  readonly #contentStored: (id: number, header: Uint8Array) => void;
  #queue: Job[] = [];
  #draining = false;
  #closed = false;
  #idle: Promise<void> = Promise.resolve();
  #idleResolve: (() => void) | undefined;
  /** How many writes the last group carried: more than one means writers are concurrent. */
  #lastGroup = 0;

  readonly #limits: StoreLimits;
  readonly #features: StoreFeatures;
  readonly #reserve: DiskReserve | undefined;

  constructor(
    db: Db,
    publish: (change: Change) => void,
    limits: StoreLimits = DEFAULT_STORE_LIMITS,
    features: StoreFeatures = DEFAULT_STORE_FEATURES,
    reserve?: DiskReserve,
    contentStored: (id: number, header: Uint8Array) => void = () => {},
  ) {
    this.#db = db;
    this.#publish = publish;
    this.#contentStored = contentStored;
    this.#limits = limits;
    this.#features = features;
    this.#reserve = reserve;
  }

  /** Runs `fn` inside a durable transaction (possibly shared with other writes) and returns its result after commit. */
  run<T>(fn: (w: Write) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("store is closed"));
    return new Promise<T>((resolve, reject) => {
      this.#enqueue({ fn, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  /**
   * Runs `fn` between two groups, when no write transaction of this process is open. libSQL's local
   * driver is synchronous, so a checkpoint or VACUUM waiting (busy timeout) on a transaction this
   * same thread holds open would wait for nothing; queued here, it never meets one.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("store is closed"));
    return new Promise<T>((resolve, reject) => {
      this.#enqueue({
        fn: async () => undefined,
        outside: fn,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
    });
  }

  #enqueue(job: Job): void {
    this.#queue.push(job);
    if (this.#draining) return;
    this.#draining = true;
    this.#idle = new Promise((r) => {
      this.#idleResolve = r;
    });
    void this.#drain();
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
        await nextTurn();
        // Under concurrent writers (the last group carried more than one), writes still on their way
        // (deliveries finishing their checks) arrive over the next few turns: wait while each turn
        // brings more, so that they share this group's fsync instead of each paying one of their own.
        // 20 SMTP sessions: ~10-20 % more messages per second (bench/README.md, round 7). A lone
        // writer never waits.
        if (this.#lastGroup > 1) {
          for (let turn = 0; turn < MAX_GATHER_TURNS && this.#queue.length < MAX_GROUP; turn++) {
            const queued = this.#queue.length;
            await nextTurn();
            if (this.#queue.length === queued) break;
          }
        }
        const first = this.#queue[0]!;
        if (first.outside) {
          this.#queue.shift();
          await first.outside().then(first.resolve, first.reject);
          continue;
        }
        const until = this.#queue.findIndex((job) => job.outside !== undefined);
        const group = this.#queue.splice(0, Math.min(MAX_GROUP, until === -1 ? MAX_GROUP : until));
        this.#reserve?.recheck();
        this.#lastGroup = group.length;
        await this.#commitGroup(group, true);
      }
    } finally {
      this.#draining = false;
      this.#idleResolve?.();
    }
  }

  /**
   * Commits a group. A disk-full failure gives the reserve back (store/space.ts) and, when that freed
   * space, runs the writes that failed once more: deletions then succeed, new mail is refused.
   */
  async #commitGroup(group: Job[], mayRetry: boolean): Promise<void> {
    const outcomes: Outcome[] = [];
    /** When the last job finished and COMMIT (with its fsync) began. */
    let commitStarted = 0;
    try {
      await this.#db.transaction(async (tx) => {
        const raw = libsqlTransactionOf(tx);
        // A first statement through the client shows the transaction's connection (the client keeps
        // it private); every statement after it runs there directly, and so do reads inside write
        // functions (rawOf(tx), readArrays(tx)). The probe costs ~6 us per group.
        const probe = connectionOf(() => raw.execute(CONNECTION_PROBE));
        await probe.result;
        const direct = probe.connection?.inTransaction ? writeStatementsOn(probe.connection) : undefined;
        if (direct) readStatementsOf.set(tx, direct);
        const exec = async (statement: InStatement): Promise<ExecResult> => {
          const plain = direct ? plainArgs(statement) : undefined;
          if (plain) return direct!.run(plain.sql, plain.args);
          return (await raw.execute(statement)) as unknown as ExecResult;
        };
        for (const job of group) {
          const changes: Change[] = [];
          const stored: Array<[number, Uint8Array]> = [];
          const write: Write = {
            tx,
            exec,
            changed: (c) => changes.push(c),
            contentStored: (id, header) => stored.push([id, header]),
            limits: this.#limits,
            features: this.#features,
            lowSpace: this.#reserve?.low ?? false,
          };
          if (group.length === 1) {
            // Alone in its transaction: a failure rolls the whole transaction back, no savepoint needed.
            outcomes.push({ ok: true, value: await job.fn(write), changes, stored });
            continue;
          }
          // A savepoint per job: its failure rolls back its own statements only.
          await exec("SAVEPOINT job");
          try {
            const value = await job.fn(write);
            await exec("RELEASE job");
            outcomes.push({ ok: true, value, changes, stored });
          } catch (error) {
            await exec("ROLLBACK TO job");
            await exec("RELEASE job");
            outcomes.push({ ok: false, error });
          }
        }
        commitStarted = performance.now();
      });
    } catch (error) {
      // BEGIN or COMMIT failed (disk full, I/O error), or the single job failed: nothing is durable.
      if (mayRetry && isStorageFull(error) && this.#reserve?.onFull()) return this.#commitGroup(group, false);
      metrics.commitFailed();
      for (const job of group) job.reject(error);
      return;
    }
    // Some writes of the group met a full disk (their savepoints rolled back): once more, with room.
    const full = group.filter((_, i) => {
      const outcome = outcomes[i]!;
      return !outcome.ok && isStorageFull(outcome.error);
    });
    if (mayRetry && full.length > 0 && this.#reserve?.onFull()) {
      const retried = new Set(full);
      const rest = group.filter((job) => !retried.has(job));
      const restOutcomes = outcomes.filter((_, i) => !retried.has(group[i]!));
      this.#settle(rest, restOutcomes, commitStarted);
      await this.#commitGroup(full, false);
      return;
    }
    this.#settle(group, outcomes, commitStarted);
  }

  #settle(group: Job[], outcomes: Outcome[], commitStarted: number): void {
    metrics.committed(group.length, commitStarted);
    group.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) {
        for (const [id, header] of outcome.stored) this.#contentStored(id, header);
        for (const change of outcome.changes) this.#publish(change);
        job.resolve(outcome.value);
      } else {
        job.reject(outcome.error);
      }
    });
  }
}

/** Reads one column of a raw result row into a field's type. */
export type Decode<V> = (value: unknown) => V;

/** Column decoders beside Number and String. */
export const decode = {
  /** A text column holding one of a known set of values (the schema's CHECK or the writer keeps it so). */
  oneOf:
    <V extends string>(): Decode<V> =>
    (value) =>
      String(value) as V,
  /** A text column holding JSON written by the store. */
  json:
    <V>(): Decode<V> =>
    (value) =>
      JSON.parse(String(value)) as V,
  numberOrNull: ((value) => (value === null || value === undefined ? null : Number(value))) as Decode<
    number | null
  >,
};

/**
 * A mapper from a raw result row to a record: each field names its decoder, and its column when that
 * is not the field's name in snake_case (`uidNext` reads `uid_next`).
 */
export function rowDecoder<T>(
  spec: {
    [K in keyof T]: Decode<T[K]> | readonly [column: string, Decode<T[K]>];
  },
): (row: Record<string, unknown>) => T {
  const fields = Object.entries(
    spec as Record<string, Decode<unknown> | readonly [string, Decode<unknown>]>,
  ).map(([key, s]) =>
    typeof s === "function"
      ? ([key, key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), s] as const)
      : ([key, s[0], s[1]] as const),
  );
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const [key, column, read] of fields) out[key] = read(row[column]);
    return out as T;
  };
}
