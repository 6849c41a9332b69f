/**
 * `mailroom import` bookkeeping: one key per source message, written in the same transaction as the
 * message itself (messageImport), so an interrupted import resumes where it stopped and a re-run
 * stores nothing twice. The message goes through messageIngest(), the one ingest path.
 */
import type { ParsedMessage } from "../mime/mod.ts";
import { chunksOf, IN_LIST_MAX, placeholders } from "./chunks.ts";
import { type Reader, rawOf, type Write } from "./db.ts";
import { messageIngest } from "./message-ingest.ts";
import type { Message } from "./message-read.ts";

/** The keys of `keys` already imported into the account. */
export async function importedKeys(
  r: Reader,
  accountId: number,
  keys: readonly string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of chunksOf(keys, IN_LIST_MAX - 1)) {
    const { rows } = await rawOf(r).execute({
      sql: `SELECT source_key FROM imported WHERE account_id = ? AND source_key IN (${placeholders(chunk.length)})`,
      args: [accountId, ...chunk],
    });
    for (const row of rows) found.add(String(row.source_key));
  }
  return found;
}

export interface ImportInput {
  accountId: number;
  mailboxId: number;
  sourceKey: string;
  raw: Uint8Array;
  parsed: ParsedMessage;
  flags: number;
  keywords: string[];
  internalDate: number;
}

/**
 * Stores one imported message and its key together; undefined when the key was imported before
 * (by this run's other half, or an earlier run), in which case nothing is written.
 */
export async function messageImport(w: Write, input: ImportInput): Promise<Message | undefined> {
  const claimed = await w.exec({
    sql: "INSERT INTO imported (account_id, source_key) VALUES (?, ?) ON CONFLICT DO NOTHING",
    args: [input.accountId, input.sourceKey],
  });
  if (claimed.rowsAffected === 0) return undefined;
  const [message] = await messageIngest(w, {
    raw: input.raw,
    parsed: input.parsed,
    internalDate: input.internalDate,
    targets: [
      {
        accountId: input.accountId,
        mailboxId: input.mailboxId,
        flags: input.flags,
        keywords: input.keywords,
      },
    ],
    enforceQuota: true,
  });
  return message;
}
