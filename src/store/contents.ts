/**
 * Stored message contents: the exact bytes (table blobs) and what the parse at delivery produced
 * (table contents). One content may back many messages (recipients of one delivery, COPY).
 */
import { eq, inArray, sql } from "drizzle-orm";
import type { ParsedMessage } from "../mime/mod.ts";
import { IN_LIST_MAX, inChunks } from "./chunks.ts";
import { type Reader, rawOf, type Write } from "./db.ts";
import { blobs, contents, messages, queue } from "./schema.ts";

export interface ContentMeta {
  id: number;
  size: number;
  headerEnd: number;
  envelope: string;
  structure: string;
  subject: string;
  fromText: string;
  toText: string;
  sentAt: number | null;
  preview: string;
  hasAttachments: boolean;
}

/** Stores bytes and parse results; raw SQL because it runs for every delivered message. */
export async function contentCreate(w: Write, raw: Uint8Array, parsed: ParsedMessage): Promise<number> {
  const result = await w.exec({
    sql: `INSERT INTO contents (size, header_end, envelope, structure, subject, from_text, to_text, sent_at, preview,
            search_headers, search_text, has_attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    args: [
      raw.byteLength,
      parsed.headerEnd,
      JSON.stringify(parsed.envelope),
      JSON.stringify(parsed.structure),
      parsed.subject,
      parsed.from,
      parsed.to,
      parsed.date,
      parsed.preview,
      parsed.searchHeaders,
      parsed.searchText,
      parsed.hasAttachments ? 1 : 0,
    ],
  });
  const id = Number(result.rows[0]!.id);
  await w.exec({ sql: "INSERT INTO blobs (content_id, data) VALUES (?, ?)", args: [id, raw] });
  return id;
}

/** The exact stored bytes. Raw SQL: POP3 RETR runs it for every message it sends (see bench/pop3-retr.ts). */
export async function contentRaw(r: Reader, contentId: number): Promise<Uint8Array | undefined> {
  const { rows } = await rawOf(r).execute({
    sql: "SELECT data FROM blobs WHERE content_id = ?",
    args: [contentId],
  });
  const data = rows[0]?.data as unknown;
  if (data === undefined || data === null) return undefined;
  return toBytes(data);
}

/** libSQL hands BLOBs back as ArrayBuffer; substr() of an empty range may come back as "". */
function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new TextEncoder().encode(String(data ?? ""));
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
  return { raw: toBytes(row.data), headerEnd: Number(row.header_end) };
}

export async function contentMeta(r: Reader, contentId: number): Promise<ContentMeta | undefined> {
  const [row] = await r
    .select({
      id: contents.id,
      size: contents.size,
      headerEnd: contents.headerEnd,
      envelope: contents.envelope,
      structure: contents.structure,
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

/** Deletes the contents among `ids` that no message references any more (bytes included). */
export async function contentsDeleteOrphans(w: Write, ids: readonly number[]): Promise<void> {
  await inChunks(ids, IN_LIST_MAX, async (chunk) => {
    // Orphaned: no message and no queued delivery refers to it any more.
    const orphan = sql`${contents.id} IN ${chunk} AND NOT EXISTS (SELECT 1 FROM ${messages} WHERE ${messages.contentId} = ${contents.id}) AND NOT EXISTS (SELECT 1 FROM ${queue} WHERE ${queue.contentId} = ${contents.id})`;
    const gone = await w.tx.select({ id: contents.id }).from(contents).where(orphan);
    if (gone.length === 0) return;
    const goneIds = gone.map((g) => g.id);
    await w.tx.delete(blobs).where(inArray(blobs.contentId, goneIds));
    await w.tx.delete(contents).where(inArray(contents.id, goneIds));
  });
}
