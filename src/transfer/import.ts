/**
 * `mailroom import`: every folder of a source into an account, each message through the one ingest
 * path (store messageImport -> messageIngest) with its flags, keywords and INTERNALDATE. Messages the
 * account has from an earlier run (by source key) are skipped before they are read. Up to WINDOW
 * writes are in flight, so the store's writer groups them into a few commits (FACTS.md: ~10x over a
 * commit per message) while memory holds at most WINDOW messages.
 */
import { parseMessage } from "../mime/mod.ts";
import {
  flagsFromNames,
  importedKeys,
  mailboxCreate,
  mailboxFind,
  messageImport,
  type Store,
  StoreError,
} from "../store/mod.ts";
import type { Progress } from "./progress.ts";
import { isStorableKeyword, type MailSource, type SourceEntry } from "./source.ts";

/** Messages whose writes may be pending at once: bounds memory at WINDOW x the message size limit. */
const WINDOW = 64;

export interface ImportStats {
  folders: number;
  /** Messages the source has. */
  listed: number;
  imported: number;
  /** There from an earlier run (or twice in the source). */
  alreadyThere: number;
  /** Larger than MAILROOM_MAX_MESSAGE_SIZE: left in the source. */
  tooLarge: number;
  bytes: number;
}

export interface ImportOptions {
  accountId: number;
  maxMessageSize: number;
  progress?: Progress;
}

export async function importRun(
  store: Store,
  source: MailSource,
  options: ImportOptions,
): Promise<ImportStats> {
  const { accountId, maxMessageSize, progress } = options;
  const stats: ImportStats = { folders: 0, listed: 0, imported: 0, alreadyThere: 0, tooLarge: 0, bytes: 0 };
  // Everything is listed first, so the totals (and the ETA) are known before the first message.
  const plan: Array<{ folder: Awaited<ReturnType<MailSource["folders"]>>[number]; todo: SourceEntry[] }> = [];
  for (const folder of await source.folders()) {
    const entries = await folder.list();
    const there = await importedKeys(
      store.read,
      accountId,
      entries.map((e) => e.key),
    );
    const todo = entries.filter((e) => !there.has(e.key) && e.size <= maxMessageSize);
    stats.folders++;
    stats.listed += entries.length;
    stats.alreadyThere += there.size;
    stats.tooLarge += entries.filter((e) => !there.has(e.key) && e.size > maxMessageSize).length;
    plan.push({ folder, todo });
  }
  const total = plan.reduce((n, p) => n + p.todo.length, 0);
  const totalBytes = plan.reduce((n, p) => n + p.todo.reduce((b, e) => b + e.size, 0), 0);
  progress?.update({ total, totalBytes, skipped: stats.alreadyThere + stats.tooLarge });

  for (const { folder, todo } of plan) {
    if (todo.length === 0) continue;
    const mailboxId = await mailboxEnsure(store, accountId, folder.name);
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    for await (const message of folder.fetch(todo.map((e) => e.key))) {
      if (failure) break;
      if (message.raw.length > maxMessageSize) {
        stats.tooLarge++;
        continue;
      }
      const { flags, keywords } = flagsFromNames(message.flags);
      const write = store
        .write((w) =>
          messageImport(w, {
            accountId,
            mailboxId,
            sourceKey: message.key,
            raw: message.raw,
            parsed: parseMessage(message.raw),
            flags,
            keywords: keywords.filter(isStorableKeyword),
            internalDate: message.internalDate ?? Date.now(),
          }),
        )
        .then(
          (stored) => {
            if (stored) {
              stats.imported++;
              stats.bytes += message.raw.length;
            } else stats.alreadyThere++;
            progress?.update({ messages: stats.imported, bytes: stats.bytes, folder: folder.name });
          },
          (error) => {
            failure ??= error;
          },
        )
        .finally(() => inFlight.delete(write));
      inFlight.add(write);
      if (inFlight.size >= WINDOW) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
  }
  progress?.update({
    messages: stats.imported,
    bytes: stats.bytes,
    skipped: stats.alreadyThere + stats.tooLarge,
  });
  return stats;
}

/** The mailbox of a folder name, created (with its parents, as IMAP CREATE would) when missing. */
async function mailboxEnsure(store: Store, accountId: number, name: string): Promise<number> {
  const found = await mailboxFind(store.read, accountId, name);
  if (found) return found.id;
  const parts = name.split("/");
  for (let i = 1; i < parts.length; i++) {
    const parent = parts.slice(0, i).join("/");
    if (!(await mailboxFind(store.read, accountId, parent)))
      await store.write((w) => mailboxCreate(w, accountId, parent)).catch(ignoreConflict);
  }
  await store.write((w) => mailboxCreate(w, accountId, name)).catch(ignoreConflict);
  return (await mailboxFind(store.read, accountId, name))!.id;
}

function ignoreConflict(error: unknown): void {
  if (error instanceof StoreError && error.code === "conflict") return;
  throw error;
}
