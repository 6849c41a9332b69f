/**
 * A budget of bytes shared by every connection of every protocol: a transfer takes a lease before it
 * holds message data in memory and gives it back when done. Per-connection limits bound one client;
 * only a shared budget bounds a thousand clients together (see MEMORY_LIMITS for the numbers).
 */
import { MEMORY_LIMITS } from "./limits.ts";

export interface Lease {
  readonly bytes: number;
  /** Gives the bytes back; later calls do nothing. */
  release(): void;
}

interface Waiter {
  bytes: number;
  grant: (lease: Lease | undefined) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class MemoryBudget {
  readonly limit: number;
  readonly #maxWaiting: number;
  readonly #afterLargeRelease: (() => void) | undefined;
  #used = 0;
  readonly #waiting: Waiter[] = [];

  constructor(
    limit: number,
    options: {
      maxWaiting?: number;
      /** Called (on the next turn) after a lease of at least MEMORY_LIMITS.collectAfterBytes is given back. */
      afterLargeRelease?: () => void;
    } = {},
  ) {
    this.limit = limit;
    this.#maxWaiting = options.maxWaiting ?? MEMORY_LIMITS.ingestMaxWaiting;
    this.#afterLargeRelease = options.afterLargeRelease;
  }

  get used(): number {
    return this.#used;
  }

  /** A lease now, or undefined when the budget has no room (or others are waiting for it). */
  tryReserve(bytes: number): Lease | undefined {
    const want = this.#clamp(bytes);
    if (this.#waiting.length > 0 || this.#used + want > this.limit) return undefined;
    return this.#lease(want);
  }

  /**
   * A lease as soon as there is room, first come first served; undefined after `waitMs` or when too
   * many are waiting already. A request larger than the whole budget waits for all of it.
   */
  reserve(bytes: number, waitMs: number): Promise<Lease | undefined> {
    const now = this.tryReserve(bytes);
    if (now) return Promise.resolve(now);
    if (this.#waiting.length >= this.#maxWaiting) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        bytes: this.#clamp(bytes),
        grant: resolve,
        timer: setTimeout(() => {
          const i = this.#waiting.indexOf(waiter);
          if (i !== -1) this.#waiting.splice(i, 1);
          resolve(undefined);
          // The head may have been the one in the way of smaller requests behind it.
          this.#grantWaiting();
        }, waitMs),
      };
      this.#waiting.push(waiter);
    });
  }

  #clamp(bytes: number): number {
    return Math.min(Math.max(0, Math.ceil(bytes)), this.limit);
  }

  #lease(bytes: number): Lease {
    this.#used += bytes;
    let held = true;
    return {
      bytes,
      release: () => {
        if (!held) return;
        held = false;
        this.#used -= bytes;
        // On the next turn: by then the holder's frames, and with them its buffers, are gone.
        if (this.#afterLargeRelease && bytes >= MEMORY_LIMITS.collectAfterBytes)
          setImmediate(this.#afterLargeRelease);
        this.#grantWaiting();
      },
    };
  }

  #grantWaiting(): void {
    for (;;) {
      const head = this.#waiting[0];
      if (!head || this.#used + head.bytes > this.limit) return;
      this.#waiting.shift();
      clearTimeout(head.timer);
      head.grant(this.#lease(head.bytes));
    }
  }
}

/**
 * The two budgets a server runs with: `buffers` for transfers in progress (refused when full) and
 * `ingest` for messages being parsed and stored (waited for).
 */
export interface MemoryBudgets {
  buffers: MemoryBudget;
  ingest: MemoryBudget;
}

export function createMemoryBudgets(
  options: { bufferBytes?: number; ingestBytes?: number; collectGarbage?: () => void } = {},
): MemoryBudgets {
  return {
    buffers: new MemoryBudget(options.bufferBytes ?? MEMORY_LIMITS.bufferBytes),
    ingest: new MemoryBudget(options.ingestBytes ?? MEMORY_LIMITS.ingestBytes, {
      afterLargeRelease: options.collectGarbage,
    }),
  };
}

let processBudgets: MemoryBudgets | undefined;

/** The process-wide budgets, for listeners whose context was given none (main.ts passes its own). */
export function defaultMemoryBudgets(): MemoryBudgets {
  processBudgets ??= createMemoryBudgets();
  return processBudgets;
}

/** What parsing and storing a message of `size` bytes is expected to need (MEMORY_LIMITS.ingestFactor). */
export function ingestCost(size: number): number {
  return size * MEMORY_LIMITS.ingestFactor;
}
