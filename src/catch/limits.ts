/** Limits of catch mode and throwaway namespaces, each with the abuse it stops. */

export const NAMESPACE_LIMITS = {
  /**
   * Namespaces alive at once. Each is a domain row and, once mailed, accounts: a runaway CI loop (or
   * anyone with the admin token) creating them in a loop cannot fill the database.
   */
  maxNamespaces: 10_000,
  /** Shortest lifetime: anything shorter is gone before a test could use it (tests use 1s). */
  minTtlMs: 1_000,
  /** Longest lifetime: a "throwaway" namespace that lives for months is a forgotten one. */
  maxTtlMs: 7 * 86_400_000,
  /** Lifetime when POST /api/v1/namespaces names none. */
  defaultTtlMs: 3_600_000,
  /**
   * The reaper's timer is set for the next expiry, but never further ahead than this: it also picks
   * up namespaces another process created, and a clock that jumped.
   */
  maxSleepMs: 15_000,
} as const;
