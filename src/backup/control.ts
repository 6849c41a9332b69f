/** The backup routes' view of src/backup/ (the API never imports it): create, list, find a file. */
import { join } from "node:path";
import type { BackupControl } from "../api/deps.ts";
import type { Config } from "../config.ts";
import type { Store } from "../store/mod.ts";
import { backupCreate, backupList, backupName, backupPrune, isBackupName } from "./mod.ts";

/** MAILROOM_BACKUP_DIR, or <data-dir>/backups when no schedule is set. */
export function backupDirOf(config: Pick<Config, "backupDir" | "dataDir">): string {
  return config.backupDir ?? join(config.dataDir, "backups");
}

export function backupControlOf(
  store: Store,
  config: Pick<Config, "backupDir" | "dataDir" | "backupKeep">,
): BackupControl {
  const dir = backupDirOf(config);
  return {
    async create() {
      const result = await backupCreate(store, join(dir, backupName()));
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
