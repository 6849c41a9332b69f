/**
 * What an IMAP FETCH reads: per-message rows for a batch of UIDs of one mailbox in one raw statement
 * (messages joined with contents, and with the header bytes of blobs, only when the FETCH needs
 * them), the exact bytes of one content, and the UIDs expunged since a MODSEQ (RFC 7162 §3.2.6).
 * Raw SQL: FETCH 1:* over a large mailbox runs this for every message, where drizzle's query building
 * would cost more than the query.
 */
import { chunksOf, IN_LIST_MAX, placeholders } from "./chunks.ts";
import type { EnvelopeColumns, StructureColumns } from "./content-codec.ts";
import { envelopeColumnsRead, envelopeColumnsSelect } from "./contents.ts";
import { blobBytes, type Reader, rawOf, readArrays, readFirst } from "./db.ts";
import { expungedHistoryLost } from "./selection.ts";

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
  /**
   * RFC 8474 THREADID's number: the thread the message joined at delivery, or (stored before
   * threads were kept) its content id, a thread of its own.
   */
  threadId: number;
  /** RFC 8970 preview text stored at delivery; set when asked for. */
  preview?: string;
  /** Offset of the body; set when any of the contents columns were asked for. */
  headerEnd?: number;
  /** src/mime Envelope as stored (content-codec.ts: envelopeDecode reads it, with envelopeColumns). */
  envelope?: string;
  /** The contents columns the stored envelope may refer to; set with `envelope`. */
  envelopeColumns?: EnvelopeColumns;
  /** src/mime MimePart as stored (content-codec.ts: structureDecode reads it, with structureColumns). */
  structure?: string;
  /** The contents columns the stored structure may refer to; set with `structure`. */
  structureColumns?: StructureColumns;
  /** The top-level header's bytes [0, headerEnd). */
  head?: Uint8Array;
  /** The whole message's bytes; undefined when its content is gone (expunged meanwhile). */
  data?: Uint8Array | undefined;
}

export interface FetchRowsOptions {
  envelope?: boolean;
  structure?: boolean;
  /** header_end only (e.g. for TEXT over the full bytes read separately). */
  headerEnd?: boolean;
  /** The header's bytes, read with substr() so the body never leaves the database. */
  head?: boolean;
  /**
   * The whole message's bytes, in the same statement (one instead of two for the usual one-message
   * FETCH BODY[]). Every row's bytes are in memory at once: ask for it for small batches only.
   */
  data?: boolean;
  /** RFC 7162 §3.1.4.1 CHANGEDSINCE: only rows with a greater MODSEQ. */
  changedSince?: number;
  /** RFC 8970 PREVIEW: the preview stored at delivery. */
  preview?: boolean;
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
  const joinContents =
    options.envelope || options.structure || options.headerEnd || options.head || options.preview;
  // Rows come back as arrays (db.ts readArrays): the optional columns follow the fixed nine, in
  // this order, each where the running count puts it.
  const columns = [
    "m.uid",
    "m.modseq",
    "m.flags",
    "m.keywords",
    "m.internal_date",
    "m.size",
    "m.content_id",
    "m.save_date",
    "coalesce(m.thread_id, m.content_id) AS thread_id",
  ];
  const at = (column: string | undefined): number => (column ? columns.push(column) - 1 : -1);
  const headerEndAt = at(joinContents ? "c.header_end" : undefined);
  const previewAt = at(options.preview ? "c.preview" : undefined);
  const envelopeAt = at(options.envelope ? "c.envelope" : undefined);
  // The five columns follow the envelope, in the order envelopeColumnsRead() takes them.
  if (options.envelope) columns.push(...envelopeColumnsSelect("c"));
  const structureAt = at(options.structure ? "c.structure" : undefined);
  // header_end is at headerEndAt whenever contents are joined; the size follows the structure.
  if (options.structure) columns.push("c.size");
  const headAt = at(
    options.head
      ? "(SELECT substr(b.data, 1, c.header_end) FROM blobs b WHERE b.content_id = m.content_id)"
      : undefined,
  );
  const dataAt = at(
    options.data ? "(SELECT b.data FROM blobs b WHERE b.content_id = m.content_id)" : undefined,
  );
  const select = `SELECT ${columns.join(", ")} FROM ${joinContents ? "messages m JOIN contents c ON c.id = m.content_id" : "messages m"} WHERE m.mailbox_id = ?`;
  const since = options.changedSince === undefined ? "" : " AND m.modseq > ?";
  const sinceArgs = options.changedSince === undefined ? [] : [options.changedSince];
  const first = uids[0]!;
  const last = uids[uids.length - 1]!;
  const statements: Array<{ sql: string; args: number[] }> = [];
  if (uids.length === 1) {
    statements.push({ sql: `${select} AND m.uid = ?${since}`, args: [mailboxId, first, ...sinceArgs] });
  } else if (last - first + 1 <= uids.length * 2) {
    statements.push({
      sql: `${select} AND m.uid BETWEEN ? AND ?${since} ORDER BY m.uid`,
      args: [mailboxId, first, last, ...sinceArgs],
    });
  } else {
    for (const chunk of chunksOf(uids, IN_LIST_MAX)) {
      statements.push({
        sql: `${select} AND m.uid IN (${placeholders(chunk.length)})${since} ORDER BY m.uid`,
        args: [mailboxId, ...chunk, ...sinceArgs],
      });
    }
  }
  const wanted = uids.length === 1 ? undefined : new Set(uids);
  const out: FetchRow[] = [];
  for (const statement of statements) {
    // One UID (the usual one-message command): a lookup by key, without a result iterator.
    const rows = wanted ? await readArrays(r, statement) : [await readFirst(r, statement)];
    for (const row of rows) {
      if (!row) continue;
      const uid = Number(row[0]);
      if (wanted && !wanted.has(uid)) continue;
      const item: FetchRow = {
        uid,
        modseq: Number(row[1]),
        flags: Number(row[2]),
        keywords: String(row[3]),
        internalDate: Number(row[4]),
        size: Number(row[5]),
        contentId: Number(row[6]),
        saveDate: row[7] == null ? null : Number(row[7]),
        threadId: Number(row[8]),
      };
      if (previewAt >= 0) item.preview = String(row[previewAt]);
      if (headerEndAt >= 0) item.headerEnd = Number(row[headerEndAt]);
      if (envelopeAt >= 0) {
        item.envelope = String(row[envelopeAt]);
        item.envelopeColumns = envelopeColumnsRead(row.slice(envelopeAt + 1, envelopeAt + 6));
      }
      if (structureAt >= 0) {
        item.structure = String(row[structureAt]);
        item.structureColumns = { headerEnd: Number(row[headerEndAt]), size: Number(row[structureAt + 1]) };
      }
      if (headAt >= 0) item.head = blobBytes(row[headAt]);
      if (dataAt >= 0) item.data = row[dataAt] == null ? undefined : blobBytes(row[dataAt]);
      out.push(item);
    }
  }
  return out;
}

/** The exact stored bytes of a content, or undefined when it is gone (expunged meanwhile). */
export async function fetchContentBytes(r: Reader, contentId: number): Promise<Uint8Array | undefined> {
  const row = await readFirst(r, { sql: "SELECT data FROM blobs WHERE content_id = ?", args: [contentId] });
  return row ? blobBytes(row[0]) : undefined;
}

/**
 * UIDs removed from a mailbox after the given MODSEQ, ascending (RFC 7162 §3.2.6 VANISHED (EARLIER)),
 * or `historyLost` when removals that old have been forgotten (see mailboxChangesSince()).
 */
export async function fetchExpungedSince(
  r: Reader,
  mailboxId: number,
  modseq: number,
): Promise<{ uids: number[]; historyLost?: { uidNext: number } }> {
  const historyLost = await expungedHistoryLost(r, mailboxId, modseq);
  if (historyLost) return { uids: [], historyLost };
  const { rows } = await rawOf(r).execute({
    sql: "SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY uid",
    args: [mailboxId, modseq],
  });
  return { uids: rows.map((row) => Number(row.uid)) };
}
