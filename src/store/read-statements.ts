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
import { uncachedConnection } from "./statement-cache.ts";

/** One row by column name, as `@libsql/client` gives them (BLOBs as Buffer, integers as number). */
export type ReadRow = Record<string, unknown>;

/**
 * Distinct SQL texts kept prepared at most (least recently used dropped first). The hot statements
 * are a few dozen; IN lists of varying length (fetch-rows.ts) make more texts, and this bounds them.
 */
const MAX_STATEMENTS = 256;

type Statement = ReturnType<InstanceType<typeof Database>["prepare"]>;

/** Rows as objects by column name, or as arrays in SELECT order (cheaper: ~2 µs less for 8 columns). */
type Shape = "objects" | "arrays";

export class ReadStatements {
  readonly #db: InstanceType<typeof Database>;
  readonly #statements = new Map<string, Statement>();

  constructor(path: string, options: { timeoutMs: number }) {
    this.#db = new Database(path, { timeout: options.timeoutMs });
    connectionSetup(this.#db, options.timeoutMs);
    // Kept here in two row shapes (objects, arrays): the shared cache would hand one statement to both.
    uncachedConnection(this.#db);
  }

  /**
   * The statement for `sql` in one row shape, prepared on first use; undefined for one that writes
   * (those belong to the Writer's transaction, never to this connection).
   */
  #statement(sql: string, shape: Shape): Statement | undefined {
    const key = shape === "arrays" ? `[]${sql}` : sql;
    let statement = this.#statements.get(key);
    if (statement) {
      // Most recently used last.
      this.#statements.delete(key);
      this.#statements.set(key, statement);
      return statement;
    }
    statement = this.#db.prepare(sql);
    if (!statement.reader) return undefined;
    if (shape === "arrays") statement.raw(true);
    this.#statements.set(key, statement);
    if (this.#statements.size > MAX_STATEMENTS) {
      const oldest = this.#statements.keys().next().value;
      if (oldest !== undefined) this.#statements.delete(oldest);
    }
    return statement;
  }

  // One array argument: bound by position, even when it holds a single BLOB (a lone object argument
  // would be taken for named parameters).

  /** Every row of a SELECT, or undefined when `sql` is not a read (the caller runs it elsewhere). */
  all(sql: string, args: readonly unknown[]): ReadRow[] | undefined {
    return this.#statement(sql, "objects")?.all(args) as ReadRow[] | undefined;
  }

  /** Every row as an array, or undefined when `sql` is not a read. */
  arrays(sql: string, args: readonly unknown[]): unknown[][] | undefined {
    return this.#statement(sql, "arrays")?.all(args) as unknown[][] | undefined;
  }

  /**
   * The first row as an array (null when there is none), or undefined when `sql` is not a read.
   * Cheaper than all() by the iterator it does not make: for lookups by key.
   */
  first(sql: string, args: readonly unknown[]): unknown[] | null | undefined {
    const statement = this.#statement(sql, "arrays");
    if (!statement) return undefined;
    return (statement.get(args) as unknown[] | undefined) ?? null;
  }

  close(): void {
    this.#statements.clear();
    this.#db.close();
  }
}
