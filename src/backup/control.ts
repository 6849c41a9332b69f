/** The backup routes' view of src/backup/ (the API never imports it): create, list, find a file. */
import { join } from "node:path";
import type { BackupControl } from "../api/deps.ts";
import type { Config } from "../config.ts";
import { databaseFilePath, type Store } from "../store/mod.ts";
import { backupInChild, type SelfCommand } from "./child.ts";
import { type BackupMaker, backupCreate, backupList, backupName, backupPrune, isBackupName } from "./mod.ts";

/** MAILROOM_BACKUP_DIR, or <data-dir>/backups when no schedule is set. */
export function backupDirOf(config: Pick<Config, "backupDir" | "dataDir">): string {
  return config.backupDir ?? join(config.dataDir, "backups");
}

/**
 * How the server takes its backups: in a child process running `mailroom backup` (child.ts) when the
 * runtime can start one and the database is a file; in this process otherwise. One at a time: a
 * second request waits for the first, then takes its own copy (with the commits made until then).
 */
export function backupMakerOf(
  store: Store,
  config: Pick<Config, "dataDir" | "databaseUrl">,
  self: SelfCommand | undefined,
): BackupMaker {
  const make: BackupMaker =
    self && databaseFilePath(config.databaseUrl) !== undefined
      ? (path) => backupInChild({ self, dataDir: config.dataDir, databaseUrl: config.databaseUrl, path })
      : (path) => backupCreate(store, path);
  let last: Promise<unknown> = Promise.resolve();
  return (path) => {
    const run = last.then(
      () => make(path),
      () => make(path),
    );
    last = run.catch(() => undefined);
    return run;
  };
}

export function backupControlOf(
  make: BackupMaker,
  config: Pick<Config, "backupDir" | "dataDir" | "backupKeep">,
): BackupControl {
  const dir = backupDirOf(config);
  return {
    async create() {
      const result = await make(join(dir, backupName()));
      backupPrune(dir, config.backupKeep);
      const { accounts, messages } = result.contents;
      return {
        name: result.name,
        bytes: result.bytes,
        createdAt: result.createdAt,
        ms: result.ms,
        accounts,
        messages,
      };
    },
    list: () => backupList(dir),
    file: (name) =>
      isBackupName(name) && backupList(dir).some((b) => b.name === name) ? join(dir, name) : undefined,
  };
}
