/**
 * The delivery queue runner (placeholder until the delivery work lands): owns the workers that take
 * due items from the store's queue and deliver them.
 */
import type { Route } from "../../config.ts";
import type { Logger } from "../../log.ts";
import type { Store } from "../../store/mod.ts";

export interface QueueRunnerOptions {
  store: Store;
  log: Logger;
  hostname: string;
  routes: Route[];
  retry: number[];
  maxAge: number;
}

export interface QueueRunner {
  start(): void;
  /** Something was queued: look for due items now instead of at the next timer. */
  kick(): void;
  /** Stops taking new items and waits (bounded) for deliveries in flight. */
  stop(): Promise<void>;
}

export function createQueueRunner(_options: QueueRunnerOptions): QueueRunner {
  return { start() {}, kick() {}, async stop() {} };
}
