/**
 * What an IMAP FETCH reads: per-message rows for a batch of UIDs of one mailbox in one raw statement
 * (messages joined with contents, and with the header bytes of blobs, only when the FETCH needs
 * them), the exact bytes of one content, and the UIDs expunged since a MODSEQ (RFC 7162 §3.2.6).
 * Raw SQL: FETCH 1:* over a large mailbox runs this for every message, where drizzle's query building
 * would cost more than the query.
 */
import { chunksOf, IN_LIST_MAX, placeholders } from "./chunks.ts";
import { blobBytes, type Reader, rawOf } from "./db.ts";

export interface FetchRow {
  uid: number;
  modseq: number;
  flags: number;
  /** JSON array, as stored (parse only when FLAGS is sent). */
  keywords: string;
  internalDate: number;
  size: number;
  contentId: number;
  /** RFC 8514 save date (epoch ms), null for messages stored before it was kept. */
  saveDate: number | null;
  /** Offset of the body; set when any of the contents columns were asked for. */
  headerEnd?: number;
  /** src/mime Envelope as JSON. */
  envelope?: string;
  /** src/mime MimePart as JSON. */
  structure?: string;
  /** The top-level header's bytes [0, headerEnd). */
  head?: Uint8Array;
}

export interface FetchRowsOptions {
  envelope?: boolean;
  structure?: boolean;
  /** header_end only (e.g. for TEXT over the full bytes read separately). */
  headerEnd?: boolean;
  /** The header's bytes, read with substr() so the body never leaves the database. */
  head?: boolean;
  /** RFC 7162 §3.1.4.1 CHANGEDSINCE: only rows with a greater MODSEQ. */
  changedSince?: number;
}

/**
 * The rows of the given UIDs (ascending) that still exist, in UID order. A dense batch is read with
 * one `uid BETWEEN` range scan and filtered here; a sparse one with IN lists of at most 500 UIDs.
 */
export async function fetchRows(
  r: Reader,
  mailboxId: number,
  uids: readonly number[],
  options: FetchRowsOptions = {},
): Promise<FetchRow[]> {
  if (uids.length === 0) return [];
  const joinContents = options.envelope || options.structure || options.headerEnd || options.head;
  const columns = [
    "m.uid",
    "m.modseq",
    "m.flags",
    "m.keywords",
    "m.internal_date",
    "m.size",
    "m.content_id",
    "m.save_date",
    joinContents ? "c.header_end" : undefined,
    options.envelope ? "c.envelope" : undefined,
    options.structure ? "c.structure" : undefined,
    options.head
      ? "(SELECT substr(b.data, 1, c.header_end) FROM blobs b WHERE b.content_id = m.content_id) AS head"
      : undefined,
  ].filter((c) => c !== undefined);
  const from = joinContents ? "messages m JOIN contents c ON c.id = m.content_id" : "messages m";
  const since = options.changedSince === undefined ? "" : " AND m.modseq > ?";
  const sinceArgs = options.changedSince === undefined ? [] : [options.changedSince];
  const raw = rawOf(r);
  const first = uids[0]!;
  const last = uids[uids.length - 1]!;
  const statements: Array<{ sql: string; args: number[] }> = [];
  if (last - first + 1 <= uids.length * 2) {
    statements.push({
      sql: `SELECT ${columns.join(", ")} FROM ${from} WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ?${since} ORDER BY m.uid`,
      args: [mailboxId, first, last, ...sinceArgs],
    });
  } else {
    for (const chunk of chunksOf(uids, IN_LIST_MAX)) {
      statements.push({
        sql: `SELECT ${columns.join(", ")} FROM ${from} WHERE m.mailbox_id = ? AND m.uid IN (${placeholders(chunk.length)})${since} ORDER BY m.uid`,
        args: [mailboxId, ...chunk, ...sinceArgs],
      });
    }
  }
  const wanted = new Set(uids);
  const out: FetchRow[] = [];
  for (const statement of statements) {
    const { rows } = await raw.execute(statement);
    for (const row of rows) {
      const uid = Number(row.uid);
      if (!wanted.has(uid)) continue;
      const item: FetchRow = {
        uid,
        modseq: Number(row.modseq),
        flags: Number(row.flags),
        keywords: String(row.keywords),
        internalDate: Number(row.internal_date),
        size: Number(row.size),
        contentId: Number(row.content_id),
        saveDate: row.save_date == null ? null : Number(row.save_date),
      };
      if (joinContents) item.headerEnd = Number(row.header_end);
      if (options.envelope) item.envelope = String(row.envelope);
      if (options.structure) item.structure = String(row.structure);
      if (options.head) item.head = blobBytes(row.head);
      out.push(item);
    }
  }
  return out;
}

/** The exact stored bytes of a content, or undefined when it is gone (expunged meanwhile). */
export async function fetchContentBytes(r: Reader, contentId: number): Promise<Uint8Array | undefined> {
  const { rows } = await rawOf(r).execute({
    sql: "SELECT data FROM blobs WHERE content_id = ?",
    args: [contentId],
  });
  const row = rows[0];
  return row ? blobBytes(row.data) : undefined;
}

/** UIDs removed from a mailbox after the given MODSEQ, ascending (RFC 7162 §3.2.6 VANISHED (EARLIER)). */
export async function fetchExpungedSince(r: Reader, mailboxId: number, modseq: number): Promise<number[]> {
  const { rows } = await rawOf(r).execute({
    sql: "SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY uid",
    args: [mailboxId, modseq],
  });
  return rows.map((row) => Number(row.uid));
}
