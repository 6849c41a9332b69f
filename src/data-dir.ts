/**
 * The data directory and who may read it. It holds every password hash and every message
 * (mailroom.db, admin-token, tls/key.pem), so the server creates what it writes for its own user
 * alone and says so at start-up when an existing directory or database file is open to others.
 */
import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import { databaseFileModes } from "./store/mod.ts";

/**
 * Files this process creates are for its user alone (umask 077): the data directory holds every
 * password hash and message, and the usual umask 022 would make new files world-readable. Files
 * meant to be public (the certificate) are given their mode explicitly. Not every runtime has
 * process.umask() (it needs a permission under Deno); the modes set explicitly (here and in src/store/files.ts) still hold there.
 */
export function restrictUmask(): void {
  try {
    process.umask(0o077);
  } catch {}
}

/** Creates the data directory for the owner alone (0700); an existing one keeps its mode. */
export function prepareDataDir(config: Config): void {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
}

/**
 * A data directory or database file that other users can read or write gives away every password
 * hash and message. Reported, not changed: the operator may have meant it (a backup group), and a
 * chmod behind their back would surprise them.
 */
export function warnAboutLoosePermissions(config: Config, log: Logger): void {
  const checked: Array<{ path: string; mode: number }> = [];
  try {
    checked.push({ path: config.dataDir, mode: statSync(config.dataDir).mode & 0o777 });
  } catch {}
  checked.push(...databaseFileModes(config.databaseUrl));
  for (const { path, mode } of checked) {
    if ((mode & 0o077) === 0) continue;
    const octal = `0${mode.toString(8).padStart(3, "0")}`;
    log.warn("data_dir.permissions", { path, mode: octal });
    process.stderr.write(
      `warning: ${path} is readable by other users (mode ${octal}); chmod go-rwx ${path} to keep mail and password hashes private\n`,
    );
  }
}

/** `<data-dir>/mailroom.pid`: written by a running server, so `mailroom restore` can refuse to run beside it. */
function pidFilePath(config: Pick<Config, "dataDir">): string {
  return join(config.dataDir, "mailroom.pid");
}

/** Records this process as the data directory's server; returns the function that removes the record. */
export function pidFileWrite(config: Pick<Config, "dataDir">): () => void {
  const path = pidFilePath(config);
  writeFileSync(path, `${process.pid}\n`, { mode: 0o600 });
  return () => {
    try {
      if (readFileSync(path, "utf8").trim() === String(process.pid)) unlinkSync(path);
    } catch {}
  };
}

/** The pid of a server running on this data directory, or undefined (no pid file, or its process is gone). */
export function runningServerPid(config: Pick<Config, "dataDir">): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFilePath(config), "utf8").trim());
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else: still running.
    return (error as { code?: string }).code === "EPERM" ? pid : undefined;
  }
}
