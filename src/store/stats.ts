/**
 * What /metrics and /readyz ask of the store: the queue's size and age, the sizes of the database
 * files, and whether a write commits. Cheap reads (the queue has an index on next_attempt_at; a
 * count over the queue is small next to the messages), run once per scrape.
 */
import { statSync } from "node:fs";
import { type Reader, rawFirst, type Write } from "./db.ts";
import { databaseFilePath } from "./files.ts";

export interface QueueStats {
  /** Recipients waiting for delivery. */
  depth: number;
  /** When the oldest of them was queued (epoch ms), or null for an empty queue. */
  oldestAt: number | null;
}

export async function queueStats(r: Reader): Promise<QueueStats> {
  const row = await rawFirst(r, "SELECT count(*) AS depth, min(created_at) AS oldest FROM queue");
  return { depth: Number(row?.depth ?? 0), oldestAt: row?.oldest == null ? null : Number(row.oldest) };
}

/** Bytes of the database file and of its write-ahead log; null where the URL is not a file. */
export function databaseFileSizes(url: string): { database: number | null; wal: number | null } {
  const path = databaseFilePath(url);
  if (!path) return { database: null, wal: null };
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return 0; // no -wal file (yet, or after a checkpoint that truncated it) is an empty log
    }
  };
  return { database: size(path), wal: size(`${path}-wal`) };
}

/** A write that proves the database takes commits: the time of the last readiness check, in meta. */
export async function readinessMark(w: Write, now: number): Promise<void> {
  await w.exec({
    sql: "INSERT INTO meta (key, value) VALUES ('readyz_at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    args: [String(now)],
  });
}
