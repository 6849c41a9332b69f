/**
 * Every limit of the inbound defence in one place, with what each one stops. Times are milliseconds.
 */
export const SPAM_LIMITS = {
  /**
   * Bytes of an rspamd reply we read. A scan reply is a few KB (symbols and their options); past
   * this the reply is garbage or hostile and the scan counts as an outage, instead of a filter
   * that answers without end filling our memory.
   */
  rspamdReplyBytes: 1024 * 1024,
  /** A learn call waits this long; the worker retries later (learning never holds a client). */
  rspamdLearnTimeoutMs: 30_000,
  /** Symbols kept from one verdict (headers, REST view): a reply of thousands cannot bloat every message. */
  maxSymbols: 100,
  /** Bytes of one header rspamd asks us to add (milter add_headers): a huge value cannot bloat the message. */
  maxMilterHeaderBytes: 4096,
  /** Headers rspamd may add or remove in one verdict. */
  maxMilterHeaders: 32,
  /** PTR names followed back to addresses in the forward-confirmed reverse DNS check (Postfix: 1-4 are common). */
  maxPtrNames: 4,
  /**
   * The whole connect-time DNS work (block lists, PTR and back) waits at most this long for the
   * RCPT check; a slow resolver then counts as "not listed", never as a held transaction.
   */
  lookupWaitMs: 5_000,
  /** Client addresses the rate limiter tracks at once (oldest forgotten first): a botnet cannot fill memory. */
  rateTrackedClients: 50_000,
  /** The rate limits' window (the settings are per minute). */
  rateWindowMs: 60_000,
  /** Lessons the learn worker sends per round; then it looks at the queue again. */
  learnBatch: 20,
  /** How often the learn worker looks for due lessons when nothing told it about new ones. */
  learnPollMs: 1_000,
  /** A lesson that failed this many times (a dead filter for days) is dropped, and logged. */
  learnMaxAttempts: 30,
  /** Waits between learn retries: 30 s doubling up to an hour. */
  learnRetryBaseMs: 30_000,
  learnRetryMaxMs: 3_600_000,
  /** Greylisting delay: RFC 6647 leaves it to the receiver; 5 minutes is the common choice (Postgrey: 300 s). */
  greylistDelayMs: 5 * 60_000,
  /** How long a passed triplet is remembered after it was last seen: 36 days (Postgrey keeps 35), so monthly senders stay known. */
  greylistMemoryMs: 36 * 86_400_000,
  /** A deferred triplet that never comes back within this is forgotten (Postgrey's retry window, 2 days). */
  greylistRetryWindowMs: 2 * 86_400_000,
  /** How often the greylist table is pruned. */
  greylistPruneEveryMs: 3_600_000,
} as const;
