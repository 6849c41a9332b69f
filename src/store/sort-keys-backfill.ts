/**
 * Contents stored before the SORT/THREAD keys existed (contents.sort_version below
 * SORT_KEYS_VERSION) get them derived once, at startup, in bounded batches: SQL alone cannot run
 * the base-subject algorithm (RFC 5256 §2.1), so the migration only adds the columns. Each batch
 * reads the stored envelope and just the header bytes (substr up to header_end, never a body) and
 * writes its rows in one transaction, so deliveries interleave with it. SORT and THREAD wait for it
 * (Store.sortKeysReady()): their answers are then never built from half-derived keys.
 */

import { headerValue, parseHeaders, SORT_KEYS_VERSION, sortKeysOf } from "../mime/mod.ts";
import { envelopeDecode, envelopeEncode, envelopeRefersToRow } from "./content-codec.ts";
import {
  envelopeColumnsOfRow,
  envelopeColumnsSelect,
  SORT_KEY_COLUMNS,
  sortKeysPut,
  sortKeyValues,
} from "./contents.ts";
import { blobBytes, type Reader, rawOf, type Write } from "./db.ts";

/** Contents per batch: one read and one short write transaction each; bounds memory and lock time. */
export const SORT_KEYS_BATCH = 500;

const ASSIGN = SORT_KEY_COLUMNS.split(",")
  .map((c) => `${c.trim()} = ?`)
  .join(", ");

/**
 * Derives the keys of every content that lacks them, batch after batch, until none is left or
 * `stopped()` says to stop (the store is closing). Returns how many contents it updated.
 */
export async function sortKeysBackfill(
  read: Reader,
  write: <T>(fn: (w: Write) => Promise<T>) => Promise<T>,
  stopped: () => boolean = () => false,
): Promise<number> {
  let done = 0;
  let afterId = 0;
  while (!stopped()) {
    const { rows } = await rawOf(read).execute({
      sql: `SELECT c.id, c.envelope, ${envelopeColumnsSelect("c").join(", ")}, substr(b.data, 1, c.header_end) AS header FROM contents c
            JOIN blobs b ON b.content_id = c.id WHERE c.sort_version < ? AND c.id > ? ORDER BY c.id LIMIT ?`,
      args: [SORT_KEYS_VERSION, afterId, SORT_KEYS_BATCH],
    });
    if (rows.length === 0) break;
    const updates = rows.map((row) => {
      const header = blobBytes(row.header);
      const fields = parseHeaders(header, 0, header.length);
      const columns = envelopeColumnsOfRow(row);
      const envelope = envelopeDecode(String(row.envelope), columns);
      const keys = sortKeysOf(envelope, headerValue(fields, "references"));
      // An envelope that refers to the message_id column this rewrites is stored again against the
      // new value; any other (the object form of older releases, for one) stays as it is.
      const stored = envelopeRefersToRow(String(row.envelope))
        ? envelopeEncode(envelope, { ...columns, messageId: keys.messageId })
        : String(row.envelope);
      return { id: Number(row.id), keys, envelope: stored };
    });
    await write(async (w) => {
      for (const u of updates) {
        await w.exec({
          sql: `UPDATE contents SET ${ASSIGN}, envelope = ? WHERE id = ?`,
          args: [...sortKeyValues(u.keys), u.envelope, u.id],
        });
        await sortKeysPut(w, u.id, u.keys);
      }
    });
    done += updates.length;
    afterId = updates[updates.length - 1]!.id;
    if (rows.length < SORT_KEYS_BATCH) break;
  }
  return done;
}
