/**
 * Every limit of mail authentication (DKIM signing, keys, DNS records) in one place, with what each
 * one is for. (After ImapFlow's limits.js.)
 */
export const DKIM_LIMITS = {
  /** RSA modulus for new keys: RFC 8301 §3.2 wants at least 1024, 2048 is today's norm and fits DNS. */
  rsaBits: 2048,
  /**
   * The retirement timer wakes at least this often (setTimeout cannot wait longer than ~24 days,
   * and a clock that jumped is noticed within the hour).
   */
  retireCheckMs: 3_600_000,
  /**
   * Instances of one header field that a signature covers: a message with thousands of "To:" lines
   * (hostile or broken) would otherwise make an h= tag of tens of kilobytes that verifiers refuse.
   */
  maxInstancesPerField: 50,
  /** Parsed private keys kept in memory (by key id): bounds the cache on a server with many domains. */
  keyCacheEntries: 1_000,
} as const;
