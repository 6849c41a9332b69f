/** Limits of the REST API's long polls and message reading (issue 16), each with the abuse it stops. */

export const WAIT_LIMITS = {
  /**
   * Waits-for-message in progress at once, server-wide. Each holds an HTTP connection and a few
   * hundred bytes of state: a client opening waits in a loop (or a test suite leaking them) cannot
   * take the server's memory or file descriptors. Past it: 503 with Retry-After.
   */
  maxWaits: 10_000,
  /** The longest a wait lasts, whatever `timeout` asks: a forgotten `timeout=10h` holds nothing for hours. */
  maxTimeoutMs: 300_000,
  /** A wait without `timeout`. */
  defaultTimeoutMs: 30_000,
  /**
   * Newly added messages queued for matching while the previous batch is read. A delivery flood
   * faster than the matching cannot grow the queue without end: past this it is dropped and every
   * wait runs its query again instead, so nothing is missed and memory stays bounded.
   */
  maxPendingAdds: 50_000,
  /** Added messages read per statement when matching. */
  addsPerBatch: 100,
  /**
   * Waits begun between two garbage collections (Runtime.collectGarbage). Each wait's first query
   * leaves a prepared statement of about 16 KB of native memory that is freed only when a collection
   * finalizes its JavaScript handle, and Bun does not count that memory towards collecting: a burst
   * of 10,000 waits held 170 MB of dead statements. A collection every 1,000 keeps that to ~16 MB.
   */
  collectEveryWaits: 1_000,
} as const;

export const READ_LIMITS = {
  /** Search page size, at most (as the mailbox listing). */
  maxPageSize: 500,
  /** A criterion's length: a substring longer than any subject is a mistake or an attempt at a slow scan. */
  maxCriterionLength: 500,
} as const;
