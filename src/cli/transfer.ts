/**
 * `mailroom import --account ADDRESS SOURCE` and `mailroom export --account ADDRESS --format
 * maildir|mbox DEST` (src/transfer/). Both work on a stopped data dir and beside a running server:
 * the store's transactions keep the file consistent between the two processes; a running server's
 * open IMAP sessions see imported mail at their next SELECT.
 */
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { runningServerPid } from "../data-dir.ts";
import { accountFind, Store, StoreError } from "../store/mod.ts";
import { type ExportFormat, exportRun } from "../transfer/export.ts";
import { imapSource } from "../transfer/imap-source.ts";
import { importRun } from "../transfer/import.ts";
import { maildirSource } from "../transfer/maildir.ts";
import { mboxSource } from "../transfer/mbox-source.ts";
import { Progress } from "../transfer/progress.ts";
import type { MailSource } from "../transfer/source.ts";
import type { ToolInput } from "./mod.ts";

const IMPORT_USAGE =
  "usage: mailroom import --account ADDRESS [--mailbox NAME] SOURCE (a Maildir, an mbox file or imap://user:pass@host:port)\n";
const EXPORT_USAGE = "usage: mailroom export --account ADDRESS --format maildir|mbox DEST\n";

async function openSource(input: ToolInput, text: string): Promise<MailSource> {
  if (/^imaps?:\/\//i.test(text)) {
    const ca = input.config.tlsCaFile ? [readFileSync(input.config.tlsCaFile, "utf8")] : undefined;
    return imapSource(text, ca ? { ca } : {});
  }
  const path = resolve(text);
  const kind = statSync(path);
  if (kind.isDirectory()) return maildirSource(path);
  const mailbox = input.options.get("--mailbox");
  return mboxSource(path, { maxBytes: input.config.maxMessageSize, ...(mailbox ? { mailbox } : {}) });
}

/** Opens the store and finds the account; undefined (after saying why) when it does not exist. */
async function withAccount<T>(
  input: ToolInput,
  usage: string,
  body: (store: Store, accountId: number, address: string) => Promise<T>,
): Promise<T | number> {
  const address = input.options.get("--account");
  if (!address || !input.args[0]) {
    input.err(usage);
    return 2;
  }
  const running = runningServerPid(input.config) !== undefined;
  const store = await Store.open(input.config.databaseUrl, input.migrations);
  try {
    const account = await accountFind(store.read, address);
    if (!account) {
      input.err(`mailroom: no account ${address} (create it with POST /api/v1/accounts)\n`);
      return 1;
    }
    return await body(store, account.id, account.address);
  } finally {
    await store.close({ checkpoint: !running });
  }
}

export async function importCommand(input: ToolInput): Promise<number> {
  const result = await withAccount(input, IMPORT_USAGE, async (store, accountId, address) => {
    let source: MailSource;
    try {
      source = await openSource(input, input.args[0]!);
    } catch (error) {
      input.err(`mailroom: cannot read ${redact(input.args[0]!)}: ${(error as Error).message}\n`);
      return 1;
    }
    const progress = new Progress({ interactive: input.interactive, write: input.err, event: "import" });
    try {
      const stats = await importRun(store, source, {
        accountId,
        maxMessageSize: input.config.maxMessageSize,
        progress,
      });
      const done = progress.done();
      input.out(
        `imported ${stats.imported} messages (${(stats.bytes / 1024 / 1024).toFixed(1)} MiB) from ${source.description} into ${stats.folders} mailboxes of ${address} in ${done.seconds.toFixed(1)} s (${Math.round(done.rate)} msg/s); ${stats.alreadyThere} already there, ${stats.tooLarge} too large\n`,
      );
      return 0;
    } catch (error) {
      progress.done();
      const why = error instanceof StoreError ? error.message : (error as Error).message;
      input.err(`mailroom: import stopped: ${why}; run the same command again to resume\n`);
      return 1;
    } finally {
      await source.close();
    }
  });
  return result;
}

export async function exportCommand(input: ToolInput): Promise<number> {
  const format = input.options.get("--format");
  if (format !== "maildir" && format !== "mbox") {
    input.err(EXPORT_USAGE);
    return 2;
  }
  return withAccount(input, EXPORT_USAGE, async (store, accountId, address) => {
    const progress = new Progress({ interactive: input.interactive, write: input.err, event: "export" });
    const dest = resolve(input.args[0]!);
    try {
      const stats = await exportRun(store, accountId, { format: format as ExportFormat, dest, progress });
      const done = progress.done();
      input.out(
        `exported ${stats.messages} messages (${(stats.bytes / 1024 / 1024).toFixed(1)} MiB) of ${stats.mailboxes} mailboxes of ${address} to ${dest} as ${format} in ${done.seconds.toFixed(1)} s\n`,
      );
      return 0;
    } catch (error) {
      progress.done();
      input.err(`mailroom: export failed: ${(error as Error).message}\n`);
      return 1;
    }
  });
}

/** The source as it may be shown: an IMAP URL without its password. */
function redact(text: string): string {
  return text.replace(/^(imaps?:\/\/[^:@/]*):[^@/]*@/i, "$1:***@");
}
