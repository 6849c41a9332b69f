/**
 * Stored message contents: the exact bytes (table blobs) and what the parse at delivery produced
 * (table contents). One content may back many messages (recipients of one delivery, COPY).
 */
import { eq, inArray, sql } from "drizzle-orm";
import {
  type Envelope,
  type MimePart,
  type ParsedMessage,
  SORT_KEYS_VERSION,
  type SortKeys,
} from "../mime/mod.ts";
import { IN_LIST_MAX, inChunks } from "./chunks.ts";
import {
  type EnvelopeColumns,
  envelopeDecode,
  envelopeEncode,
  structureDecode,
  structureEncode,
} from "./content-codec.ts";
import { blobBytes, type Reader, rawOf, readFirst, type Write } from "./db.ts";
import { blobs, contents, messages, queue, sortKeys } from "./schema.ts";

export interface ContentMeta {
  id: number;
  size: number;
  headerEnd: number;
  subject: string;
  fromText: string;
  toText: string;
  sentAt: number | null;
  preview: string;
  hasAttachments: boolean;
}

/** The columns of contents that sortKeyValues() fills, in its order. */
export const SORT_KEY_COLUMNS = "sort_version, is_reply, message_id, refs";

/** The values of SORT_KEY_COLUMNS for a content's sort keys (src/mime sort-keys.ts). */
export function sortKeyValues(k: SortKeys): Array<string | number> {
  return [SORT_KEYS_VERSION, k.isReply ? 1 : 0, k.messageId, k.references.join(" ")];
}

/**
 * Stores a content's string sort keys in table sort_keys (replacing what is there: the backfill
 * derives them again for contents stored before them).
 */
export async function sortKeysPut(w: Write, contentId: number, k: SortKeys): Promise<void> {
  await w.exec({
    sql: `INSERT OR REPLACE INTO sort_keys (content_id, base_subject, sort_from, sort_to, sort_cc, display_from, display_to)
          VALUES (?, ?, ?, ?, ?, ?, ?)`,
    args: [contentId, k.baseSubject, k.sortFrom, k.sortTo, k.sortCc, k.displayFrom, k.displayTo],
  });
}

/** SQLite's lower(): ASCII letters only (libsql has no ICU). */
function sqlLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * The body search text as stored: "" when it is the preview lower-cased by SQLite's lower(), as it
 * is for a short text message (issue 12: a second copy of its whole text). searchTextSql() reads it
 * back. A text is never "" with a preview: the preview's body is one of the text parts searched.
 */
function storedSearchText(parsed: ParsedMessage): string {
  return parsed.searchText !== "" && parsed.searchText === sqlLower(parsed.preview) ? "" : parsed.searchText;
}

/** The body search text (storedSearchText) of the contents row named `table`, as an SQL expression. */
export function searchTextSql(table: string): string {
  return `(CASE WHEN ${table}.search_text = '' THEN lower(${table}.preview) ELSE ${table}.search_text END)`;
}

/** The values contentCreate stores in the columns an envelope may refer to (content-codec.ts). */
export function envelopeColumnsOf(parsed: ParsedMessage): EnvelopeColumns {
  return {
    subject: parsed.subject,
    fromText: parsed.from,
    toText: parsed.to,
    sentAt: parsed.date,
    messageId: parsed.sortKeys.messageId,
  };
}

/** The contents columns EnvelopeColumns come from, in the order envelopeColumnsRead() takes them. */
const ENVELOPE_COLUMNS = ["subject", "from_text", "to_text", "sent_at", "message_id"] as const;

/** The columns of ENVELOPE_COLUMNS qualified by table alias `table`, one select-list entry each. */
export function envelopeColumnsSelect(table: string): string[] {
  return ENVELOPE_COLUMNS.map((column) => `${table}.${column}`);
}

/** EnvelopeColumns from five values read in ENVELOPE_COLUMNS' order. */
export function envelopeColumnsRead(values: readonly unknown[]): EnvelopeColumns {
  return {
    subject: String(values[0]),
    fromText: String(values[1]),
    toText: String(values[2]),
    sentAt: values[3] === null || values[3] === undefined ? null : Number(values[3]),
    messageId: String(values[4]),
  };
}

/** EnvelopeColumns from a row read by column name (with envelopeColumnsSelect()). */
export function envelopeColumnsOfRow(row: Record<string, unknown>): EnvelopeColumns {
  return envelopeColumnsRead(ENVELOPE_COLUMNS.map((column) => row[column]));
}

/** Stores bytes and parse results; raw SQL because it runs for every delivered message. */
export async function contentCreate(w: Write, raw: Uint8Array, parsed: ParsedMessage): Promise<number> {
  const result = await w.exec({
    sql: `INSERT INTO contents (size, header_end, envelope, structure, subject, from_text, to_text, sent_at, sent_day,
            preview, search_text, has_attachments, ${SORT_KEY_COLUMNS})
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${SORT_KEY_COLUMNS.split(",").fill("?").join(", ")}) RETURNING id`,
    args: [
      raw.byteLength,
      parsed.headerEnd,
      envelopeEncode(parsed.envelope, envelopeColumnsOf(parsed)),
      structureEncode(parsed.structure, { headerEnd: parsed.headerEnd, size: raw.byteLength }),
      parsed.subject,
      parsed.from,
      parsed.to,
      parsed.date,
      parsed.sentDay,
      parsed.preview,
      storedSearchText(parsed),
      parsed.hasAttachments ? 1 : 0,
      ...sortKeyValues(parsed.sortKeys),
    ],
  });
  const id = Number(result.rows[0]!.id);
  await w.exec({ sql: "INSERT INTO blobs (content_id, data) VALUES (?, ?)", args: [id, raw] });
  await sortKeysPut(w, id, parsed.sortKeys);
  // SEARCH's trigram prefilter is written behind, in batches (search-indexer.ts); a copy of the
  // header (not a view, which would keep the whole message alive) spares it reading the blob.
  w.contentStored(id, new Uint8Array(raw.subarray(0, parsed.headerEnd)));
  return id;
}

/** The exact stored bytes. Raw SQL: POP3 RETR runs it for every message it sends (see bench/pop3-retr.ts). */
export async function contentRaw(r: Reader, contentId: number): Promise<Uint8Array | undefined> {
  const row = await readFirst(r, { sql: "SELECT data FROM blobs WHERE content_id = ?", args: [contentId] });
  const data = row?.[0];
  if (data === undefined || data === null) return undefined;
  return blobBytes(data);
}

/**
 * The exact stored bytes and where the parse at delivery put the end of their header: POP3 TOP
 * (RFC 1939 §7) sends the header from this offset instead of looking for it again. Raw, one row.
 */
export async function contentRawWithHeaderEnd(
  r: Reader,
  contentId: number,
): Promise<{ raw: Uint8Array; headerEnd: number } | undefined> {
  const { rows } = await rawOf(r).execute({
    sql: "SELECT b.data, c.header_end FROM blobs b JOIN contents c ON c.id = b.content_id WHERE b.content_id = ?",
    args: [contentId],
  });
  const row = rows[0];
  if (!row || row.data === null || row.data === undefined) return undefined;
  return { raw: blobBytes(row.data), headerEnd: Number(row.header_end) };
}

export async function contentMeta(r: Reader, contentId: number): Promise<ContentMeta | undefined> {
  const [row] = await r
    .select({
      id: contents.id,
      size: contents.size,
      headerEnd: contents.headerEnd,
      subject: contents.subject,
      fromText: contents.fromText,
      toText: contents.toText,
      sentAt: contents.sentAt,
      preview: contents.preview,
      hasAttachments: contents.hasAttachments,
    })
    .from(contents)
    .where(eq(contents.id, contentId))
    .limit(1);
  return row;
}

/** What the parse at delivery stored about a content, and the bytes a reader of it asked for. */
export interface ContentView {
  headerEnd: number;
  envelope: Envelope;
  structure: MimePart;
  subject: string;
  /** The Date header as epoch ms, or null (ParsedMessage.date). */
  date: number | null;
  /** The header's bytes [0, headerEnd). */
  header: Uint8Array;
  /** The body bytes [bodyStart, end) of each part `partsOf` named. */
  bodies: Map<MimePart, Uint8Array>;
}

/**
 * Below this size a content comes whole with its parse, in one statement: a second round trip for
 * the parts costs more than copying a few kilobytes too many.
 */
const WHOLE_READ_MAX = 64 * 1024;

/**
 * Answers from the parse stored at delivery (parse once, STYLE.md): reads the stored structure,
 * envelope and header, lets `partsOf` pick the parts whose bodies are needed, and reads just those
 * by their offsets (a large content's other bytes never leave the database). Undefined when the
 * content is gone.
 */
export async function contentView(
  r: Reader,
  contentId: number,
  partsOf: (structure: MimePart) => MimePart[],
): Promise<ContentView | undefined> {
  const { rows } = await rawOf(r).execute({
    sql: `SELECT c.header_end, c.size, c.envelope, c.structure, ${envelopeColumnsSelect("c").join(", ")},
            CASE WHEN c.size <= ?2 THEN b.data END AS whole,
            CASE WHEN c.size > ?2 THEN substr(b.data, 1, c.header_end) END AS header
          FROM contents c JOIN blobs b ON b.content_id = c.id WHERE c.id = ?1`,
    args: [contentId, WHOLE_READ_MAX],
  });
  const row = rows[0];
  if (!row) return undefined;
  const headerEnd = Number(row.header_end);
  const structure = structureDecode(String(row.structure), { headerEnd, size: Number(row.size) });
  const parts = partsOf(structure);
  const whole = row.whole === null ? undefined : blobBytes(row.whole);
  const slices = whole
    ? parts.map((p) => whole.subarray(p.bodyStart, p.end))
    : await contentSlices(
        r,
        contentId,
        parts.map((p) => [p.bodyStart, p.end] as const),
      );
  // Expunged between the two statements: gone, as if it never existed.
  if (!slices) return undefined;
  return {
    headerEnd,
    envelope: envelopeDecode(String(row.envelope), envelopeColumnsOfRow(row)),
    structure,
    subject: String(row.subject),
    date: row.sent_at === null ? null : Number(row.sent_at),
    header: whole ? whole.subarray(0, headerEnd) : blobBytes(row.header),
    bodies: new Map(parts.map((p, i) => [p, slices[i]!])),
  };
}

/** Byte ranges read per statement: two bound values each. */
const SLICES_PER_STATEMENT = 100;

/**
 * Byte ranges [start, end) of a content's stored bytes, in the order asked, each read with substr()
 * so that only those bytes leave the database; undefined when the content is gone.
 */
export async function contentSlices(
  r: Reader,
  contentId: number,
  ranges: ReadonlyArray<readonly [start: number, end: number]>,
): Promise<Uint8Array[] | undefined> {
  if (ranges.length === 0) {
    const { rows } = await rawOf(r).execute({
      sql: "SELECT 1 FROM blobs WHERE content_id = ?",
      args: [contentId],
    });
    return rows.length > 0 ? [] : undefined;
  }
  const raw = rawOf(r);
  let gone = false;
  const slices = await inChunks(ranges, SLICES_PER_STATEMENT, async (chunk) => {
    // substr() counts bytes of a BLOB from 1.
    const { rows } = await raw.execute({
      sql: `SELECT ${chunk.map((_, i) => `substr(data, ?, ?) AS s${i}`).join(", ")} FROM blobs WHERE content_id = ?`,
      args: [...chunk.flatMap(([start, end]) => [start + 1, Math.max(0, end - start)]), contentId],
    });
    const row = rows[0];
    if (!row) {
      gone = true;
      return [];
    }
    return chunk.map((_, i) => blobBytes(row[`s${i}`]));
  });
  return gone ? undefined : slices;
}

/** Deletes the contents among `ids` that no message references any more (bytes included). */
export async function contentsDeleteOrphans(w: Write, ids: readonly number[]): Promise<void> {
  await inChunks(ids, IN_LIST_MAX, async (chunk) => {
    // Orphaned: no message and no queued delivery refers to it any more.
    const orphan = sql`${contents.id} IN ${chunk} AND NOT EXISTS (SELECT 1 FROM ${messages} WHERE ${messages.contentId} = ${contents.id}) AND NOT EXISTS (SELECT 1 FROM ${queue} WHERE ${queue.contentId} = ${contents.id})`;
    const gone = await w.tx.select({ id: contents.id }).from(contents).where(orphan);
    if (gone.length === 0) return;
    const goneIds = gone.map((g) => g.id);
    await w.tx.delete(blobs).where(inArray(blobs.contentId, goneIds));
    await w.tx.delete(sortKeys).where(inArray(sortKeys.contentId, goneIds));
    // The prefilter forgets them too (contentless_delete, migration 0007).
    await w.exec({
      sql: `DELETE FROM contents_fts WHERE rowid IN (${goneIds.map(() => "?").join(", ")})`,
      args: goneIds,
    });
    await w.tx.delete(contents).where(inArray(contents.id, goneIds));
  });
}
