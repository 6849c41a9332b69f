/**
 * The per-connection settings, made on every connection the store opens to the database file: the
 * `@libsql/client` pool's connections (opened lazily, one more whenever a transaction holds the
 * others: the Writer's, drizzle's reads, checkpoints), the read connection (read-statements.ts) and
 * the checkpoint connection (checkpointer.ts). SQLite keeps these per connection, not in the file
 * (https://sqlite.org/pragma.html): a fault run found journal_size_limit on the one connection that
 * ran databaseTune() and -1 (never truncate) on every other, so the -wal grew to its largest burst
 * and stayed there. libSQL's build happens to default synchronous to FULL and foreign_keys to on;
 * they are set here anyway, so that durability does not rest on a compile-time default.
 *
 * The pool gives no hook for a connection it opens, so libsql's Database.prepare and exec (the
 * only ways the client ever uses a connection) are wrapped, once per process, to run the settings
 * before a connection's first statement, i.e. before any transaction on it (foreign_keys is a no-op
 * inside one).
 */
import Database from "libsql";

type Connection = InstanceType<typeof Database>;
type Run = (this: Connection, sql: string) => unknown;

/** Busy timeout: how long a statement waits for another process (e.g. `mailroom migrate`) holding a lock. */
export const BUSY_TIMEOUT_MS = 10_000;

/**
 * The -wal file is truncated to this after a checkpoint resets it (PRAGMA journal_size_limit): without
 * it, one burst of deliveries leaves a WAL as large as the burst on disk for good.
 */
export const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * The settings, as one exec() text. synchronous=FULL: every commit fsyncs the WAL, which is what lets
 * SMTP say 250 after a commit (https://sqlite.org/pragma.html#pragma_synchronous: NORMAL in WAL mode
 * may lose the last commits on power loss). foreign_keys: the schema's ON DELETE CASCADE clauses act.
 */
export function connectionPragmas(busyTimeoutMs: number = BUSY_TIMEOUT_MS): string {
  return [
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    `PRAGMA busy_timeout = ${busyTimeoutMs}`,
    `PRAGMA journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`,
  ].join(";\n");
}

const configured = new WeakSet<Connection>();
let originalExec: Run | undefined;

/** Makes the settings on `connection` now (the read and checkpoint connections call it at open). */
export function connectionSetup(connection: Connection, busyTimeoutMs: number = BUSY_TIMEOUT_MS): void {
  configured.add(connection);
  const exec = originalExec ?? (Database.prototype as unknown as { exec: Run }).exec;
  exec.call(connection, connectionPragmas(busyTimeoutMs));
}

/** Wraps Database.prepare and exec (once per process) so that a pool connection is set up before first use. */
export function installConnectionSetup(): void {
  if (originalExec) return;
  const proto = Database.prototype as unknown as Record<"prepare" | "exec", unknown>;
  const prepare = proto.prepare;
  const exec = proto.exec;
  if (typeof prepare !== "function" || typeof exec !== "function")
    throw new Error("libsql internals changed: no Database.prototype.prepare/exec");
  originalExec = exec as Run;
  const first = (connection: Connection) => {
    // A connection of an in-memory database, or one already closed, is left as it is.
    if (configured.has(connection) || connection.memory || !connection.open) return;
    connectionSetup(connection);
  };
  proto.prepare = function setUpPrepare(this: Connection, sql: string) {
    first(this);
    return (prepare as Run).call(this, sql);
  };
  proto.exec = function setUpExec(this: Connection, sql: string) {
    first(this);
    return (exec as Run).call(this, sql);
  };
}
