/**
 * Limits and timings of the ACME client and its certificate manager, each with its reason. A
 * certificate authority is someone else's server: every wait on it is bounded, and failures back off
 * so that a broken setup does not hammer it (Let's Encrypt rate-limits failed validations per hour).
 */

export const ACME_LIMITS = {
  /** One HTTPS request to the CA, connect to last byte. */
  requestTimeoutMs: 30_000,
  /** A CA answer larger than this is refused (a chain is a few KB; a directory or order less). */
  maxResponseBytes: 1024 * 1024,
  /** RFC 8555 §6.5: a badNonce error is retried with the fresh nonce it carries, this often at most. */
  badNonceRetries: 5,
  /** Polling an authorization or order (RFC 8555 §7.5.1): between polls without Retry-After. */
  pollIntervalMs: 1_000,
  /** Retry-After is obeyed up to this (a longer one would stall the attempt). */
  maxPollIntervalMs: 30_000,
  /** An authorization or order that has not settled within this fails the attempt. */
  pollTimeoutMs: 120_000,
  /** Let's Encrypt's limit of names per certificate; beyond, the rest are left out (and logged). */
  maxNames: 100,
  /** After a failed attempt the next one waits this, doubling each time up to `retryMaxMs`. */
  retryFirstMs: 60_000,
  retryMaxMs: 6 * 3_600_000,
  /** Renewal starts when this share of the certificate's lifetime has passed. */
  renewAtFraction: 2 / 3,
  /**
   * The manager looks again at least this often (timers cannot wait 60 days; the clock may jump;
   * a domain may be added by another process).
   */
  recheckMs: 6 * 3_600_000,
  /** After a domain is added or removed, wait this long for more changes before ordering. */
  domainSettleMs: 5_000,
  /** A shutdown waits this long for an order in progress, then leaves it. */
  stopWaitMs: 3_000,
} as const;
