/**
 * POST .../mbox: an mbox upload read as a stream and stored in batches, so memory holds one batch
 * whatever the file's size (an 83 MB upload of 80k messages took the process to 4.8 GB RSS when the
 * whole file and every parsed message were held for one transaction). It stays all or nothing: if a
 * message is refused (quota, size, a full disk), the messages this request stored are expunged again
 * before the error is answered.
 */
import type { Context } from "hono";
import type { Logger } from "../log.ts";
import { parseMessage } from "../mime/mod.ts";
import { type Mailbox, messageIngest, messagesExpunge, type Store } from "../store/mod.ts";
import { MboxFormatError, mboxMessageOf } from "../transfer/mbox-format.ts";
import { mboxSegments } from "../transfer/mbox-source.ts";
import { ApiError } from "./problem.ts";

/** Messages per write: bounds the memory of a batch (each at most the message size limit). */
const BATCH = 100;
/** A long upload logs its progress (messages, bytes, rate) at most this often. */
const PROGRESS_EVERY_MS = 1000;

export async function mboxImport(
  c: Context,
  store: Store,
  mailbox: Pick<Mailbox, "id" | "accountId">,
  maxMessageSize: number,
  log?: Logger,
): Promise<{ imported: number; ids: number[] }> {
  const started = performance.now();
  let reported = started;
  const limit = maxMessageSize * 4;
  const tooLarge = () =>
    new ApiError(413, "Content Too Large", `an mbox upload is limited to ${limit} bytes`);
  if (Number(c.req.header("content-length") ?? 0) > limit) throw tooLarge();
  const body = c.req.raw.body;
  if (!body) return { imported: 0, ids: [] };
  let total = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > limit) throw tooLarge();
      yield chunk;
    }
  }
  const added: Array<{ id: number; uid: number }> = [];
  const now = Date.now();
  let batch: Array<{ raw: Uint8Array; internalDate: number }> = [];
  const flush = async () => {
    const items = batch;
    batch = [];
    if (items.length === 0) return;
    const stored = await store.write(async (w) => {
      const out: Array<{ id: number; uid: number }> = [];
      for (const item of items) {
        const [m] = await messageIngest(w, {
          raw: item.raw,
          parsed: parseMessage(item.raw),
          internalDate: item.internalDate,
          targets: [{ accountId: mailbox.accountId, mailboxId: mailbox.id }],
          enforceQuota: true,
        });
        out.push({ id: m!.id, uid: m!.uid });
      }
      return out;
    });
    added.push(...stored);
    const now = performance.now();
    if (log && now - reported >= PROGRESS_EVERY_MS) {
      reported = now;
      const seconds = (now - started) / 1000;
      log.info("mbox_import.progress", {
        mailbox: mailbox.id,
        messages: added.length,
        bytes: total,
        totalBytes: Number(c.req.header("content-length") ?? 0) || null,
        rate: Math.round(added.length / seconds),
      });
    }
  };
  let index = 0;
  try {
    for await (const segment of mboxSegments(counted(), maxMessageSize)) {
      index++;
      const tooBig = () =>
        new ApiError(
          413,
          "Content Too Large",
          `message ${index} of the mbox is larger than ${maxMessageSize} bytes`,
        );
      if ("tooLarge" in segment) throw tooBig();
      const entry = mboxMessageOf(segment.bytes);
      // A From_ line directly followed by another holds no message.
      if (entry.raw.length === 0) {
        index--;
        continue;
      }
      if (entry.raw.length > maxMessageSize) throw tooBig();
      batch.push({ raw: entry.raw, internalDate: entry.internalDate ?? now });
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  } catch (error) {
    // All or nothing: what this request stored goes again before the error is answered.
    if (added.length > 0)
      await store.write((w) =>
        messagesExpunge(
          w,
          mailbox,
          added.map((a) => a.uid),
        ),
      );
    if (error instanceof MboxFormatError) throw new ApiError(400, "Bad Request", error.message);
    throw error;
  }
  log?.info("mbox_import.done", {
    mailbox: mailbox.id,
    messages: added.length,
    bytes: total,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  });
  return { imported: added.length, ids: added.map((a) => a.id) };
}
