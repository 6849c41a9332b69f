/** Limits of the live event stream and its subscribers (issue 16), each with the abuse it stops. */

export const EVENT_LIMITS = {
  /**
   * Events kept for `Last-Event-ID` resumption: the last 10,000, none older than an hour (whichever
   * is fewer), in memory. A delivery flood cannot grow the history without end; a client away for
   * longer is told of the gap (`stream.gap`) and resynchronises through the REST API.
   */
  retainedEvents: 10_000,
  retentionMs: 60 * 60_000,
  /**
   * Bytes queued for one SSE client that does not read. A stalled or deliberately slow reader is
   * disconnected past it (it resumes with Last-Event-ID) instead of holding unbounded memory.
   */
  clientBufferBytes: 256 * 1024,
  /**
   * SSE streams open at once, server-wide: each holds a connection and its buffer, so a client
   * opening streams in a loop cannot take every file descriptor. Past it: 503 with Retry-After.
   */
  maxClients: 20_000,
  /**
   * A comment line this often on every stream: proxies and the server's idle timeout would cut a
   * quiet stream, and a client that left is noticed by the failed write.
   */
  heartbeatMs: 15_000,
  /**
   * Store changes waiting to be described (account address, mailbox name, message summary) while
   * the previous batch is read. Past it a flood is described without the lookups (ids only), so
   * memory stays bounded and no event is dropped.
   */
  maxPendingChanges: 50_000,
  /** Changes described per read of the store. */
  changesPerBatch: 200,
  /** Entries of the account-address and mailbox-name caches the descriptions use. */
  maxCachedNames: 10_000,
} as const;
