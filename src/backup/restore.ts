/**
 * `mailroom restore FILE`: puts a verified backup in place of a stopped server's database. The
 * database in place (with its -wal and -shm) is kept beside it as `<name>.before-restore-<time>`,
 * never deleted; a stale -wal must not stay, or SQLite would replay it into the restored file.
 */

import { copyFileSync, existsSync, renameSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { fsyncPath } from "../fsync.ts";
import { type DatabaseFileSummary, databaseFilePath, databaseFileVerify } from "../store/mod.ts";

export class RestoreError extends Error {}

export interface RestoreResult {
  path: string;
  /** Where the database that was in place went, if there was one. */
  keptAs: string | undefined;
  contents: DatabaseFileSummary;
}

/** Restores `backup` as the database of `databaseUrl`; the caller has made sure no server runs on it. */
export async function restoreFile(databaseUrl: string, backup: string): Promise<RestoreResult> {
  const target = databaseFilePath(databaseUrl);
  if (target === undefined) throw new RestoreError(`restore needs a file: database URL, not ${databaseUrl}`);
  if (!existsSync(backup)) throw new RestoreError(`${backup} does not exist`);
  let contents: DatabaseFileSummary;
  try {
    contents = await databaseFileVerify(backup);
  } catch (error) {
    throw new RestoreError(`${backup} is not a usable backup: ${(error as Error).message}`);
  }
  const incoming = `${target}.restoring`;
  copyFileSync(backup, incoming);
  fsyncPath(incoming);
  let keptAs: string | undefined;
  if (existsSync(target)) {
    keptAs = `${target}.before-restore-${new Date().toISOString().replace(/[-:.]/g, "")}`;
    renameSync(target, keptAs);
    for (const suffix of ["-wal", "-shm"])
      if (existsSync(target + suffix)) renameSync(target + suffix, keptAs + suffix);
  }
  rmSync(`${target}-wal`, { force: true });
  rmSync(`${target}-shm`, { force: true });
  renameSync(incoming, target);
  fsyncPath(dirname(target));
  return { path: target, keptAs, contents };
}
