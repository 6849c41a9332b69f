/**
 * The event bus: numbers each event, keeps the recent ones in a ring buffer for resumption
 * (EVENT_LIMITS: the last N, none older than T) and hands every event to the subscribers in order.
 *
 * Ids are integers that start at the boot time in milliseconds times 1,000, so an id from before a
 * restart is always below the first id of this run: resuming from it reports a gap rather than
 * silently replaying the wrong events.
 */
import { EVENT_LIMITS } from "./limits.ts";
import type { EventSink, EventType, MailroomEvent } from "./types.ts";

export type EventListener = (event: MailroomEvent) => void;

export interface EventBusLimits {
  retainedEvents: number;
  retentionMs: number;
}

/** What resuming after an id finds: the events since, and whether some in between are gone. */
export interface Replay {
  events: MailroomEvent[];
  /** Events after `after` were evicted (or came before this run): the client must resynchronise. */
  gap: boolean;
}

export class EventBus implements EventSink {
  readonly #limits: EventBusLimits;
  readonly #now: () => number;
  readonly #listeners = new Set<EventListener>();
  /** Ring buffer: `#ring[(#start + i) % capacity]` for i < #count, oldest first. */
  readonly #ring: Array<MailroomEvent | undefined>;
  #start = 0;
  #count = 0;
  #nextId: number;
  /** The first id this run gave (or will give). */
  readonly firstId: number;

  constructor(options: { limits?: Partial<EventBusLimits>; now?: () => number } = {}) {
    this.#limits = {
      retainedEvents: options.limits?.retainedEvents ?? EVENT_LIMITS.retainedEvents,
      retentionMs: options.limits?.retentionMs ?? EVENT_LIMITS.retentionMs,
    };
    this.#now = options.now ?? Date.now;
    this.#ring = new Array(this.#limits.retainedEvents);
    this.firstId = this.#now() * 1000;
    this.#nextId = this.firstId;
  }

  /** The id of the newest event, or firstId - 1 before any. */
  get lastId(): number {
    return this.#nextId - 1;
  }

  get subscribers(): number {
    return this.#listeners.size;
  }

  publish(type: EventType, account: string | null, data: Record<string, unknown>): MailroomEvent {
    const now = this.#now();
    const event: MailroomEvent = {
      id: this.#nextId++,
      type,
      time: new Date(now).toISOString(),
      account: account?.toLowerCase() ?? null,
      data,
    };
    this.#retain(event, now);
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch {
        // A subscriber's failure is its own: the others still get the event.
      }
    }
    return event;
  }

  /** Every event from now on, in order; returns the unsubscribe. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * The retained events with an id above `after`. Synchronous: a caller that subscribes in the same
   * turn neither misses nor repeats an event (nothing is published in between).
   */
  since(after: number): Replay {
    this.#expire(this.#now());
    const events: MailroomEvent[] = [];
    let oldest: number | undefined;
    for (let i = 0; i < this.#count; i++) {
      const event = this.#ring[(this.#start + i) % this.#ring.length]!;
      oldest ??= event.id;
      if (event.id > after) events.push(event);
    }
    // Nothing lost when the next event after `after` is still here or is yet to come.
    const next = after + 1;
    const gap = next < (oldest ?? this.#nextId) && next < this.#nextId;
    return { events, gap };
  }

  #retain(event: MailroomEvent, now: number): void {
    const capacity = this.#ring.length;
    if (capacity === 0) return;
    if (this.#count === capacity) {
      this.#ring[this.#start] = undefined;
      this.#start = (this.#start + 1) % capacity;
      this.#count--;
    }
    this.#ring[(this.#start + this.#count) % capacity] = event;
    this.#count++;
    this.#expire(now);
  }

  #expire(now: number): void {
    const cutoff = new Date(now - this.#limits.retentionMs).toISOString();
    while (this.#count > 0) {
      const oldest = this.#ring[this.#start]!;
      if (oldest.time >= cutoff) break;
      this.#ring[this.#start] = undefined;
      this.#start = (this.#start + 1) % this.#ring.length;
      this.#count--;
    }
  }
}
