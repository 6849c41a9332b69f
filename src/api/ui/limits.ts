/** Limits of the web interface's sign-in sessions (issue 17), each with the abuse it stops. */

export const SESSION_LIMITS = {
  /**
   * Sessions held at once (rows of web_sessions). A script signing in in a loop (with a stolen
   * token, or with an account's password) cannot grow the table without end: past it the least
   * recently used session is dropped (that user signs in again).
   */
  maxSessions: 1_000,
  /** A session unused this long is gone: a browser left signed in on a shared machine stops working. */
  idleMs: 2 * 60 * 60 * 1000,
  /** However active, a session ends after this: a stolen cookie is not good forever. */
  absoluteMs: 24 * 60 * 60 * 1000,
  /**
   * A session's last use is written at most this often: marking it on every request would be a
   * database write (and fsync) per click and per poll. Idle expiry is this much less exact.
   */
  touchMs: 60 * 1000,
} as const;

export type SessionLimits = { -readonly [K in keyof typeof SESSION_LIMITS]: number };
