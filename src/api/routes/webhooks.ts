/**
 * /api/v1/webhooks (issue 16): POST one (url, events, secret), list them, get or delete one, and a
 * webhook's deliveries, newest first. The dispatcher (src/webhooks/) checks the URL, queues a
 * durable delivery for each wanted event and sends them in order, signed per Standard Webhooks.
 * The secret is shown once, in the answer to POST.
 */
import { Hono } from "hono";
import { z } from "zod";
import { EVENT_TYPES } from "../../events/types.ts";
import {
  type Webhook,
  type WebhookDelivery,
  webhookDeliveriesList,
  webhookGet,
  webhookList,
} from "../../store/mod.ts";
import { WebhookRefused } from "../../webhooks/dispatcher.ts";
import { webhookSecretGenerate, webhookSecretProblem } from "../../webhooks/signature.ts";
import { jsonBody } from "../body.ts";
import type { ApiEnv, WebhookControl } from "../deps.ts";
import { beforeIdCursor, queryParams } from "../params.ts";
import { ApiError } from "../problem.ts";
import { WebhookCreate } from "../schemas.ts";

function control(given: WebhookControl | undefined): WebhookControl {
  if (!given) throw new ApiError(501, "Not Implemented", "this server sends no webhooks");
  return given;
}

const unprocessable = (detail: string) => new ApiError(422, "Unprocessable Content", detail);

function idOf(text: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(text)) throw new ApiError(404, "Not Found", `webhook ${text} not found`);
  return Number(text);
}

/** What GET shows of a webhook: everything but the secret. */
const webhookJson = (h: Webhook) => ({ id: h.id, url: h.url, events: h.events, createdAt: h.createdAt });

const deliveryJson = (d: WebhookDelivery) => ({
  id: d.id,
  webhookId: d.webhookId,
  eventId: d.eventId,
  eventType: d.eventType,
  status: d.status,
  attempts: d.attempts,
  createdAt: d.createdAt,
  nextAttemptAt: d.status === "pending" ? d.nextAttemptAt : null,
  lastAttemptAt: d.lastAttemptAt,
  lastStatus: d.lastStatus,
  lastError: d.lastError,
});

const DeliveriesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});

export const webhookRoutes = new Hono<ApiEnv>()
  .post("/", async (c) => {
    const webhooks = control(c.get("deps").webhooks);
    const body = await jsonBody(c, WebhookCreate);
    for (const e of body.events) {
      const known =
        e === "*" ||
        (EVENT_TYPES as readonly string[]).includes(e) ||
        (e.endsWith(".*") && EVENT_TYPES.some((t) => t.startsWith(e.slice(0, -1))));
      if (!known)
        throw unprocessable(
          `events: unknown event type ${JSON.stringify(e)}: one of ${EVENT_TYPES.join(", ")}, a prefix like message.*, or *`,
        );
    }
    if (body.secret !== undefined) {
      const problem = webhookSecretProblem(body.secret);
      if (problem) throw unprocessable(`secret: ${problem}`);
    }
    const secret = body.secret ?? webhookSecretGenerate();
    let created: Webhook;
    try {
      created = await webhooks.create({ url: body.url, events: [...new Set(body.events)], secret });
    } catch (error) {
      if (!(error instanceof WebhookRefused)) throw error;
      throw error.status === 409
        ? new ApiError(409, "Conflict", error.message)
        : unprocessable(error.message);
    }
    return c.json({ ...webhookJson(created), secret }, 201, { location: `/api/v1/webhooks/${created.id}` });
  })
  .get("/", async (c) => c.json({ items: (await webhookList(c.get("deps").store.read)).map(webhookJson) }))
  .get("/:id", async (c) =>
    c.json(webhookJson(await webhookGet(c.get("deps").store.read, idOf(c.req.param("id"))))),
  )
  .delete("/:id", async (c) => {
    await control(c.get("deps").webhooks).remove(idOf(c.req.param("id")));
    return c.body(null, 204);
  })
  .get("/:id/deliveries", async (c) => {
    const { store } = c.get("deps");
    const id = idOf(c.req.param("id"));
    const query = queryParams(c, DeliveriesQuery);
    await webhookGet(store.read, id);
    const beforeId = query.cursor === undefined ? undefined : beforeIdCursor.decode(query.cursor);
    const rows = await webhookDeliveriesList(store.read, id, { limit: query.limit + 1, beforeId });
    const items = rows.slice(0, query.limit);
    return c.json({
      items: items.map(deliveryJson),
      next: rows.length > query.limit ? beforeIdCursor.encode(items[items.length - 1]!.id) : null,
    });
  });
