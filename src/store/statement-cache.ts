/**
 * Prepared statements kept per connection for `@libsql/client`'s connections (the Writer's
 * transactions, drizzle's reads). Its execute() prepares the SQL text again on every call and lets
 * the statement go; profiled under smtp-source's 20 sessions of 1 KB messages (bench/README.md),
 * `Database.prepare` was 11% of the server's time, for the same dozen INSERTs and UPDATEs per
 * delivery. libsql's `Database.prepare` is wrapped, once per process, to hand back the statement it
 * prepared before for the same text on the same connection.
 *
 * Safe to share because `@libsql/client` runs every statement to completion synchronously (`all()`
 * or `run()`, never an open iterator), so a statement is never in use twice at once, and it sets the
 * same modes (raw, safeIntegers) before every use. SQLite re-prepares a kept statement by itself when
 * the schema changes (sqlite3_prepare_v2). Statements kept by their owner (read-statements.ts, for
 * the read connection and the Writer's) come from prepareKept(), outside this cache; a connection
 * that must never get a shared statement (the checkpointer's) is marked `uncachedConnection()`.
 *
 * Bounded: at most MAX_STATEMENTS texts per connection (least recently used dropped first); the
 * texts are ours, but IN lists of varying length make more of them.
 */
import Database from "libsql";

const MAX_STATEMENTS = 256;

type Connection = InstanceType<typeof Database>;
type Statement = ReturnType<Connection["prepare"]>;
type Prepare = (this: Connection, sql: string) => Statement;

const kept = new WeakMap<Connection, Map<string, Statement>>();
const uncached = new WeakSet<Connection>();
let installed = false;
let originalPrepare: Prepare | undefined;
/** While connectionOf() runs: the first connection that prepared a statement (null when not asked). */
let prepared: Connection | undefined | null = null;

/** Wraps libsql's Database.prepare (once per process). Throws when libsql no longer looks as expected. */
export function installStatementCache(): void {
  if (installed) return;
  const proto = Database.prototype as unknown as { prepare?: Prepare };
  const prepare = proto.prepare;
  if (typeof prepare !== "function")
    throw new Error("libsql internals changed: no Database.prototype.prepare");
  originalPrepare = prepare;
  proto.prepare = function cachedPrepare(this: Connection, sql: string): Statement {
    if (prepared === undefined) prepared = this;
    if (uncached.has(this)) return prepare.call(this, sql);
    let statements = kept.get(this);
    if (!statements) {
      statements = new Map();
      kept.set(this, statements);
    }
    const hit = statements.get(sql);
    if (hit) {
      // Most recently used last.
      statements.delete(sql);
      statements.set(sql, hit);
      return hit;
    }
    const statement = prepare.call(this, sql);
    statements.set(sql, statement);
    if (statements.size > MAX_STATEMENTS) {
      const oldest = statements.keys().next().value;
      if (oldest !== undefined) statements.delete(oldest);
    }
    return statement;
  };
  installed = true;
}

/** A connection that keeps its statements itself: prepare() on it is left as libsql has it. */
export function uncachedConnection(connection: Connection): void {
  uncached.add(connection);
}

/**
 * A statement of its own on `connection`, outside the shared cache: for code that sets the
 * statement's modes once and keeps it (read-statements.ts), where a shared one would have its modes
 * changed by `@libsql/client` between uses.
 */
export function prepareKept(connection: Connection, sql: string): Statement {
  return (originalPrepare ?? (Database.prototype as unknown as { prepare: Prepare }).prepare).call(
    connection,
    sql,
  );
}

/**
 * Runs `run` and says which connection it prepared its first statement on. `@libsql/client` keeps a
 * transaction's connection private; a transaction's execute() prepares its statement synchronously,
 * before its first await, so the connection seen here is that transaction's and no other's.
 */
export function connectionOf<T>(run: () => T): { result: T; connection: Connection | undefined } {
  prepared = undefined;
  try {
    const result = run();
    return { result, connection: prepared ?? undefined };
  } finally {
    prepared = null;
  }
}
