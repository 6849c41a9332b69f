/**
 * The database's files on disk (file: URLs only): `mailroom.db` with its `-wal` and `-shm`. They hold
 * every password hash and every message, so they are created for the owner alone (0600) whatever the
 * process umask: the main file is created here, before libSQL opens it, and SQLite gives the WAL and
 * shared-memory files it creates later the main file's permissions. Files that exist already keep
 * their mode (an operator may have chosen it); `databaseFileModes()` lets start-up report them.
 */
import { closeSync, existsSync, openSync, statSync } from "node:fs";

/** The path of a `file:` URL's database ("file:./data/mailroom.db", "file:///srv/m.db"), else undefined. */
export function databaseFilePath(url: string): string | undefined {
  if (!url.startsWith("file:")) return undefined;
  if (url.startsWith("file://")) {
    try {
      return decodeURIComponent(new URL(url).pathname) || undefined;
    } catch {
      return undefined;
    }
  }
  const path = url.slice("file:".length).split("?")[0]!;
  return path === "" || path === ":memory:" ? undefined : path;
}

/** Creates the database file empty with mode 0600 when it does not exist (SQLite takes an empty file as new). */
export function databaseFileCreate(url: string): void {
  const path = databaseFilePath(url);
  if (path === undefined || existsSync(path)) return;
  try {
    // "wx": never truncate a file that appeared meanwhile. A missing directory is left for libSQL to report.
    closeSync(openSync(path, "wx", 0o600));
  } catch {}
}

/** The database's files that exist now, with their permission bits. */
export function databaseFileModes(url: string): Array<{ path: string; mode: number }> {
  const path = databaseFilePath(url);
  if (path === undefined) return [];
  return [path, `${path}-wal`, `${path}-shm`].flatMap((p) => {
    try {
      return [{ path: p, mode: statSync(p).mode & 0o777 }];
    } catch {
      return [];
    }
  });
}
