/**
 * The open Server-Sent Events streams of `GET /api/v1/events` (issue 16), served from one
 * subscription to the event bus and one heartbeat timer however many clients are connected: each
 * event is encoded once and queued to every client whose filter it passes.
 *
 * Each client has its own queue, handed to the response stream only when the runtime pulls (the
 * socket can take more). A client that stops reading lets its queue grow; past
 * EVENT_LIMITS.clientBufferBytes the queue is discarded and the stream ended, instead of holding
 * memory; the client resumes with Last-Event-ID.
 *
 * Format per the HTML Living Standard, §9.2 "Server-sent events": `id:`, `event:`, `data:` fields,
 * a blank line after each event, `:` comment lines as heartbeats, `retry:` for the reconnection time.
 */
import { EventBus } from "../events/bus.ts";
import { EVENT_LIMITS } from "../events/limits.ts";
import type { EventType, MailroomEvent } from "../events/types.ts";
import { concatBytes } from "../mime/bytes.ts";
import { withDefaults } from "../options.ts";

export interface SseLimits {
  clientBufferBytes: number;
  maxClients: number;
  heartbeatMs: number;
}

/** Which events a client asked for: by account address and by type (exact, or "message.*"). */
export interface SseFilter {
  account?: string | undefined;
  types?: ReadonlyArray<EventType | `${string}.*`> | undefined;
}

/** Thrown when EVENT_LIMITS.maxClients streams are open (answered 503). */
export class TooManyStreams extends Error {
  constructor(readonly max: number) {
    super(`${max} event streams are open, the most allowed; try again shortly`);
  }
}

interface Client {
  filter: SseFilter;
  controller: ReadableStreamDefaultController<Uint8Array>;
  /** Frames the reader has not asked for yet, and their bytes: the only per-client buffer. */
  queue: Uint8Array[];
  bytes: number;
  /** Set while the reader waits for data (a pull in progress): the next frame goes straight out. */
  wake: (() => void) | undefined;
  close(): void;
}

const encoder = new TextEncoder();
/** Clients reconnect after this (SSE `retry:` field), in ms. */
const RETRY_MS = 2_000;

export function sseFrame(event: MailroomEvent): Uint8Array {
  // JSON has no raw line breaks, so the whole event fits one `data:` line.
  return encoder.encode(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
}

export function sseMatches(filter: SseFilter, event: MailroomEvent): boolean {
  if (filter.account !== undefined && event.account !== filter.account) return false;
  if (filter.types === undefined || filter.types.length === 0) return true;
  return filter.types.some((t) =>
    t.endsWith(".*") ? event.type.startsWith(t.slice(0, -1)) : event.type === t,
  );
}

export class SseClients {
  readonly bus: EventBus;
  readonly limits: SseLimits;
  readonly #clients = new Set<Client>();
  #unsubscribe: (() => void) | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  /** Clients cut off for not reading (for the log and tests). */
  dropped = 0;

  constructor(options: { bus?: EventBus; limits?: Partial<SseLimits> }) {
    this.bus = options.bus ?? new EventBus();
    const { clientBufferBytes, maxClients, heartbeatMs } = EVENT_LIMITS;
    this.limits = withDefaults({ clientBufferBytes, maxClients, heartbeatMs }, options.limits);
  }

  get size(): number {
    return this.#clients.size;
  }

  /**
   * A stream of the events after `lastEventId` (when given and still retained) and of every event
   * from now on that passes `filter`. `signal` (the request's) ends it when the client leaves.
   */
  open(
    filter: SseFilter,
    options: { lastEventId?: number; signal?: AbortSignal },
  ): ReadableStream<Uint8Array> {
    if (this.#clients.size >= this.limits.maxClients) throw new TooManyStreams(this.limits.maxClients);
    let client: Client | undefined;
    const leave = () => {
      if (!client) return;
      this.#clients.delete(client);
      client = undefined;
      options.signal?.removeEventListener("abort", onAbort);
      if (this.#clients.size === 0) this.#idle();
    };
    const onAbort = () => {
      const c = client;
      leave();
      const wake = c?.wake;
      if (c) c.wake = undefined;
      try {
        c?.controller.close();
        wake?.();
      } catch {
        // Already closed or errored.
      }
    };
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          client = { filter, controller, queue: [], bytes: 0, wake: undefined, close: onAbort };
          // Replay and subscription in the same turn: nothing is published in between (bus.since).
          const first = [`retry: ${RETRY_MS}\n`, ": mailroom events\n\n"];
          const replay = options.lastEventId === undefined ? undefined : this.bus.since(options.lastEventId);
          if (replay?.gap)
            first.push(
              `event: stream.gap\ndata: ${JSON.stringify({ lastEventId: options.lastEventId, detail: "events after lastEventId are no longer retained; resynchronise through the REST API" })}\n\n`,
            );
          controller.enqueue(encoder.encode(first.join("")));
          // The replay is at most the retained events: bounded by the ring, not by clientBufferBytes.
          for (const event of replay?.events ?? [])
            if (sseMatches(filter, event)) controller.enqueue(sseFrame(event));
          this.#clients.add(client);
          this.#active();
          options.signal?.addEventListener("abort", onAbort, { once: true });
          if (options.signal?.aborted) onAbort();
        },
        pull: () => {
          const c = client;
          if (!c) return;
          if (c.queue.length > 0) return this.#flush(c);
          return new Promise<void>((resolve) => {
            c.wake = resolve;
          });
        },
        cancel: () => leave(),
      },
      { highWaterMark: 0 },
    );
  }

  /** Ends every stream (the server stops). */
  closeAll(): void {
    for (const client of [...this.#clients]) client.close();
  }

  #active(): void {
    this.#unsubscribe ??= this.bus.subscribe((event) => this.#send(event));
    if (!this.#heartbeat) {
      this.#heartbeat = setInterval(() => this.#beat(), this.limits.heartbeatMs);
      this.#heartbeat.unref?.();
    }
  }

  #idle(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #send(event: MailroomEvent): void {
    let frame: Uint8Array | undefined;
    for (const client of this.#clients) {
      if (!sseMatches(client.filter, event)) continue;
      frame ??= sseFrame(event);
      this.#enqueue(client, frame);
    }
  }

  #beat(): void {
    const frame = encoder.encode(": heartbeat\n\n");
    for (const client of [...this.#clients]) this.#enqueue(client, frame);
  }

  /** Hands a frame to a waiting reader, queues it, or cuts the client off past the limit. */
  #enqueue(client: Client, frame: Uint8Array): void {
    if (client.bytes + frame.byteLength > this.limits.clientBufferBytes) {
      this.dropped++;
      client.queue = [];
      client.bytes = 0;
      client.close();
      return;
    }
    client.queue.push(frame);
    client.bytes += frame.byteLength;
    if (client.wake) this.#flush(client);
  }

  /** Everything queued goes to the stream as one chunk, and a waiting pull is answered. */
  #flush(client: Client): void {
    const chunk = client.queue.length === 1 ? client.queue[0]! : concatBytes(client.queue);
    client.queue = [];
    client.bytes = 0;
    const wake = client.wake;
    client.wake = undefined;
    try {
      client.controller.enqueue(chunk);
    } catch {
      client.close();
    }
    wake?.();
  }
}
