/**
 * The live events (issue 16) as SSE, webhooks and the web UI see them. Anything may publish to the
 * bus through `EventSink` (the store feed, the queue runner, the login limiter): none of them import
 * each other, they meet in the bus that main.ts makes.
 */

export const EVENT_TYPES = [
  "message.received",
  "message.deleted",
  "message.flags",
  "queue.delivered",
  "queue.deferred",
  "queue.bounced",
  "auth.failed",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/** One event: `id` increases by one per event and is the SSE `id:` field (Last-Event-ID). */
export interface MailroomEvent {
  id: number;
  type: EventType;
  /** ISO 8601 time of publication. */
  time: string;
  /** The account it concerns (lower-case address), or null (a remote recipient, an unknown login). */
  account: string | null;
  data: Record<string, unknown>;
}

/** Where producers hand their events; published after the fact it reports was committed. */
export interface EventSink {
  publish(type: EventType, account: string | null, data: Record<string, unknown>): void;
}
