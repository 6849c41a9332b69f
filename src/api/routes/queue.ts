/**
 * /api/v1/queue: the outgoing delivery queue, one item per (message, remote recipient). Read from the
 * store; "retry now" and "drop" go through the queue runner, which owns the delivery side (waking the
 * workers, building bounces).
 */

import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { contentMeta, type QueueItem, queueGet, queueList } from "../../store/mod.ts";
import { type ApiEnv, handedOver } from "../deps.ts";
import { pick } from "../fields.ts";
import { afterIdCursor, queryParams } from "../params.ts";
import { ApiError } from "../problem.ts";

const QueueListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(200).optional(),
});

const QueueDeleteQuery = z.strictObject({
  bounce: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
});

/** The item as the API shows it (timestamps in epoch milliseconds, like other admin records). */
function queueItemJson(item: QueueItem) {
  return pick(item, QUEUE_ITEM_FIELDS);
}

const QUEUE_ITEM_FIELDS = [
  "id",
  "sender",
  "recipient",
  "domain",
  "status",
  "attempts",
  "nextAttemptAt",
  "lastError",
  "notify",
  "ret",
  "envid",
  "createdAt",
  "updatedAt",
] as const;

/** Queue ids are positive integers; anything else names no item: 404 like an unknown id. */
function queueIdParam(c: Context): number {
  const text = c.req.param("id") ?? "";
  const id = /^[1-9][0-9]{0,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id)) throw notFound(text);
  return id;
}

const notFound = (id: string | number) => new ApiError(404, "Not Found", `queue item ${id} not found`);

export const queueRoutes = new Hono<ApiEnv>()
  .get("/", async (c) => {
    const { store } = c.get("deps");
    const query = queryParams(c, QueueListQuery);
    const afterId = query.cursor === undefined ? undefined : afterIdCursor.decode(query.cursor);
    const rows = await queueList(store.read, { limit: query.limit + 1, afterId });
    const items = rows.slice(0, query.limit);
    const next = rows.length > query.limit ? afterIdCursor.encode(items[items.length - 1]!.id) : null;
    return c.json({ items: items.map(queueItemJson), next });
  })
  .get("/:id", async (c) => {
    const { store } = c.get("deps");
    const item = await queueGet(store.read, queueIdParam(c));
    if (!item) throw notFound(c.req.param("id"));
    const meta = await contentMeta(store.read, item.contentId);
    return c.json({
      ...queueItemJson(item),
      message: meta ? { size: meta.size, subject: meta.subject, from: meta.fromText } : null,
    });
  })
  .post("/:id/retry", async (c) => {
    const id = queueIdParam(c);
    if (!(await handedOver(c, "queue").retryNow(id))) throw notFound(id);
    return c.body(null, 204);
  })
  .delete("/:id", async (c) => {
    const id = queueIdParam(c);
    const { bounce } = queryParams(c, QueueDeleteQuery);
    const removed = await handedOver(c, "queue").remove(id, { bounce: bounce ?? false });
    if (!removed) throw notFound(id);
    return c.body(null, 204);
  });
