/**
 * Keeping the database file healthy while the server runs and when it stops: WAL checkpoints that
 * truncate the -wal file (so `mailroom.db` alone holds the data after a clean stop), incremental
 * vacuum after large deletions, `PRAGMA optimize`, the bounded QRESYNC history, and online backups.
 * Everything that needs the write lock runs through Writer.exclusive() (see there why).
 */
import { type Client, createClient } from "@libsql/client";
import Database from "libsql";
import { connectionSetup } from "./connection-setup.ts";
import type { Write } from "./db.ts";
import { uncachedConnection } from "./statement-cache.ts";

export const MAINTENANCE_LIMITS = {
  /**
   * Expunged UIDs remembered per mailbox for QRESYNC (RFC 7162 §3.2.10): a row per UID forever was
   * 4.3 MiB per 100k expunges. Older ones are forgotten; a client resynchronising from before them
   * is told every missing UID instead (RFC 7162 §3.2.5.2), which is correct, only longer.
   */
  expungedKeepPerMailbox: 10_000,
  /** Free pages that make housekeeping give space back (PRAGMA incremental_vacuum). */
  vacuumFreePagesAbove: 1024,
  /** Pages given back per step, so one step holds the write lock for milliseconds, not seconds. */
  vacuumPagesPerStep: 4096,
} as const;

/** auto_vacuum's value for INCREMENTAL (PRAGMA auto_vacuum). */
const AUTO_VACUUM_INCREMENTAL = 2;

async function pragmaNumber(client: Client, pragma: string): Promise<number> {
  const { rows } = await client.execute(`PRAGMA ${pragma}`);
  const row = rows[0];
  return row ? Number(Object.values(row)[0]) : 0;
}

/**
 * Per-file settings made at open, before migrations. auto_vacuum only takes effect on an empty
 * database or after a VACUUM: a new file gets it for free; an existing one (made before this
 * setting) is vacuumed once, which rewrites it and may take a while. Returns whether that happened.
 */
export async function databaseTune(client: Client): Promise<{ vacuumed: boolean }> {
  if ((await pragmaNumber(client, "auto_vacuum")) === AUTO_VACUUM_INCREMENTAL) return { vacuumed: false };
  // The setting belongs to this connection until a VACUUM writes it into the file; the pooled
  // connection that runs the migrations would create the tables without it. On a new file it is instant.
  const isNew = (await pragmaNumber(client, "page_count")) <= 1;
  await client.execute(`PRAGMA auto_vacuum = ${AUTO_VACUUM_INCREMENTAL}`);
  await client.execute("VACUUM");
  return { vacuumed: !isNew };
}

/**
 * PRAGMA wal_checkpoint(TRUNCATE): copies the WAL into the main file and empties it. On stop this
 * makes `mailroom.db` self-contained (a fault run found every table still in the -wal after SIGTERM).
 */
export async function walCheckpoint(client: Client): Promise<{ busy: boolean; walPages: number }> {
  const { rows } = await client.execute("PRAGMA wal_checkpoint(TRUNCATE)");
  const row = rows[0] as Record<string, unknown> | undefined;
  return { busy: Number(row?.busy ?? 0) !== 0, walPages: Number(row?.log ?? 0) };
}

/**
 * The connection the running server checkpoints on: its own, with busy_timeout 0. libSQL's driver
 * is synchronous, so a checkpoint that waits waits on the event loop. TRUNCATE (like RESTART and
 * FULL) waits in the busy handler until every reader is done with the WAL
 * (https://sqlite.org/c3ref/wal_checkpoint_v2.html), and a reader in another process can take long:
 * the backup child's VACUUM INTO holds one for the whole copy, which stalled /healthz for the
 * busy timeout (10 s) when housekeeping ran during a backup. Without a busy handler, SQLite carries
 * on as PASSIVE ("checkpointing as many frames as possible without blocking") and reports busy; the
 * next run truncates. Statements are its own (not the shared statement cache).
 */
export function checkpointConnection(path: string): InstanceType<typeof Database> {
  const connection = new Database(path, { timeout: 0 });
  uncachedConnection(connection);
  connectionSetup(connection, 0);
  return connection;
}

/** PRAGMA wal_checkpoint(TRUNCATE) on a checkpointConnection(): truncates if it can, never waits. */
export function walCheckpointNoWait(connection: InstanceType<typeof Database>): {
  busy: boolean;
  walPages: number;
  checkpointed: number;
} {
  const row = connection.prepare("PRAGMA wal_checkpoint(TRUNCATE)").get() as Record<string, unknown>;
  return {
    busy: Number(row?.busy ?? 0) !== 0,
    walPages: Number(row?.log ?? 0),
    checkpointed: Number(row?.checkpointed ?? 0),
  };
}

/** Gives free pages back to the file system when there are many (after large deletions). */
export async function vacuumIncremental(client: Client): Promise<number> {
  const free = await pragmaNumber(client, "freelist_count");
  if (free <= MAINTENANCE_LIMITS.vacuumFreePagesAbove) return 0;
  const pages = Math.min(free, MAINTENANCE_LIMITS.vacuumPagesPerStep);
  // executeMultiple() steps the pragma to its end (sqlite3_exec); execute() steps it once, which
  // frees one page and leaves the statement open, so the next checkpoint fails with SQLITE_LOCKED.
  await client.executeMultiple(`PRAGMA incremental_vacuum(${pages});`);
  return pages;
}

/** PRAGMA optimize: lets SQLite refresh the statistics its query planner uses (SQLite docs advise it on close). */
export async function databaseOptimize(client: Client): Promise<void> {
  await client.execute("PRAGMA optimize");
}

/** Mailboxes whose expunged history is longer than `keep`. */
export async function expungedOverLimit(client: Client, keep: number): Promise<number[]> {
  const { rows } = await client.execute({
    sql: "SELECT mailbox_id FROM expunged GROUP BY mailbox_id HAVING count(*) > ?",
    args: [keep],
  });
  return rows.map((row) => Number(row.mailbox_id));
}

/**
 * Forgets the oldest expunged UIDs of a mailbox beyond `keep`, and raises its floor to the highest
 * MODSEQ forgotten: below the floor, QRESYNC answers from the UIDs missing from the mailbox instead.
 * Returns the rows removed.
 */
export async function expungedPrune(w: Write, mailboxId: number, keep: number): Promise<number> {
  const cut = await w.exec({
    sql: "SELECT modseq FROM expunged WHERE mailbox_id = ? ORDER BY modseq DESC LIMIT 1 OFFSET ?",
    args: [mailboxId, keep],
  });
  if (cut.rows.length === 0) return 0;
  const floor = Number(cut.rows[0]!.modseq);
  const removed = await w.exec({
    sql: "DELETE FROM expunged WHERE mailbox_id = ? AND modseq <= ?",
    args: [mailboxId, floor],
  });
  await w.exec({
    sql: "UPDATE mailboxes SET expunged_floor = max(expunged_floor, ?) WHERE id = ?",
    args: [floor, mailboxId],
  });
  return removed.rowsAffected;
}

/**
 * A consistent copy of the whole database in a new file (VACUUM INTO), taken while the server serves:
 * a read transaction sees exactly the commits before it started, and writers are not blocked (WAL).
 */
export async function databaseCopy(client: Client, path: string): Promise<void> {
  await client.execute({ sql: "VACUUM INTO ?", args: [path] });
}

/** What a backup file holds, as read back by opening it. */
export interface DatabaseFileSummary {
  accounts: number;
  messages: number;
  migrations: number;
}

/**
 * Opens a database file on its own and checks it: PRAGMA integrity_check must say "ok" and the
 * Mailroom tables must be there. Throws with the reason otherwise. Never writes to the file.
 */
export async function databaseFileVerify(path: string): Promise<DatabaseFileSummary> {
  const client = createClient({ url: `file:${path}` });
  try {
    const check = await client.execute("PRAGMA integrity_check");
    const verdict = String(Object.values(check.rows[0] ?? {})[0] ?? "");
    if (verdict !== "ok") throw new Error(`integrity check failed: ${verdict}`);
    const count = async (table: string) => {
      const { rows } = await client.execute(`SELECT count(*) AS n FROM ${table}`);
      return Number(rows[0]!.n);
    };
    return {
      accounts: await count("accounts"),
      messages: await count("messages"),
      migrations: await count("__drizzle_migrations"),
    };
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(/no such table/.test(message) ? `not a Mailroom database (${message})` : message);
  } finally {
    client.close();
  }
}
