/**
 * The trigram index (contents_fts, search-index.ts) written behind delivery, in batches.
 *
 * FTS5 keeps an insert in memory and writes it out as a segment of its own at the next savepoint,
 * and every later write statement of a delivery opens one (a statement journal): indexed inside
 * each delivery, every message cost a new segment plus the merges that many segments cause, about
 * 0.8 of the 3 ms of server CPU a 1 KB message took (bench/README.md, issue 12). Indexed behind,
 * a batch of messages shares one segment.
 *
 * meta 'search_indexed_upto' (migration 0015) is the highest content id up to which every content
 * is in the index or gone. SEARCH takes the messages whose content lies above it as candidates too
 * (search-index.ts), so an answer never misses a message the indexer has not reached yet. The one
 * writer creates contents in id order, so the watermark only moves up; contents another process
 * stored (`mailroom import` beside the server) are indexed by whichever store runs the next batch.
 */
import { searchHeadersOfHeader } from "../mime/mod.ts";
import { searchTextSql } from "./contents.ts";
import { blobBytes, type Reader, rawOf, type Write } from "./db.ts";

/** Contents per batch: one read and one write transaction each, short enough not to stall deliveries. */
export const SEARCH_INDEX_BATCH = 200;

/** How long after a delivery the batch starts: deliveries arriving meanwhile share it. */
export const SEARCH_INDEX_DELAY_MS = 100;

/** The watermark as an SQL expression (NULL only on a database the migration has not reached). */
export const SEARCH_INDEXED_UPTO_SQL =
  "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search_indexed_upto')";

/** Indexes one batch of the contents above the watermark; returns how many it looked at. */
async function searchIndexBatch(read: Reader, write: <T>(fn: (w: Write) => Promise<T>) => Promise<T>) {
  const { rows } = await rawOf(read).execute({
    sql: `SELECT c.id, substr(b.data, 1, c.header_end) AS header, ${searchTextSql("c")} AS body
          FROM contents c JOIN blobs b ON b.content_id = c.id
          WHERE c.id > ${SEARCH_INDEXED_UPTO_SQL} ORDER BY c.id LIMIT ?`,
    args: [SEARCH_INDEX_BATCH],
  });
  if (rows.length === 0) return 0;
  // The header text exactly as delivery derived it (mime/message.ts), from the stored header bytes.
  const entries = rows.map((row) => ({
    id: Number(row.id),
    headers: searchHeadersOfHeader(blobBytes(row.header)),
    body: String(row.body ?? ""),
  }));
  const first = entries[0]!.id;
  const last = entries[entries.length - 1]!.id;
  await write(async (w) => {
    // Only contents still there (the last message of one may have gone since the read), and only
    // once (another store may have indexed some meanwhile: the watermark is read again here).
    const { rows: present } = await w.exec({
      sql: `SELECT id FROM contents WHERE id BETWEEN ? AND ? AND id > coalesce(${SEARCH_INDEXED_UPTO_SQL}, 0)`,
      args: [first, last],
    });
    const ids = new Set(present.map((row) => Number(row.id)));
    for (const e of entries) {
      if (!ids.has(e.id)) continue;
      // One plain row per statement: a statement that needs a statement journal (INSERT ... SELECT)
      // would make FTS5 write out a segment per row again.
      await w.exec({
        sql: "INSERT INTO contents_fts (rowid, headers, body) VALUES (?, ?, ?)",
        args: [e.id, e.headers, e.body],
      });
    }
    await w.exec({
      sql: "UPDATE meta SET value = CAST(max(CAST(value AS INTEGER), ?) AS TEXT) WHERE key = 'search_indexed_upto'",
      args: [last],
    });
  });
  return rows.length;
}

/**
 * Runs the batches: after a delivery (schedule()), at startup for what an earlier process left,
 * and once more at close. One run at a time; a schedule() during a run starts another after it.
 */
export class SearchIndexer {
  readonly #read: Reader;
  readonly #write: <T>(fn: (w: Write) => Promise<T>) => Promise<T>;
  readonly #delayMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  /** The last run's failure (a full disk, say): logged by nobody, retried by the next delivery. */
  lastError: unknown;

  constructor(
    read: Reader,
    write: <T>(fn: (w: Write) => Promise<T>) => Promise<T>,
    delayMs = SEARCH_INDEX_DELAY_MS,
  ) {
    this.#read = read;
    this.#write = write;
    this.#delayMs = delayMs;
  }

  /** A content was stored: index it (and whatever else is behind) shortly. */
  schedule(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.runNow();
    }, this.#delayMs);
    this.#timer.unref?.();
  }

  /** Indexes everything above the watermark now; settles when nothing is left (or on stop). */
  runNow(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#again = false;
    this.#running = (async () => {
      try {
        while (!this.#stopped && (await searchIndexBatch(this.#read, this.#write)) === SEARCH_INDEX_BATCH) {}
        this.lastError = undefined;
      } catch (error) {
        this.lastError = error;
      } finally {
        this.#running = undefined;
      }
      // Deliveries during the run: their batch waits the delay too, so that it is a batch.
      if (this.#again) this.schedule();
    })();
    return this.#running;
  }

  /** Settles when what was stored before the call is in the index. */
  async settled(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    // A run under way may have read before the latest contents: one more after it.
    while (this.#running) await this.#running;
    await this.runNow();
  }

  /** Indexes what is left, then takes no more work (the store is closing). */
  async close(): Promise<void> {
    await this.settled();
    this.#stopped = true;
  }
}
