/**
 * Applying migrations that arrive as data (embedded in the binary by src/runtime/), with the same
 * bookkeeping table and rules as drizzle's libSQL migrator, whose stock `migrate()` insists on reading
 * migrations/meta/_journal.json from disk: a path that does not exist inside a compiled executable.
 */
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Db } from "./db.ts";

export interface MigrationJournal {
  entries: Array<{ idx: number; when: number; tag: string; breakpoints: boolean }>;
}

/** The journal plus the SQL text of each entry, keyed by tag. */
export interface EmbeddedMigrations {
  journal: MigrationJournal;
  sql: Record<string, string>;
}

interface Migration {
  tag: string;
  statements: string[];
  folderMillis: number;
  hash: string;
}

const TABLE = "__drizzle_migrations";

export function migrationsFromEmbedded(embedded: EmbeddedMigrations): Migration[] {
  return embedded.journal.entries.map((entry) => {
    const text = embedded.sql[entry.tag];
    if (text === undefined)
      throw new Error(`migration ${entry.tag} is in the journal but its SQL is not embedded`);
    return {
      tag: entry.tag,
      statements: text.split("--> statement-breakpoint").filter((s) => s.trim() !== ""),
      folderMillis: entry.when,
      hash: createHash("sha256").update(text).digest("hex"),
    };
  });
}

/** Applies every migration newer than the last applied one, in one transaction. Returns the tags applied. */
export async function migrate(db: Db, embedded: EmbeddedMigrations): Promise<string[]> {
  const migrations = migrationsFromEmbedded(embedded);
  await db.run(
    sql`CREATE TABLE IF NOT EXISTS ${sql.identifier(TABLE)} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
  );
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    const last = await tx.values<[number, string, number]>(
      sql`SELECT id, hash, created_at FROM ${sql.identifier(TABLE)} ORDER BY created_at DESC LIMIT 1`,
    );
    const lastMillis = last[0] ? Number(last[0][2]) : -1;
    for (const m of migrations) {
      if (m.folderMillis <= lastMillis) continue;
      for (const statement of m.statements) await tx.run(sql.raw(statement));
      await tx.run(
        sql`INSERT INTO ${sql.identifier(TABLE)} ("hash", "created_at") VALUES (${m.hash}, ${m.folderMillis})`,
      );
      applied.push(m.tag);
    }
  });
  return applied;
}
