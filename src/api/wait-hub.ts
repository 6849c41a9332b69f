/**
 * Wait-for-message (issue 16): `GET /api/v1/messages/wait` answers with the first message meeting
 * every criterion, waiting for it to arrive if need be. No polling: the hub listens to the store's
 * change feed (published after each commit), and while nobody waits that costs nothing.
 *
 * Not missing a message that arrives between the request and the wait comes from the order: a
 * waiter joins the hub (so it sees every message added from then on) BEFORE its query of what is
 * already stored runs. A message committed before the join is in the query's results; one
 * committed after it reaches the hub. While the query runs, matches seen by the hub are kept aside,
 * and the query's own answer (older, so "first") wins over them.
 *
 * Each added message is read once however many wait, with just the columns the criteria need, and
 * checked against every waiter in memory with messageMatches(), the same test the search applies.
 */
import type { Logger } from "../log.ts";
import { withDefaults } from "../options.ts";
import {
  type AddedMessage,
  type Change,
  type FoundMessage,
  type MessageCriteria,
  messageMatches,
  messagesAdded,
  messagesFind,
  type Store,
} from "../store/mod.ts";
import { WAIT_LIMITS } from "./limits.ts";

export interface WaitLimits {
  maxWaits: number;
  maxTimeoutMs: number;
  /** WAIT_LIMITS.maxPendingAdds (tests make it tiny to see the overflow path). */
  maxPendingAdds: number;
}

/** Thrown when `maxWaits` waits are in progress (answered 503). */
export class TooManyWaits extends Error {
  constructor(readonly max: number) {
    super(`${max} waits are in progress, the most allowed; try again shortly`);
  }
}

interface Waiter {
  criteria: MessageCriteria;
  /** Whether its initial query is still running (matches are kept aside meanwhile). */
  querying: boolean;
  /** The oldest match the hub saw while the query ran. */
  aside: FoundMessage | undefined;
  /** Added messages were dropped (overflow) while the query ran: it runs again. */
  recheck: boolean;
  settle(found: FoundMessage | undefined): void;
}

const older = (a: FoundMessage | undefined, b: FoundMessage | undefined) =>
  a === undefined ? b : b === undefined || a.id <= b.id ? a : b;

export class WaitHub {
  readonly limits: WaitLimits;
  readonly #store: Store;
  readonly #log: Logger;
  readonly #waiters = new Set<Waiter>();
  #unsubscribe: (() => void) | undefined;
  #pending: Array<{ mailboxId: number; uid: number }> = [];
  /** The pending queue overflowed: every waiter runs its query again. */
  #rescan = false;
  #matching = false;
  readonly #collectGarbage: (() => void) | undefined;
  /** Waits begun since the last collection (WAIT_LIMITS.collectEveryWaits). */
  #sinceCollection = 0;

  constructor(options: {
    store: Store;
    log: Logger;
    limits?: Partial<WaitLimits>;
    /** Runtime.collectGarbage: frees the native memory of finished queries (see WAIT_LIMITS). */
    collectGarbage?: () => void;
  }) {
    this.#store = options.store;
    this.#log = options.log;
    this.#collectGarbage = options.collectGarbage;
    const { maxWaits, maxTimeoutMs, maxPendingAdds } = WAIT_LIMITS;
    this.limits = withDefaults({ maxWaits, maxTimeoutMs, maxPendingAdds }, options.limits);
  }

  /** Waits in progress. */
  get size(): number {
    return this.#waiters.size;
  }

  /**
   * The first message meeting `criteria` (lowest id), now or when it arrives; undefined when
   * `timeoutMs` (capped at limits.maxTimeoutMs) passes first or `signal` aborts (the client left).
   * Throws TooManyWaits when limits.maxWaits are in progress.
   */
  async wait(
    criteria: MessageCriteria,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<FoundMessage | undefined> {
    const { signal } = options;
    if (signal?.aborted) return undefined;
    if (this.#waiters.size >= this.limits.maxWaits) throw new TooManyWaits(this.limits.maxWaits);
    const deadline = Date.now() + Math.min(options.timeoutMs, this.limits.maxTimeoutMs);
    let settle!: (found: FoundMessage | undefined) => void;
    const settled = new Promise<FoundMessage | undefined>((resolve) => {
      settle = resolve;
    });
    const waiter: Waiter = { criteria, querying: true, aside: undefined, recheck: false, settle };
    if (this.#collectGarbage && ++this.#sinceCollection >= WAIT_LIMITS.collectEveryWaits) {
      this.#sinceCollection = 0;
      this.#collectGarbage();
    }
    const onAbort = () => settle(undefined);
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Joined before the query: see the module comment.
    this.#join(waiter);
    try {
      signal?.addEventListener("abort", onAbort, { once: true });
      let stored: FoundMessage | undefined;
      do {
        waiter.recheck = false;
        [stored] = await messagesFind(this.#store.read, criteria, { order: "asc", limit: 1 });
      } while (stored === undefined && waiter.recheck);
      waiter.querying = false;
      const first = older(stored, waiter.aside);
      if (first) return first;
      // The timer starts after the query, so even timeout=0 looks at what is already there.
      timer = setTimeout(() => settle(undefined), Math.max(0, deadline - Date.now()));
      return await settled;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      this.#leave(waiter);
    }
  }

  #join(waiter: Waiter): void {
    this.#waiters.add(waiter);
    this.#unsubscribe ??= this.#store.changes.subscribeAll((change) => this.#onChange(change));
  }

  #leave(waiter: Waiter): void {
    this.#waiters.delete(waiter);
    if (this.#waiters.size > 0) return;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#pending = [];
    this.#rescan = false;
  }

  #onChange(change: Change): void {
    if (change.kind !== "message-added" || this.#waiters.size === 0) return;
    if (this.#pending.length >= this.limits.maxPendingAdds) {
      this.#dropPending();
    } else {
      this.#pending.push({ mailboxId: change.mailboxId, uid: change.uid });
    }
    if (!this.#matching) void this.#match();
  }

  /** Reads the pending added messages in batches and offers each to every waiter. */
  async #match(): Promise<void> {
    this.#matching = true;
    try {
      while (this.#waiters.size > 0 && (this.#pending.length > 0 || this.#rescan)) {
        if (this.#rescan) {
          this.#rescan = false;
          await this.#queryAgain();
          continue;
        }
        const batch = this.#pending.splice(0, WAIT_LIMITS.addsPerBatch);
        const withText = [...this.#waiters].some((w) => w.criteria.text);
        let added: AddedMessage[];
        try {
          added = await messagesAdded(this.#store.read, batch, withText);
        } catch (error) {
          // A read failed: the waiters look again in the store rather than miss these messages.
          this.#log.error("wait.read_failed", { error });
          this.#dropPending();
          continue;
        }
        for (const message of added) for (const waiter of this.#waiters) this.#offer(waiter, message);
      }
    } finally {
      this.#matching = false;
    }
  }

  #offer(waiter: Waiter, message: AddedMessage): void {
    // Read without its body text (no waiter wanted it then): one that joined since cannot judge it
    // here, and needs not: its own query, begun after this message's commit, sees it.
    if (waiter.criteria.text && message.searchText === undefined) return;
    if (!messageMatches(waiter.criteria, message)) return;
    if (waiter.querying) waiter.aside = older(waiter.aside, message);
    else waiter.settle(message);
  }

  /** Forgets the pending messages; every waiter looks in the store again instead. */
  #dropPending(): void {
    this.#pending = [];
    this.#rescan = true;
    for (const waiter of this.#waiters) if (waiter.querying) waiter.recheck = true;
  }

  /** After an overflow: each waiter's query once more (bounded by maxWaits). */
  async #queryAgain(): Promise<void> {
    for (const waiter of [...this.#waiters]) {
      if (waiter.querying) continue;
      try {
        const [found] = await messagesFind(this.#store.read, waiter.criteria, { order: "asc", limit: 1 });
        if (found) waiter.settle(found);
      } catch (error) {
        this.#log.error("wait.query_failed", { error });
      }
    }
  }
}
