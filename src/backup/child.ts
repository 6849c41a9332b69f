/**
 * The server's backups (POST /api/v1/backups, the schedule) are taken by a child process running this
 * same program's `mailroom backup --format json FILE`. VACUUM INTO and the integrity check of the copy
 * are synchronous libSQL calls: run in the server process they held its event loop for the whole copy
 * (a 360 MB database stopped /healthz, SMTP and IMAP for ~7 s). The child opens its own connection and
 * runs on the other core; WAL lets its read transaction see exactly the commits made before it began
 * while the server goes on writing (https://sqlite.org/wal.html, "Concurrency"), so the backup still
 * holds every message acknowledged before it was asked for.
 */
import { spawn } from "node:child_process";
import type { BackupResult } from "./mod.ts";

/** The command line that runs this same program with `args` (Runtime.selfCommand). */
export type SelfCommand = (args: string[]) => string[];

export const BACKUP_CHILD_LIMITS = {
  /**
   * A backup that takes longer is killed and reported as failed: a child stuck on a lock or a dying
   * disk must not hold the one backup slot for good. Generous: VACUUM INTO copies ~50 MB/s here.
   */
  timeoutMs: 6 * 60 * 60_000,
  /** Bytes of the child's stdout and stderr kept (its answer is one JSON line; errors one line). */
  outputBytes: 64 * 1024,
} as const;

export class BackupChildError extends Error {}

/**
 * Runs `mailroom backup --format json <path>` on `databaseUrl` in a child process and returns what it
 * reports (the file is then in place, verified). Rejects with the child's own error line.
 */
export function backupInChild(options: {
  self: SelfCommand;
  dataDir: string;
  databaseUrl: string;
  path: string;
  timeoutMs?: number;
}): Promise<BackupResult> {
  const [command, ...args] = options.self(["backup", "--format", "json", options.path]);
  return new Promise((resolve, reject) => {
    const child = spawn(command!, args, {
      env: {
        ...process.env,
        // The server's own settings may have come from flags: the child is told where the data is.
        MAILROOM_DATA_DIR: options.dataDir,
        MAILROOM_DATABASE_URL: options.databaseUrl,
        MAILROOM_LOG_LEVEL: "error",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const keep = (buffer: string, chunk: Buffer) =>
      (buffer + chunk.toString("utf8")).slice(-BACKUP_CHILD_LIMITS.outputBytes);
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout = keep(stdout, chunk);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr = keep(stderr, chunk);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? BACKUP_CHILD_LIMITS.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new BackupChildError(`could not start the backup process: ${error.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const answer = stdout.trim().split("\n").pop() ?? "";
      if (code === 0) {
        try {
          resolve(JSON.parse(answer) as BackupResult);
          return;
        } catch {
          reject(new BackupChildError(`the backup process answered something else: ${answer.slice(0, 200)}`));
          return;
        }
      }
      const reason = stderr
        .trim()
        .split("\n")
        .pop()
        ?.replace(/^mailroom: /, "");
      reject(
        new BackupChildError(reason || `the backup process ended with ${signal ?? `exit code ${code}`}`),
      );
    });
  });
}
