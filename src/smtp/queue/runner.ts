/**
 * The delivery queue runner: finds due items in the store's queue and hands them to workers, one
 * connection per worker to one destination domain (worker.ts), within a global limit and a limit per
 * domain. A timer wakes it when the next item falls due; kick() when something was just queued.
 *
 * Nothing here is durable: the queue table is. After a restart (or kill -9) everything still queued
 * is due at its next_attempt_at and the runner simply starts again. Only the items in flight are
 * tracked in memory, so that a rescan does not take them twice.
 */

import type { ChaosRules } from "../../chaos/rules.ts";
import type { Route } from "../../config.ts";
import type { EventSink } from "../../events/types.ts";
import type { Logger } from "../../log.ts";
import {
  type QueueItem,
  queueDue,
  queueGet,
  queueNextDue,
  queueRemove,
  queueRetryNow,
  type Store,
} from "../../store/mod.ts";
import { bounceFailures, type NoticeSigner } from "../delivery/bounce.ts";
import { groupItems } from "./batch.ts";
import { QUEUE_LIMITS } from "./limits.ts";
import { type DeliveryResolver, runWorker, type WorkerContext } from "./worker.ts";

export interface QueueRunnerOptions {
  store: Store;
  log: Logger;
  hostname: string;
  /** Read whenever a worker starts, so a caller may change the array in place (tests wire two instances so). */
  routes: Route[];
  retry: number[];
  maxAge: number;
  /** DNS for MX, address, MTA-STS and TLSA lookups: the shared resolver from main.ts (tests give theirs). */
  resolver: DeliveryResolver;
  /** MAILROOM_MTA_STS_PORT; 443 by default. */
  mtaStsPort?: number;
  /** Port of MX hosts; 25 by default (tests, which cannot bind 25, give theirs). */
  mxPort?: number;
  /** Extra trusted CAs (PEM texts from MAILROOM_TLS_CA_FILE) for verified outbound TLS. */
  extraCa?: readonly string[];
  /** MTA-STS fetch timeout (TLS_POLICY_LIMITS.fetchTimeoutMs by default; tests shorten it). */
  mtaStsTimeoutMs?: number;
  /** DKIM-signs DSNs that go to remote senders (main.ts hands the signer over). */
  signNotice?: NoticeSigner;
  /** Issue 16: where the outcome of each attempt is published (queue.delivered...). */
  events?: EventSink;
  /** Issue 16: fault injection for outgoing delivery. */
  chaos?: ChaosRules;
  /** Concurrency limits; QUEUE_LIMITS by default. */
  maxConnections?: number;
  maxPerDomain?: number;
}

export interface QueueRunner {
  start(): void;
  /** Something was queued: look for due items now instead of at the next timer. */
  kick(): void;
  /** Stops taking new items and waits (bounded) for deliveries in flight. */
  stop(): Promise<void>;
  /** Makes an item due now and looks at the queue; false when there is no such item. */
  retryNow(id: number): Promise<boolean>;
  /** Removes an item for good; with `bounce`, its sender gets a DSN in the same commit. */
  remove(id: number, options: { bounce: boolean }): Promise<QueueItem | undefined>;
}

export function createQueueRunner(options: QueueRunnerOptions): QueueRunner {
  const { store, log } = options;
  const maxConnections = options.maxConnections ?? QUEUE_LIMITS.maxConnections;
  const maxPerDomain = options.maxPerDomain ?? QUEUE_LIMITS.maxPerDomain;

  let running = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let scanning = false;
  let rescan = false;
  let lastScan = 0;
  let soon: ReturnType<typeof setTimeout> | undefined;
  const inFlight = new Set<number>();
  const perDomain = new Map<string, number>();
  /** One promise per worker (an open connection to a destination). */
  const workers = new Set<Promise<void>>();
  /** Idle workers by domain, waiting for the next scan to hand them newly due groups. */
  const idlers = new Map<string, Set<(groups: QueueItem[][]) => void>>();

  const context: WorkerContext = {
    store,
    log,
    hostname: options.hostname,
    retry: options.retry,
    maxAge: options.maxAge,
    routes: options.routes,
    resolver: options.resolver,
    mtaStsPort: options.mtaStsPort ?? 443,
    ...(options.mxPort ? { mxPort: options.mxPort } : {}),
    ...(options.extraCa ? { extraCa: options.extraCa } : {}),
    ...(options.mtaStsTimeoutMs ? { mtaStsTimeoutMs: options.mtaStsTimeoutMs } : {}),
    signNotice: options.signNotice,
    events: options.events,
    chaos: options.chaos,
    onQueued: () => kick(),
    isRunning: () => running,
    async take(domain) {
      const due = await queueDue(store.read, Date.now(), QUEUE_LIMITS.scanBatch, inFlight, domain);
      const groups = groupItems(due.filter((i) => !inFlight.has(i.id)));
      const taken = groups.slice(0, QUEUE_LIMITS.groupsPerTake);
      for (const item of taken.flat()) inFlight.add(item.id);
      return taken;
    },
    release(group) {
      for (const item of group) inFlight.delete(item.id);
    },
    idle(domain, ms) {
      return new Promise<QueueItem[][]>((resolve) => {
        const set = idlers.get(domain) ?? new Set();
        idlers.set(domain, set);
        const hand = (groups: QueueItem[][]) => {
          clearTimeout(timeout);
          set.delete(hand);
          if (set.size === 0) idlers.delete(domain);
          resolve(groups);
        };
        const timeout = setTimeout(() => hand([]), ms);
        set.add(hand);
      });
    },
  };

  /** Sends every idle worker away (stopping, or their connections are wanted elsewhere). */
  function dismissIdlers(): void {
    for (const set of [...idlers.values()]) for (const hand of [...set]) hand([]);
  }

  function schedule(at: number | null): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!running) return;
    const now = Date.now();
    // Due items that could not start (limits) are taken when a worker frees up; otherwise sleep
    // until the next one is due, but never past maxIdleMs (rows added by another process).
    const wait =
      at === null || at <= now ? QUEUE_LIMITS.maxIdleMs : Math.min(at - now, QUEUE_LIMITS.maxIdleMs);
    timer = setTimeout(() => void scan(), wait);
    timer.unref?.();
  }

  async function scan(): Promise<void> {
    if (!running) return;
    if (scanning) {
      rescan = true;
      return;
    }
    scanning = true;
    try {
      do {
        rescan = false;
        lastScan = Date.now();
        const due = await queueDue(store.read, Date.now(), QUEUE_LIMITS.scanBatch, inFlight);
        const byDomain = new Map<string, QueueItem[][]>();
        for (const group of groupItems(due.filter((i) => !inFlight.has(i.id)))) {
          const domain = group[0]!.domain;
          byDomain.set(domain, [...(byDomain.get(domain) ?? []), group]);
        }
        let waiting = false;
        for (const [domain, groups] of byDomain) {
          if (!running) break;
          // Connections already open to the domain and idle take the work first.
          const idle = [...(idlers.get(domain) ?? [])];
          if (idle.length > 0) {
            const n = Math.min(idle.length, groups.length);
            for (let i = 0; i < n; i++) {
              const share = groups.filter((_, j) => j % n === i);
              for (const item of share.flat()) inFlight.add(item.id);
              idle[i]!(share);
            }
            continue;
          }
          const forDomain = maxPerDomain - (perDomain.get(domain) ?? 0);
          const free = Math.min(forDomain, maxConnections - workers.size);
          if (forDomain > 0 && free <= 0) waiting = true;
          if (free <= 0) continue;
          // Up to `free` connections to the domain, each taking its share of the messages in turn.
          const n = Math.min(free, groups.length);
          for (let i = 0; i < n; i++)
            begin(
              domain,
              groups.filter((_, j) => j % n === i),
            );
        }
        // Work is waiting for a connection: idle connections to other domains make room.
        if (waiting) dismissIdlers();
      } while (rescan && running);
      schedule(await queueNextDue(store.read));
    } catch (error) {
      log.error("queue.scan_failed", { error });
      schedule(Date.now() + 5_000);
    } finally {
      scanning = false;
    }
  }

  function begin(domain: string, groups: QueueItem[][]): void {
    for (const item of groups.flat()) inFlight.add(item.id);
    perDomain.set(domain, (perDomain.get(domain) ?? 0) + 1);
    // Every item this worker took and has not committed yet (its own take()s included).
    const held = new Set<number>(groups.flat().map((i) => i.id));
    const ctx: WorkerContext = {
      ...context,
      async take(d) {
        const taken = await context.take(d);
        for (const item of taken.flat()) held.add(item.id);
        return taken;
      },
      async idle(d, ms) {
        const handed = await context.idle(d, ms);
        for (const item of handed.flat()) held.add(item.id);
        return handed;
      },
      release(group) {
        context.release(group);
        for (const item of group) held.delete(item.id);
      },
    };
    const done = runWorker(ctx, domain, groups)
      .catch(async (error: unknown) => {
        log.error("queue.delivery_failed", { domain, ids: [...held], error });
        // Keep the items out of scans for a while so a failing store is not hammered in a loop.
        await new Promise<void>((resolve) => setTimeout(resolve, 5_000).unref?.());
      })
      .finally(() => {
        for (const id of held) inFlight.delete(id);
        const n = (perDomain.get(domain) ?? 1) - 1;
        if (n > 0) perDomain.set(domain, n);
        else perDomain.delete(domain);
        workers.delete(done);
        kick();
      });
    workers.add(done);
  }

  /**
   * Scans now, or — when the last scan was moments ago — once the interval has passed: a stream of
   * submissions then costs a few scans a second instead of one per message.
   */
  function kick(): void {
    if (!running || soon) return;
    const wait = lastScan + QUEUE_LIMITS.minScanIntervalMs - Date.now();
    if (wait <= 0) {
      void scan();
      return;
    }
    soon = setTimeout(() => {
      soon = undefined;
      void scan();
    }, wait);
  }

  return {
    start() {
      if (running) return;
      running = true;
      void scan();
    },
    kick,
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      if (soon) clearTimeout(soon);
      timer = soon = undefined;
      dismissIdlers();
      if (workers.size === 0) return;
      let expire: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...workers]),
        new Promise<void>((resolve) => {
          expire = setTimeout(resolve, QUEUE_LIMITS.stopTimeoutMs);
        }),
      ]);
      clearTimeout(expire);
      if (workers.size > 0) log.warn("queue.stop_timeout", { inFlight: inFlight.size });
    },
    async retryNow(id) {
      const found = await store.write((w) => queueRetryNow(w, id));
      if (found) kick();
      return found;
    },
    async remove(id, { bounce }) {
      const result = await store.write(async (w) => {
        const item = await queueGet(w.tx, id);
        if (!item) return undefined;
        if (!bounce) {
          await queueRemove(w, id);
          return { item, queued: false };
        }
        const detail = "removed from the queue by the administrator";
        const failure = { item, status: "5.0.0", detail, lastAttempt: new Date() };
        const outcome = await bounceFailures(w, [failure], {
          hostname: options.hostname,
          sign: options.signNotice,
        });
        return { item, queued: outcome.queued };
      });
      if (result) log.info("queue.removed", { id, recipient: result.item.recipient, bounce });
      if (result?.queued) kick();
      return result?.item;
    },
  };
}
