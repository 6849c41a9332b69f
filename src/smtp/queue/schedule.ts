/**
 * When to try again and when to give up: the retry schedule (MAILROOM_QUEUE_RETRY, the last interval
 * repeating) and the queue lifetime (MAILROOM_QUEUE_MAX_AGE, RFC 5321 §4.5.4.1 suggests 4-5 days).
 */
import type { QueueItem } from "../../store/mod.ts";

/** The wait after a temporary failure, given how many attempts the item had before this one. */
export function retryDelay(retry: readonly number[], attempts: number): number {
  if (retry.length === 0) return 60_000;
  return retry[Math.min(Math.max(attempts, 0), retry.length - 1)]!;
}

/** Whether the item has waited past the queue lifetime: it bounces (4.4.7) instead of another try. */
export function isExpired(item: Pick<QueueItem, "createdAt">, maxAge: number, now: number): boolean {
  return now >= item.createdAt + maxAge;
}

/**
 * When a deferred item is next due. A retry that would land after the expiry is pulled in to the
 * expiry time, so the bounce goes out when the lifetime ends rather than one long interval later.
 */
export function nextAttemptAt(
  item: Pick<QueueItem, "createdAt" | "attempts">,
  options: { retry: readonly number[]; maxAge: number; now: number },
): number {
  const next = options.now + retryDelay(options.retry, item.attempts);
  return Math.min(next, Math.max(item.createdAt + options.maxAge, options.now));
}
