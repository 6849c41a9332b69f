/**
 * Events per client per minute (connections, messages), as Postfix's anvil counts them: a sliding
 * estimate from the current and the previous minute (the previous one weighted by how much of it
 * still lies inside the last 60 s), so a burst straddling a minute boundary is still seen. Bounded:
 * past SPAM_LIMITS.rateTrackedClients the least recently seen client is forgotten.
 */
import { SPAM_LIMITS } from "./limits.ts";

interface Window {
  /** Start of the current window (ms). */
  start: number;
  current: number;
  previous: number;
}

export class RateCounter {
  readonly #limit: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();
  readonly #maxClients: number;

  /** `limit` events per minute; 0 means no limit (nothing is tracked). */
  constructor(limit: number, options: { now?: () => number; maxClients?: number } = {}) {
    this.#limit = limit;
    this.#now = options.now ?? Date.now;
    this.#maxClients = options.maxClients ?? SPAM_LIMITS.rateTrackedClients;
  }

  /** Counts one event for `client`; false when that takes it past the limit (the event is still counted). */
  hit(client: string): boolean {
    if (this.#limit <= 0) return true;
    const now = this.#now();
    const span = SPAM_LIMITS.rateWindowMs;
    let w = this.#windows.get(client);
    if (w) this.#windows.delete(client);
    if (!w) w = { start: now, current: 0, previous: 0 };
    const elapsed = now - w.start;
    if (elapsed >= 2 * span) w = { start: now, current: 0, previous: 0 };
    else if (elapsed >= span) w = { start: w.start + span, current: 0, previous: w.current };
    w.current++;
    // Most recently seen last: the first entry is the one to forget.
    this.#windows.set(client, w);
    if (this.#windows.size > this.#maxClients) {
      const oldest = this.#windows.keys().next().value;
      if (oldest !== undefined) this.#windows.delete(oldest);
    }
    const overlap = Math.max(0, 1 - (now - w.start) / span);
    return w.current + w.previous * overlap <= this.#limit;
  }

  get tracked(): number {
    return this.#windows.size;
  }
}
