/** Limits of webhooks (issue 16), each with the abuse or failure it stops. */

export const WEBHOOK_LIMITS = {
  /** Webhooks at once: each one is a sender and a row scan per event. */
  maxWebhooks: 100,
  /**
   * Delays before each retry after a failed attempt; the last repeats. The first is under 10 s, so a
   * receiver that was restarting gets the event promptly; then the gaps grow so a dead receiver is
   * not hammered.
   */
  retryMs: [5_000, 10_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000],
  /** A delivery that has failed for this long since it was queued is given up ("failed"). */
  giveUpAfterMs: 24 * 3_600_000,
  /** One attempt's time limit (connect to the end of the response): a stalled receiver holds nothing. */
  requestTimeoutMs: 10_000,
  /** Of a failed attempt's response body, this many bytes are kept (lastError). */
  responseBytesKept: 300,
  /**
   * Events waiting to be written as deliveries. A flood faster than the database cannot grow memory
   * without end: past it the oldest waiting events are dropped and logged (webhook.overflow).
   */
  maxPendingEvents: 50_000,
  /** Events written per commit. */
  eventsPerWrite: 500,
  /** A URL's length. */
  maxUrlLength: 2_000,
} as const;
