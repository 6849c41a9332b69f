/**
 * For migration tests: the migrations an older release shipped, and a temp dir for its database
 * files (removed after the file's tests).
 */
import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { EMBEDDED_SQL, embeddedMigrations } from "../../src/runtime/embedded.ts";

/** The migrations up to and including `lastTag`, as an older release shipped them. */
export function migrationsUpTo(lastTag: string) {
  const last = embeddedMigrations.journal.entries.findIndex((e) => e.tag === lastTag);
  if (last < 0) throw new Error(`no migration ${lastTag} in the journal`);
  const entries = embeddedMigrations.journal.entries.slice(0, last + 1);
  return { journal: { ...embeddedMigrations.journal, entries }, sql: EMBEDDED_SQL };
}

/** A temp dir made before the file's tests and removed after them; read `.path` inside a test. */
export function migrationDir(): { path: string } {
  const dir = { path: "" };
  beforeAll(() => {
    dir.path = mkdtempSync(`${tmpdir()}/mailroom-migration-`);
  });
  afterAll(() => {
    rmSync(dir.path, { recursive: true, force: true });
  });
  return dir;
}
