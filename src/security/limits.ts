/**
 * Server-wide limits on memory for message data, and on how long an SMTP client may hold a
 * connection slot, each with the attack it stops. (Per-protocol syntax limits stay beside their
 * parsers: src/imap/protocol/limits.ts, src/pop3/limits.ts.) Tests pass smaller values through the
 * listener contexts; these are the defaults the server runs with.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

export const MEMORY_LIMITS = {
  /**
   * Message data held in memory at once by transfers in progress, across every connection and
   * protocol: each SMTP DATA and each spooled IMAP APPEND counts `transferBytes`, each IMAP literal
   * read into memory its size. When it is used up, new transfers are refused (SMTP 452 4.3.1, IMAP
   * NO [LIMIT]) until memory frees. Stops many connections together buffering without bound, which
   * per-connection limits alone allow (100 unfinished 20 MB transfers took the server to 2 GB).
   */
  bufferBytes: 64 * MiB,
  /**
   * What one streaming transfer (SMTP DATA, a spooled APPEND literal) counts against `bufferBytes`:
   * an estimate of the socket and stream buffers it holds at a time on the way to its spool file
   * (each chunk is written out as it comes, see store/spool.ts; Bun hands over up to 512 KB at once,
   * usually much less). 256 transfers fit in `bufferBytes`.
   */
  transferBytes: 256 * KiB,
  /**
   * Message bytes being parsed and stored at once (a received message is read back from its spool
   * in one piece for the one parse and the database write). Each ingest counts its size times
   * `ingestFactor`; one that does not fit waits its turn (first come, first served). Stops a burst
   * of large messages finishing together from needing their combined size many times over.
   */
  ingestBytes: 128 * MiB,
  /**
   * Memory an ingest needs per byte of message, measured: a 20 MB message peaked at ~6-7x its size
   * (the copy read back, the trace headers prepended, the parse, and libSQL's copies of the blob).
   */
  ingestFactor: 6,
  /**
   * How long a finished transfer waits for room to be ingested before it is refused with a
   * temporary error (SMTP 452 4.3.1, IMAP NO [LIMIT]); the client retries later.
   */
  ingestWaitMs: 60_000,
  /** Ingests waiting for room at most; beyond, a finished transfer is refused at once. */
  ingestMaxWaiting: 1000,
  /**
   * After an ingest of at least this cost (a message of ~2.7 MB) the runtime is asked to collect
   * garbage (Runtime.collectGarbage): without it Bun kept each large message's buffers while the
   * next one allocated, and a run of 20 MB messages stacked up to 300 MB; with it the server went
   * back to ~95 MB after each.
   */
  collectAfterBytes: 16 * MiB,
  /**
   * Bytes written to spool files between two garbage collections (store/spool.ts): the socket
   * chunks behind them are garbage, which Bun let pile up to hundreds of MB when 200 clients sent
   * at 100+ MB/s together. A collection of the server's small heap takes about a millisecond.
   */
  collectEverySpooledBytes: 32 * MiB,
} as const;

/**
 * SMTP connection slots (RFC 5321 §4.5.3.2 timeouts, and Postfix's smtpd limits as the model).
 * Without them a client that sends a byte every minute, or a NOOP every four, holds its slot
 * forever, and a thousand such connections from twenty addresses fill port 25.
 */
export const SMTP_SESSION_LIMITS = {
  /** Connections per listener in all: bounds sockets and buffers under a flood from many addresses. */
  maxClients: 1000,
  /** RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes for the next command. */
  idleTimeoutMs: 5 * 60_000,
  /**
   * From connect to forced close, however active the client: bounds what the per-command timers
   * cannot (a NOOP every 4 minutes, a trickle just above the minimum data rate). Long enough for a
   * full-size message over a slow link and a queue run of many messages.
   */
  sessionDeadlineMs: 30 * 60_000,
  /**
   * DATA must arrive at this rate at least, after the grace period below: Postfix's
   * smtpd_min_data_rate (default 500 bytes/s). The time allowed grows with the bytes received, so a
   * slow but honest link is never cut, and a byte-a-minute sender is cut after the grace period.
   */
  minDataRate: 500,
  /** DATA time allowed before any byte counts: Postfix's per-request deadline starts at smtpd_timeout. */
  dataGraceMs: 5 * 60_000,
  /**
   * Commands that do nothing towards a delivery (NOOP, RSET, VRFY, EXPN, ETRN, HELP) allowed in a
   * session before it is closed with 421 4.7.0; the count starts again after each message. Postfix's
   * smtpd_junk_command_limit (100). Stops a client keeping a slot alive with an endless RSET loop.
   */
  junkCommandLimit: 100,
  /**
   * Above this share of `maxClients` the listener is under stress (Postfix's stress mode): idle
   * clients are given `stressIdleTimeoutMs` and `stressJunkCommandLimit` instead, so that slots
   * held by idle or junk-sending connections free quickly for clients with mail.
   */
  stressThreshold: 0.8,
  /** Postfix under stress: smtpd_timeout 10 s (instead of 300 s). */
  stressIdleTimeoutMs: 10_000,
  /** Postfix under stress: smtpd_junk_command_limit 1 (instead of 100). */
  stressJunkCommandLimit: 1,
} as const;

export type SmtpSessionLimits = { -readonly [K in keyof typeof SMTP_SESSION_LIMITS]: number };
