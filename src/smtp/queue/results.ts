/**
 * Committing what a delivery attempt found, one write per transaction: delivered items are removed,
 * permanent failures bounce (RFC 3464) in the same write that removes them, temporary ones are
 * deferred to the next retry — or bounce with 4.4.7 once past the queue lifetime (RFC 3463). Then
 * each attempt is logged (queue id, recipient, host, result; never the message).
 */
import type { EventSink } from "../../events/types.ts";
import type { Logger } from "../../log.ts";
import { metrics } from "../../metrics/mod.ts";
import {
  deliveryHourAdd,
  type QueueItem,
  queueDefer,
  queueMarkDelayNotified,
  queueRemove,
  type Store,
} from "../../store/mod.ts";
import { bounceFailures, type DeliveryFailure, type NoticeSigner } from "../delivery/bounce.ts";
import type { RecipientOutcome } from "../delivery/client.ts";
import { type Notice, sendNotices, wantsDelayNotice, wantsSuccessNotice } from "../delivery/notices.ts";
import { DELAY_NOTICE_AFTER_MS } from "./limits.ts";
import { isExpired, nextAttemptAt } from "./schedule.ts";

/** A temporary failure's facts, kept until the item is deferred or, past its lifetime, bounced. */
export interface TempFailure {
  status: string;
  /** The remote reply, when a server gave one. */
  reply: string | null;
  /** Our explanation otherwise (connection refused, DNS failure...). */
  detail: string | null;
  remoteMta: string | null;
}

export interface AttemptResults {
  delivered?: QueueItem[];
  /**
   * Of `delivered`, those the next hop took without offering DSN (RFC 3461 §5.2.2.1): a sender who
   * asked NOTIFY=SUCCESS hears "relayed" from us, since nobody further on will report.
   */
  relayedWithoutDsn?: QueueItem[];
  failed?: DeliveryFailure[];
  temporary?: Array<{ item: QueueItem; failure: TempFailure }>;
  /** The host that answered, for the log. */
  host?: string;
}

export interface ResultContext {
  store: Store;
  log: Logger;
  hostname: string;
  retry: readonly number[];
  maxAge: number;
  /** A bounce was queued for remote delivery. */
  onQueued(): void;
  /** DKIM-signs DSNs that go to remote senders. */
  signNotice?: NoticeSigner | undefined;
  /** Issue 16: queue.delivered / queue.deferred / queue.bounced, published after the commit. */
  events?: EventSink | undefined;
}

/** Sorts one transaction's per-recipient outcomes into delivered, failed for good, and deferred. */
export function sortOutcomes(
  group: readonly QueueItem[],
  outcomes: readonly RecipientOutcome[],
  host: string,
) {
  const byAddress = new Map(outcomes.map((r) => [r.address, r]));
  const results: Required<AttemptResults> = {
    delivered: [],
    failed: [],
    temporary: [],
    host,
    relayedWithoutDsn: [],
  };
  for (const item of group) {
    const r = byAddress.get(item.recipient);
    if (r?.accepted) {
      results.delivered.push(item);
    } else if (r && r.code !== null && r.code >= 500) {
      results.failed.push({
        item,
        status: enhancedStatus(r.reply, "5.0.0"),
        reply: r.reply,
        remoteMta: host,
      });
    } else {
      const reply = r?.reply ?? "no reply";
      const replied = Boolean(r?.code);
      results.temporary.push({
        item,
        failure: {
          status: enhancedStatus(reply, "4.0.0"),
          reply: replied ? reply : null,
          detail: replied ? null : reply,
          remoteMta: host,
        },
      });
    }
  }
  return results;
}

export async function commitResults(ctx: ResultContext, results: AttemptResults): Promise<void> {
  const { delivered = [], failed = [], temporary = [], host = "", relayedWithoutDsn = [] } = results;
  const now = Date.now();
  const expired: DeliveryFailure[] = [];
  const deferred: Array<{ item: QueueItem; failure: TempFailure; at: number }> = [];
  for (const t of temporary) {
    if (isExpired(t.item, ctx.maxAge, now)) {
      expired.push({
        item: t.item,
        status: "4.4.7",
        reply: t.failure.reply,
        detail: t.failure.reply ? null : `delivery time expired; last error: ${t.failure.detail}`,
        remoteMta: t.failure.remoteMta,
      });
    } else {
      deferred.push({ ...t, at: nextAttemptAt(t.item, { retry: ctx.retry, maxAge: ctx.maxAge, now }) });
    }
  }
  const bounces = [...failed, ...expired].map((f) => ({ ...f, lastAttempt: new Date(now) }));
  const notices: Array<Notice & { itemId: number }> = [
    ...relayedWithoutDsn
      .filter((item) => wantsSuccessNotice(item.notify))
      .map((item) => notice(item, { action: "relayed", status: "2.0.0", remoteMta: host || null })),
    // RFC 3464 "delayed": once per recipient, after DELAY_NOTICE_AFTER_MS in the queue.
    ...deferred
      .filter(
        ({ item }) =>
          !item.delayNotified &&
          now - item.createdAt >= DELAY_NOTICE_AFTER_MS &&
          wantsDelayNotice(item.notify),
      )
      .map(({ item, failure }) =>
        notice(item, {
          action: "delayed",
          status: failure.status.startsWith("4.") ? failure.status : "4.0.0",
          remoteMta: failure.remoteMta,
          reply: failure.reply,
          detail: failure.detail,
          lastAttempt: new Date(now),
          willRetryUntil: new Date(item.createdAt + ctx.maxAge),
        }),
      ),
  ];
  const outcome = await ctx.store.write(async (w) => {
    // Notices quote the original, which the removals below may drop with its last row: first.
    const told =
      notices.length > 0
        ? await sendNotices(w, notices, { hostname: ctx.hostname, sign: ctx.signNotice })
        : undefined;
    const delayed = notices.filter((n) => n.recipient.action === "delayed").map((n) => n.itemId);
    if (delayed.length > 0) await queueMarkDelayNotified(w, delayed);
    for (const item of delivered) await queueRemove(w, item.id);
    // Issue 17: the dashboard's "sent per hour", in the commit that removes the rows it counts.
    await deliveryHourAdd(w, now, delivered.length, bounces.length);
    for (const d of deferred) await queueDefer(w, d.item.id, describeFailure(d.failure), d.at);
    const bounced =
      bounces.length > 0
        ? await bounceFailures(w, bounces, { hostname: ctx.hostname, sign: ctx.signNotice })
        : undefined;
    return { bounced, told };
  });

  const { log } = ctx;
  metrics.deliveries(delivered.length, deferred.length, bounces.length, outcome.bounced?.notices);
  for (const item of delivered)
    log.info("queue.delivered", { id: item.id, recipient: item.recipient, host, attempt: item.attempts + 1 });
  for (const d of deferred)
    log.info("queue.deferred", {
      id: d.item.id,
      recipient: d.item.recipient,
      host: d.failure.remoteMta ?? undefined,
      attempt: d.item.attempts + 1,
      error: describeFailure(d.failure),
      next: new Date(d.at).toISOString(),
    });
  for (const b of bounces)
    log.info("queue.bounced", {
      id: b.item.id,
      recipient: b.item.recipient,
      host: b.remoteMta ?? undefined,
      status: b.status,
      error: b.reply ?? b.detail,
    });
  publishQueueEvents(ctx.events, { delivered, deferred, bounces, host });
  for (const n of outcome.bounced?.notices ?? []) log.info("queue.dsn", { to: n.to, result: n.result });
  for (const n of outcome.told?.sent ?? [])
    log.info("queue.dsn", { to: n.to, action: n.action, result: n.result });
  if (outcome.bounced?.queued || (outcome.told?.queued ?? 0) > 0) ctx.onQueued();
}

/** The attempt's outcome as live events; `account` is the envelope sender (a local submitter, usually). */
function publishQueueEvents(
  events: EventSink | undefined,
  r: {
    delivered: readonly QueueItem[];
    deferred: ReadonlyArray<{ item: QueueItem; failure: TempFailure; at: number }>;
    bounces: readonly DeliveryFailure[];
    host: string;
  },
): void {
  if (!events) return;
  const base = (item: QueueItem) => ({
    queueId: item.id,
    sender: item.sender,
    recipient: item.recipient,
    attempt: item.attempts + 1,
  });
  const account = (item: QueueItem) => item.sender || null;
  for (const item of r.delivered)
    events.publish("queue.delivered", account(item), { ...base(item), host: r.host || null });
  for (const d of r.deferred)
    events.publish("queue.deferred", account(d.item), {
      ...base(d.item),
      host: d.failure.remoteMta,
      error: describeFailure(d.failure),
      nextAttemptAt: new Date(d.at).toISOString(),
    });
  for (const b of r.bounces)
    events.publish("queue.bounced", account(b.item), {
      ...base(b.item),
      host: b.remoteMta ?? null,
      status: b.status,
      error: b.reply ?? b.detail ?? null,
    });
}

function notice(
  item: QueueItem,
  recipient: Omit<Notice["recipient"], "recipient" | "orcpt">,
): Notice & { itemId: number } {
  return {
    itemId: item.id,
    contentId: item.contentId,
    sender: item.sender,
    envid: item.envid,
    ret: item.ret,
    arrivalDate: new Date(item.createdAt),
    recipient: { recipient: item.recipient, orcpt: item.orcpt, ...recipient },
  };
}

/** The enhanced status code at the start of a reply's text (RFC 2034), or a generic one of the same class. */
export function enhancedStatus(reply: string, fallback: string): string {
  const m = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(reply);
  return m && m[1]![0] === fallback[0] ? m[1]! : fallback;
}

function describeFailure(f: TempFailure): string {
  return f.reply ?? f.detail ?? "temporary failure";
}
