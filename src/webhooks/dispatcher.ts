/**
 * Webhook deliveries (issue 16): every event from the bus that a webhook wants becomes a row in
 * `webhook_deliveries` (durable, so a restart keeps what is pending), and one sender per webhook
 * sends its rows in id order: the next only once the one before is delivered (2xx) or given up
 * (24 h), so a receiver sees events in the order they happened, at least once each.
 *
 * Each attempt is signed per Standard Webhooks (signature.ts) and goes to the address checked just
 * before (address-guard.ts). Retries follow WEBHOOK_LIMITS.retryMs (the first after 5 s).
 */
import type { EventBus } from "../events/bus.ts";
import type { MailroomEvent } from "../events/types.ts";
import type { Logger } from "../log.ts";
import {
  type Store,
  type Webhook,
  type WebhookDelivery,
  webhookCount,
  webhookCreate,
  webhookDelete,
  webhookDeliveriesAdd,
  webhookDeliveryHead,
  webhookDeliveryRecord,
  webhookList,
  webhooksWithPending,
} from "../store/mod.ts";
import { type AddressResolver, webhookTarget } from "./address-guard.ts";
import { WEBHOOK_LIMITS } from "./limits.ts";
import { webhookPost } from "./sender.ts";
import { webhookSign } from "./signature.ts";

export interface WebhookDispatcherOptions {
  store: Store;
  bus: EventBus;
  log: Logger;
  resolver: AddressResolver;
  allowPrivate: boolean;
  /** WEBHOOK_LIMITS.retryMs unless given (tests make it short). */
  retryMs?: readonly number[];
}

/** A webhook's event list ("message.*" prefixes, "*" for all) against an event type. */
export function webhookWants(events: readonly string[], type: string): boolean {
  return events.some((e) => e === "*" || e === type || (e.endsWith(".*") && type.startsWith(e.slice(0, -1))));
}

export class WebhookDispatcher {
  readonly #o: WebhookDispatcherOptions;
  readonly #retry: readonly number[];
  /** The webhooks, read at start and kept in step by create/remove. */
  #hooks = new Map<number, Webhook>();
  /** Events waiting to be written as deliveries, in bus order. */
  #pending: MailroomEvent[] = [];
  #writing = false;
  /** Senders running, by webhook id, with the wake-up of one asleep until its head is due. */
  readonly #lanes = new Map<number, { wake: (() => void) | undefined; again: boolean }>();
  #running = false;
  #unsubscribe: (() => void) | undefined;
  readonly #lanesDone = new Set<Promise<void>>();

  constructor(options: WebhookDispatcherOptions) {
    this.#o = options;
    this.#retry = options.retryMs ?? WEBHOOK_LIMITS.retryMs;
  }

  async start(): Promise<void> {
    this.#running = true;
    this.#hooks = new Map((await webhookList(this.#o.store.read)).map((h) => [h.id, h]));
    this.#unsubscribe = this.#o.bus.subscribe((event) => this.#onEvent(event));
    // Whatever a previous run left pending goes out again.
    for (const id of await webhooksWithPending(this.#o.store.read)) this.#kick(id);
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#unsubscribe?.();
    for (const lane of this.#lanes.values()) lane.wake?.();
    await Promise.allSettled([...this.#lanesDone]);
  }

  /** Checks the URL (resolving its host) and stores the webhook; throws WebhookRefused. */
  async create(input: { url: string; events: string[]; secret: string }): Promise<Webhook> {
    const target = await webhookTarget(input.url, this.#o);
    if (!target.ok) throw new WebhookRefused(`url ${target.reason}`);
    if ((await webhookCount(this.#o.store.read)) >= WEBHOOK_LIMITS.maxWebhooks)
      throw new WebhookRefused(`${WEBHOOK_LIMITS.maxWebhooks} webhooks exist, the most allowed`, 409);
    const hook = await this.#o.store.write((w) => webhookCreate(w, input));
    this.#hooks.set(hook.id, hook);
    return hook;
  }

  async remove(id: number): Promise<void> {
    await this.#o.store.write((w) => webhookDelete(w, id));
    this.#hooks.delete(id);
    this.#lanes.get(id)?.wake?.();
  }

  #onEvent(event: MailroomEvent): void {
    if (!this.#running || this.#hooks.size === 0) return;
    if (![...this.#hooks.values()].some((h) => webhookWants(h.events, event.type))) return;
    if (this.#pending.length >= WEBHOOK_LIMITS.maxPendingEvents) {
      const dropped = this.#pending.shift()!;
      this.#o.log.warn("webhook.overflow", { eventId: dropped.id, type: dropped.type });
    }
    this.#pending.push(event);
    if (!this.#writing) void this.#write();
  }

  /** Writes waiting events as deliveries, a batch per commit, then wakes their senders. */
  async #write(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#pending.length > 0 && this.#running) {
        const batch = this.#pending.splice(0, WEBHOOK_LIMITS.eventsPerWrite);
        const rows = batch.flatMap((event) => {
          const payload = JSON.stringify(event);
          return [...this.#hooks.values()]
            .filter((h) => webhookWants(h.events, event.type))
            .map((h) => ({ webhookId: h.id, eventId: event.id, eventType: event.type, payload }));
        });
        try {
          await this.#o.store.write((w) => webhookDeliveriesAdd(w, rows));
        } catch (error) {
          this.#o.log.error("webhook.queue_failed", { events: batch.length, error });
          continue;
        }
        for (const id of new Set(rows.map((r) => r.webhookId))) this.#kick(id);
      }
    } finally {
      this.#writing = false;
    }
  }

  /** Makes sure the webhook's sender runs (and looks at its queue again). */
  #kick(id: number): void {
    if (!this.#running) return;
    const lane = this.#lanes.get(id);
    if (lane) {
      lane.again = true;
      return;
    }
    const state = { wake: undefined, again: false };
    this.#lanes.set(id, state);
    const done = this.#lane(id, state).finally(() => {
      this.#lanes.delete(id);
      this.#lanesDone.delete(done);
    });
    this.#lanesDone.add(done);
  }

  async #lane(id: number, state: { wake: (() => void) | undefined; again: boolean }): Promise<void> {
    const { store, log } = this.#o;
    while (this.#running && this.#hooks.has(id)) {
      state.again = false;
      let head: WebhookDelivery | undefined;
      try {
        head = await webhookDeliveryHead(store.read, id);
      } catch (error) {
        log.error("webhook.read_failed", { webhook: id, error });
        await this.#sleep(state, 5_000);
        continue;
      }
      if (!head) {
        if (state.again) continue;
        return;
      }
      const wait = head.nextAttemptAt - Date.now();
      if (wait > 0) {
        await this.#sleep(state, wait);
        continue;
      }
      const hook = this.#hooks.get(id);
      if (!hook) return;
      await this.#attempt(hook, head);
    }
  }

  async #attempt(hook: Webhook, delivery: WebhookDelivery): Promise<void> {
    const { store, log } = this.#o;
    const at = Date.now();
    // Checked again now: the name may resolve elsewhere than when the webhook was made.
    const target = await webhookTarget(hook.url, this.#o);
    const outcome = target.ok
      ? await webhookPost({
          url: target.url,
          address: target.address,
          family: target.family,
          headers: this.#headers(hook, delivery, at),
          body: delivery.payload,
        })
      : { status: null, error: `refused: url ${target.reason}` };
    const delivered = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    const giveUp = !delivered && at - delivery.createdAt >= WEBHOOK_LIMITS.giveUpAfterMs;
    const delay = this.#retry[Math.min(delivery.attempts, this.#retry.length - 1)]!;
    try {
      await store.write((w) =>
        webhookDeliveryRecord(w, delivery.id, {
          status: delivered ? "delivered" : giveUp ? "failed" : "pending",
          at,
          httpStatus: outcome.status,
          error: outcome.error,
          ...(delivered || giveUp ? {} : { nextAttemptAt: at + delay }),
        }),
      );
    } catch (error) {
      // Not recorded: it stays the head and goes again (at least once).
      log.error("webhook.record_failed", { webhook: hook.id, delivery: delivery.id, error });
      return;
    }
    const fields = {
      webhook: hook.id,
      delivery: delivery.id,
      event: delivery.eventId,
      attempt: delivery.attempts + 1,
    };
    if (delivered) log.info("webhook.delivered", { ...fields, status: outcome.status });
    else if (giveUp) log.warn("webhook.failed", { ...fields, error: outcome.error });
    else log.info("webhook.retry", { ...fields, error: outcome.error, inMs: delay });
  }

  /** Standard Webhooks headers: the id stays the same on every retry of one delivery. */
  #headers(hook: Webhook, delivery: WebhookDelivery, at: number): Record<string, string> {
    const id = `msg_${delivery.id}`;
    const timestamp = Math.floor(at / 1000);
    return {
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": webhookSign(hook.secret, id, timestamp, delivery.payload),
    };
  }

  #sleep(state: { wake: (() => void) | undefined }, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        state.wake = undefined;
        resolve();
      }
      state.wake = done;
    });
  }
}

/** A webhook that cannot be created: the URL is refused (422) or there are too many (409). */
export class WebhookRefused extends Error {
  constructor(
    message: string,
    readonly status: 409 | 422 = 422,
  ) {
    super(message);
  }
}
