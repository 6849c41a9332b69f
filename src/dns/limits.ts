/**
 * Every limit of the DNS resolver in one place, with what each one protects. (After ImapFlow's
 * limits.js.) Times are milliseconds, TTLs seconds.
 */
export const DNS_LIMITS = {
  /**
   * One try (one datagram, or one TCP exchange after truncation) waits this long. RFC 1035 §4.2.1
   * leaves the figure to us ("should be based on measured statistics"); 2.5 s is well past any real
   * round trip and keeps a dead server from stalling a lookup.
   */
  timeoutMs: 2_500,
  /** Passes over the server list before a lookup gives up (RFC 1035 §4.2.1: retransmit, rotate). */
  rounds: 2,
  /** Tries per lookup whatever the server count: a long server list cannot stretch a lookup. */
  maxTries: 4,
  /**
   * Wall-clock bound on one lookup, tries and TCP fallback included. RFC 7208 §4.6.4 asks that a
   * whole SPF evaluation be allowed at least 20 s; one lookup must stay well below that.
   */
  lookupBudgetMs: 12_000,
  /**
   * The EDNS0 UDP payload size we advertise (RFC 6891 §6.2.5): 1232 bytes, DNS Flag Day 2020's
   * figure, fits any path MTU, so answers are never IP-fragmented (fragments can be spoofed).
   * Larger answers come truncated and are fetched again over TCP (RFC 7766 §5).
   */
  udpPayloadSize: 1_232,
  /** Queries on the wire at once: a burst of mail cannot open thousands of sockets. */
  maxInFlight: 256,
  /** Lookups waiting for a slot; past this a lookup fails at once (temperror) instead of queueing forever. */
  maxWaiting: 4_096,
  /** CNAME links followed inside one answer (a loop or a long chain ends here). */
  maxCnameHops: 8,
  /** Cached answers, positive and negative: the cache cannot grow without bound (LRU beyond this). */
  cacheEntries: 10_000,
  /** Approximate bytes of cached record data: a few huge TXT sets cannot fill memory. */
  cacheBytes: 16 * 1024 * 1024,
  /**
   * A TTL of 0 is held for this long anyway: a burst of messages from one sender asks once, not once
   * per message. (Resolvers clamp likewise, e.g. unbound's cache-min-ttl.)
   */
  minTtl: 1,
  /** No answer is kept longer than a day, whatever its TTL (RFC 2181 §8 allows up to 2^31-1 s). */
  maxTtl: 86_400,
  /** RFC 2308 §5: negative answers are kept at most this long (it suggests one to three hours). */
  maxNegativeTtl: 3_600,
} as const;
