/**
 * `mailroom backup FILE` and `mailroom restore FILE`. A backup may be taken beside a running server
 * (its own connection reads a consistent snapshot); a restore refuses to run while a server uses the
 * data directory, since the server would keep writing to the file being replaced.
 */
import { resolve } from "node:path";
import { backupCreate } from "../backup/mod.ts";
import { RestoreError, restoreFile } from "../backup/restore.ts";
import { runningServerPid } from "../data-dir.ts";
import { Store } from "../store/mod.ts";
import type { ToolInput } from "./mod.ts";

export async function backupCommand(input: ToolInput): Promise<number> {
  const file = input.args[0];
  const format = input.options.get("--format") ?? "text";
  if (!file || (format !== "text" && format !== "json")) {
    input.err("usage: mailroom backup [--format text|json] FILE\n");
    return 2;
  }
  const running = runningServerPid(input.config) !== undefined;
  const store = await Store.open(input.config.databaseUrl, input.migrations);
  try {
    const result = await backupCreate(store, resolve(file));
    // JSON: what the server reads back when it runs this command in a child process (backup/child.ts).
    if (format === "json") {
      input.out(`${JSON.stringify(result)}\n`);
      return 0;
    }
    const { accounts, messages } = result.contents;
    input.out(
      `backup written to ${result.path}: ${result.bytes} bytes, ${accounts} accounts, ${messages} messages, verified, in ${result.ms} ms\n`,
    );
    return 0;
  } catch (error) {
    input.err(`mailroom: backup failed: ${(error as Error).message}\n`);
    return 1;
  } finally {
    // Beside a running server, the server's own checkpoints keep the WAL; a tool waits for no one.
    await store.close({ checkpoint: !running });
  }
}

export async function restoreCommand(input: ToolInput): Promise<number> {
  const file = input.args[0];
  if (!file) {
    input.err("usage: mailroom restore FILE\n");
    return 2;
  }
  const pid = runningServerPid(input.config);
  if (pid !== undefined) {
    input.err(
      `mailroom: a server (pid ${pid}) is running on ${input.config.dataDir}; stop it before restoring (a backup can be taken while it runs)\n`,
    );
    return 1;
  }
  try {
    const result = await restoreFile(input.config.databaseUrl, resolve(file));
    const { accounts, messages } = result.contents;
    input.out(
      `restored ${file} to ${result.path}: ${accounts} accounts, ${messages} messages` +
        `${result.keptAs ? `; the previous database is kept as ${result.keptAs}` : ""}\n`,
    );
    // Migrations of a backup from an older version apply now, not at the next start.
    await Store.migrateOnly(input.config.databaseUrl, input.migrations);
    return 0;
  } catch (error) {
    if (error instanceof RestoreError) {
      input.err(`mailroom: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
