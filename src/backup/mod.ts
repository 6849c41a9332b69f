/**
 * Backups: an online, consistent copy of the whole database (VACUUM INTO, see store/maintenance.ts)
 * written beside its final name, verified by opening it, then renamed into place, so a file with the
 * final name is always a complete, checked backup. Used by `mailroom backup FILE`; POST
 * /api/v1/backups and the schedule (MAILROOM_BACKUP_DIR + MAILROOM_BACKUP_KEEP) run that command in a
 * child process (child.ts, control.ts) so the copy never holds the server's event loop.
 */

import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fsyncPath } from "../fsync.ts";
import type { Logger } from "../log.ts";
import { type DatabaseFileSummary, databaseFileVerify, type Store } from "../store/mod.ts";

export interface BackupResult {
  path: string;
  name: string;
  bytes: number;
  /** Milliseconds the copy and its verification took. */
  ms: number;
  createdAt: string;
  contents: DatabaseFileSummary;
}

/** Takes a backup into `path` (which must not exist): in this process, or in a child (control.ts). */
export type BackupMaker = (path: string) => Promise<BackupResult>;

/** Names the schedule and POST /backups give their files; only these are listed and pruned. */
const BACKUP_NAME = /^mailroom-(\d{8}T\d{6}(?:\d{3})?Z)\.db$/;

/** "mailroom-20260103T041500123Z.db": sorts by time, safe in any file system. */
export function backupName(at: Date = new Date()): string {
  return `mailroom-${at.toISOString().replace(/[-:.]/g, "")}.db`;
}

/** Copies the database into `path` (which must not exist), verifies the copy and makes it durable. */
export async function backupCreate(store: Store, path: string): Promise<BackupResult> {
  const started = performance.now();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (exists(path)) throw new Error(`${path} exists already; a backup never overwrites a file`);
  const partial = `${path}.partial`;
  rmSync(partial, { force: true });
  try {
    await store.backup(partial);
    const contents = await databaseFileVerify(partial);
    fsyncPath(partial);
    renameSync(partial, path);
    fsyncPath(dirname(path));
    return {
      path,
      name: basename(path),
      bytes: statSync(path).size,
      ms: Math.round(performance.now() - started),
      createdAt: new Date().toISOString(),
      contents,
    };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

/** The backups in a directory (the names backupName() gives), newest first. */
export function backupList(dir: string): Array<{ name: string; bytes: number; createdAt: string }> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => BACKUP_NAME.test(n))
    .sort()
    .reverse()
    .map((name) => {
      const st = statSync(join(dir, name));
      return { name, bytes: st.size, createdAt: st.mtime.toISOString() };
    });
}

/** Removes all but the newest `keep` backups of a directory; returns the names removed. */
export function backupPrune(dir: string, keep: number): string[] {
  const old = backupList(dir).slice(keep);
  for (const b of old) rmSync(join(dir, b.name), { force: true });
  return old.map((b) => b.name);
}

/** Whether `name` is one of the backup names (guards GET /backups/{name} against paths). */
export function isBackupName(name: string): boolean {
  return BACKUP_NAME.test(name);
}

/**
 * The schedule: a backup into `dir` every `everyMs`, then all but the newest `keep` removed. The first
 * one is due `everyMs` after start. A failure is logged and tried again at the next tick.
 */
export function startBackupSchedule(
  make: BackupMaker,
  options: { dir: string; keep: number; everyMs: number; log: Logger },
): () => Promise<void> {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = make(join(options.dir, backupName()))
      .then((result) => {
        const removed = backupPrune(options.dir, options.keep);
        options.log.info("backup.created", {
          path: result.path,
          bytes: result.bytes,
          ms: result.ms,
          removed,
        });
      })
      .catch((error) => options.log.error("backup.failed", { error: (error as Error).message }))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, options.everyMs);
  timer.unref?.();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
