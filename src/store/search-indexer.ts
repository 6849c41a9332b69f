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

/**
 * Headers handed over after commit (Write.contentStored), bounded in entries and bytes. Past either
 * bound a header is not kept and its batch reads it from the blob, as it does for contents stored
 * before a restart or by another process.
 */
export const SEARCH_INDEX_HEADERS_KEPT = 4 * SEARCH_INDEX_BATCH;
export const SEARCH_INDEX_HEADER_BYTES_KEPT = 4 * 1024 * 1024;

class KeptHeaders {
  readonly #byId = new Map<number, Uint8Array>();
  #bytes = 0;

  keep(id: number, header: Uint8Array): void {
    if (this.#byId.size >= SEARCH_INDEX_HEADERS_KEPT) return;
    if (this.#bytes + header.byteLength > SEARCH_INDEX_HEADER_BYTES_KEPT) return;
    this.#drop(id);
    this.#byId.set(id, header);
    this.#bytes += header.byteLength;
  }

  get(id: number): Uint8Array | undefined {
    return this.#byId.get(id);
  }

  /** Forgets every header of a content id up to `last` (indexed, or gone). */
  dropUpTo(last: number): void {
    for (const id of this.#byId.keys()) if (id <= last) this.#drop(id);
  }

  #drop(id: number): void {
    const header = this.#byId.get(id);
    if (header === undefined) return;
    this.#bytes -= header.byteLength;
    this.#byId.delete(id);
  }
}

/** The stored header bytes of `ids` (contents whose header was not handed over): each whole blob is read. */
async function storedHeaders(read: Reader, ids: number[]): Promise<Map<number, Uint8Array>> {
  const headers = new Map<number, Uint8Array>();
  if (ids.length === 0) return headers;
  const { rows } = await rawOf(read).execute({
    sql: `SELECT c.id, substr(b.data, 1, c.header_end) AS header
          FROM contents c JOIN blobs b ON b.content_id = c.id
          WHERE c.id IN (${ids.map(() => "?").join(", ")})`,
    args: ids,
  });
  for (const row of rows) headers.set(Number(row.id), blobBytes(row.header));
  return headers;
}

/** Indexes one batch of the contents above the watermark; returns how many it looked at. */
async function searchIndexBatch(
  read: Reader,
  write: <T>(fn: (w: Write) => Promise<T>) => Promise<T>,
  kept: KeptHeaders,
) {
  const { rows } = await rawOf(read).execute({
    sql: `SELECT c.id, ${searchTextSql("c")} AS body FROM contents c
          WHERE c.id > ${SEARCH_INDEXED_UPTO_SQL} ORDER BY c.id LIMIT ?`,
    args: [SEARCH_INDEX_BATCH],
  });
  if (rows.length === 0) return 0;
  const ids = rows.map((row) => Number(row.id));
  const first = ids[0]!;
  const last = ids[ids.length - 1]!;
  const readBack = await storedHeaders(
    read,
    ids.filter((id) => kept.get(id) === undefined),
  );
  // The header text exactly as delivery derived it (mime/message.ts), from the stored header bytes.
  const entries = rows.map((row, i) => {
    const id = ids[i]!;
    const header = kept.get(id) ?? readBack.get(id);
    return { id, headers: header ? searchHeadersOfHeader(header) : "", body: String(row.body ?? "") };
  });
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
  kept.dropUpTo(last);
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
  readonly #kept = new KeptHeaders();
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

  /** A content was committed with this header: kept for its batch (bounded, see KeptHeaders). */
  keep(id: number, header: Uint8Array): void {
    if (!this.#stopped) this.#kept.keep(id, header);
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
        while (
          !this.#stopped &&
          (await searchIndexBatch(this.#read, this.#write, this.#kept)) === SEARCH_INDEX_BATCH
        ) {}
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
