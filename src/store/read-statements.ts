/**
 * The read side's prepared statements: one connection of its own to the database file, opened with
 * the synchronous `libsql` driver (the one `@libsql/client` wraps), and every SQL text prepared once
 * and kept. Measured on this machine (bench/README.md): `@libsql/client`'s execute() prepares the
 * statement again on every call and asks for its columns twice, so reading one 1 KB blob by key took
 * 36 µs and a FETCH row 87 µs; the same statements prepared once take 8 and 11 µs. Reads are what
 * POP3 RETR, IMAP FETCH and SELECT do per command, so this is where their time went.
 *
 * Same answers as before: a separate connection in WAL mode sees exactly the last committed state,
 * as the client pool's connections did (the writer holds its own connection for its transaction).
 * Every statement runs to completion (`all()`) or is reset by `get()`, so no read transaction stays
 * open between commands and checkpoints are never held back.
 */
import Database from "libsql";
import { connectionSetup } from "./connection-setup.ts";
import { prepareKept } from "./statement-cache.ts";

/** One row by column name, as `@libsql/client` gives them (BLOBs as Buffer, integers as number). */
export type ReadRow = Record<string, unknown>;

/**
 * Distinct SQL texts kept prepared at most (least recently used dropped first). The hot statements
 * are a few dozen; IN lists of varying length (fetch-rows.ts) make more texts, and this bounds them.
 */
const MAX_STATEMENTS = 256;

type Connection = InstanceType<typeof Database>;
type Statement = ReturnType<Connection["prepare"]>;

/** Rows as objects by column name, or as arrays in SELECT order (cheaper: ~2 µs less for 8 columns). */
type Shape = "objects" | "arrays";

/** A kept statement, and whether it returns rows (asked once: each ask is a call into the driver). */
export interface Kept {
  statement: Statement;
  reader: boolean;
}

/**
 * Statements prepared once on one connection and kept, in the row shape asked for. Reads only,
 * unless made `writes: true` (the Writer's connection, write-statements.ts). They are prepared
 * outside the shared cache (prepareKept): kept here in two row shapes, where the shared cache would
 * hand one statement to both.
 */
export class KeptStatements {
  protected readonly connection: Connection;
  readonly #writes: boolean;
  readonly #statements = new Map<string, Kept>();

  constructor(connection: Connection, options: { writes: boolean }) {
    this.connection = connection;
    this.#writes = options.writes;
  }

  /**
   * The statement for `sql` in one row shape, prepared on first use; undefined for one that writes
   * on a read-only set (those belong to the Writer's transaction, never to the read connection).
   */
  protected statement(sql: string, shape: Shape): Kept | undefined {
    const key = shape === "arrays" ? `[]${sql}` : sql;
    let kept = this.#statements.get(key);
    if (kept) {
      // Most recently used last.
      this.#statements.delete(key);
      this.#statements.set(key, kept);
      return kept;
    }
    const statement = prepareKept(this.connection, sql);
    kept = { statement, reader: statement.reader };
    if (!kept.reader && !this.#writes) return undefined;
    if (kept.reader && shape === "arrays") statement.raw(true);
    this.#statements.set(key, kept);
    if (this.#statements.size > MAX_STATEMENTS) {
      const oldest = this.#statements.keys().next().value;
      if (oldest !== undefined) this.#statements.delete(oldest);
    }
    return kept;
  }

  // One array argument: bound by position, even when it holds a single BLOB (a lone object argument
  // would be taken for named parameters).

  /** Every row of a SELECT, or undefined when `sql` is not a read (the caller runs it elsewhere). */
  all(sql: string, args: readonly unknown[]): ReadRow[] | undefined {
    const kept = this.statement(sql, "objects");
    return kept?.reader ? (kept.statement.all(args) as ReadRow[]) : undefined;
  }

  /** Every row as an array, or undefined when `sql` is not a read. */
  arrays(sql: string, args: readonly unknown[]): unknown[][] | undefined {
    const kept = this.statement(sql, "arrays");
    return kept?.reader ? (kept.statement.all(args) as unknown[][]) : undefined;
  }

  /**
   * The first row as an array (null when there is none), or undefined when `sql` is not a read.
   * Cheaper than all() by the iterator it does not make: for lookups by key.
   */
  first(sql: string, args: readonly unknown[]): unknown[] | null | undefined {
    const kept = this.statement(sql, "arrays");
    if (!kept?.reader) return undefined;
    return (kept.statement.get(args) as unknown[] | undefined) ?? null;
  }

  close(): void {
    this.#statements.clear();
  }
}

/** The read side: a connection of its own, reads only. */
export class ReadStatements extends KeptStatements {
  constructor(path: string, options: { timeoutMs: number }) {
    const connection = new Database(path, { timeout: options.timeoutMs });
    connectionSetup(connection, options.timeoutMs);
    super(connection, { writes: false });
  }

  override close(): void {
    super.close();
    this.connection.close();
  }
}
