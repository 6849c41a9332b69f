/**
 * Webhooks and their deliveries (issue 16). A delivery row is written for every event a webhook
 * wants, in one commit per batch of events, and settled by the sender (src/webhooks/): delivered,
 * retried later, or failed after 24 hours. Rows are taken in id order per webhook.
 */
import { and, asc, count, desc, eq, lt, ne, sql } from "drizzle-orm";
import type { Reader, Write } from "./db.ts";
import { notFound } from "./errors.ts";
import { webhookDeliveries, webhooks } from "./schema.ts";

export interface Webhook {
  id: number;
  url: string;
  /** Event types, or prefixes like "message.*". */
  events: string[];
  /** "whsec_<base64>" (Standard Webhooks). */
  secret: string;
  createdAt: number;
}

export type WebhookDeliveryStatus = "pending" | "delivered" | "failed";

export interface WebhookDelivery {
  id: number;
  webhookId: number;
  eventId: number;
  eventType: string;
  payload: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  lastAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
}

/** Finished deliveries kept per webhook for GET .../deliveries; older ones are deleted. */
const KEEP_FINISHED = 1_000;

function webhookOf(row: typeof webhooks.$inferSelect): Webhook {
  return { ...row, events: JSON.parse(row.events) as string[] };
}

export async function webhookCreate(
  w: Write,
  input: { url: string; events: string[]; secret: string },
): Promise<Webhook> {
  const [row] = await w.tx
    .insert(webhooks)
    .values({
      url: input.url,
      events: JSON.stringify(input.events),
      secret: input.secret,
      createdAt: Date.now(),
    })
    .returning();
  return webhookOf(row!);
}

export async function webhookList(r: Reader): Promise<Webhook[]> {
  return (await r.select().from(webhooks).orderBy(asc(webhooks.id))).map(webhookOf);
}

export async function webhookCount(r: Reader): Promise<number> {
  const [row] = await r.select({ n: count() }).from(webhooks);
  return row?.n ?? 0;
}

export async function webhookGet(r: Reader, id: number): Promise<Webhook> {
  const [row] = await r.select().from(webhooks).where(eq(webhooks.id, id));
  if (!row) throw notFound(`webhook ${id}`);
  return webhookOf(row);
}

/** Deletes the webhook and its deliveries, pending ones included. */
export async function webhookDelete(w: Write, id: number): Promise<void> {
  const gone = await w.tx.delete(webhooks).where(eq(webhooks.id, id)).returning({ id: webhooks.id });
  if (gone.length === 0) throw notFound(`webhook ${id}`);
  await w.tx.delete(webhookDeliveries).where(eq(webhookDeliveries.webhookId, id));
}

/** Queues deliveries, in the order given (their ids keep it). */
export async function webhookDeliveriesAdd(
  w: Write,
  rows: ReadonlyArray<{ webhookId: number; eventId: number; eventType: string; payload: string }>,
): Promise<void> {
  if (rows.length === 0) return;
  const now = Date.now();
  await w.tx
    .insert(webhookDeliveries)
    .values(rows.map((r) => ({ ...r, nextAttemptAt: now, createdAt: now })));
}

/** The oldest pending delivery of a webhook: the only one that may be sent now. */
export async function webhookDeliveryHead(
  r: Reader,
  webhookId: number,
): Promise<WebhookDelivery | undefined> {
  const [row] = await r
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.status, "pending")))
    .orderBy(asc(webhookDeliveries.id))
    .limit(1);
  return row as WebhookDelivery | undefined;
}

/** Webhooks with pending deliveries (after a restart, their senders start again). */
export async function webhooksWithPending(r: Reader): Promise<number[]> {
  const rows = await r
    .selectDistinct({ id: webhookDeliveries.webhookId })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.status, "pending"));
  return rows.map((row) => row.id);
}

/** Records an attempt: delivered, failed for good, or pending again until `nextAttemptAt`. */
export async function webhookDeliveryRecord(
  w: Write,
  id: number,
  attempt: {
    status: WebhookDeliveryStatus;
    at: number;
    httpStatus: number | null;
    error: string | null;
    nextAttemptAt?: number;
  },
): Promise<void> {
  const [row] = await w.tx
    .update(webhookDeliveries)
    .set({
      status: attempt.status,
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      lastAttemptAt: attempt.at,
      lastStatus: attempt.httpStatus,
      lastError: attempt.error,
      ...(attempt.nextAttemptAt === undefined ? {} : { nextAttemptAt: attempt.nextAttemptAt }),
    })
    .where(eq(webhookDeliveries.id, id))
    .returning({ webhookId: webhookDeliveries.webhookId });
  if (!row || attempt.status === "pending") return;
  // Keep the history bounded: finished deliveries past the newest KEEP_FINISHED go.
  const [edge] = await w.tx
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.webhookId, row.webhookId), ne(webhookDeliveries.status, "pending")))
    .orderBy(desc(webhookDeliveries.id))
    .limit(1)
    .offset(KEEP_FINISHED);
  if (edge)
    await w.tx
      .delete(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.webhookId, row.webhookId),
          ne(webhookDeliveries.status, "pending"),
          lt(webhookDeliveries.id, edge.id + 1),
        ),
      );
}

/** A webhook's deliveries, newest first, in pages below `beforeId`. */
export async function webhookDeliveriesList(
  r: Reader,
  webhookId: number,
  options: { limit: number; beforeId?: number | undefined },
): Promise<WebhookDelivery[]> {
  const rows = await r
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.webhookId, webhookId),
        options.beforeId === undefined ? undefined : lt(webhookDeliveries.id, options.beforeId),
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(options.limit);
  return rows as WebhookDelivery[];
}
