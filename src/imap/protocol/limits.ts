/**
 * Every limit the IMAP server enforces on what a client sends, with the attack each one stops.
 * (After ImapFlow's limits.js: one place to read and tune them.)
 */
export const IMAP_LIMITS = {
  /** Longest command line between literals. RFC 7162 §4 asks for at least 8192; this stops a client streaming an endless line into memory. */
  maxLineBytes: 64 * 1024,
  /** Largest literal outside APPEND (names, search strings): nothing legitimate needs more; stops memory exhaustion. */
  maxLiteralBytes: 64 * 1024,
  /** Largest command (all lines and literals) outside APPEND: bounds a command made of many small literals. */
  maxCommandBytes: 1024 * 1024,
  /** Bytes buffered ahead of the command being executed before we stop reading the socket (pipelining flood). */
  maxPendingBytes: 4 * 1024 * 1024,
  /**
   * Before login, a command's lines and literals together (LOGIN and ID need a few hundred bytes):
   * as Dovecot's login process, nothing larger is read from a client nobody has authenticated, so
   * 100 connections announcing 26 MB APPENDs cost nothing (they once took the server to 2 GB).
   */
  preAuthCommandBytes: 8 * 1024,
  /** Before login, bytes buffered ahead of the command being executed (instead of maxPendingBytes). */
  preAuthPendingBytes: 64 * 1024,
  /** While a literal streams to its spool file: how far the socket is read ahead of the disk. */
  literalReadAheadBytes: 256 * 1024,
  /** RFC 7888 §5: the largest non-synchronizing literal a client may send when LITERAL- is advertised. */
  literalMinusBytes: 4096,
  /** Literals above this size in an APPEND go to a spool file, not memory (the message itself). */
  spoolLiteralAboveBytes: 64 * 1024,
  /** Commands answered BAD in a row before we hang up: a client speaking another protocol, or a fuzzer. */
  maxBadCommands: 20,
  /**
   * LIST/LSUB patterns: how many in one LIST-EXTENDED command, and the octets (reference and pattern
   * together) and wildcards of each. Real clients send "*", "%" or "Folder/%"; a 2 KB "%a%a…%" over
   * thousands of long names kept the server's only thread busy for 39 s.
   */
  maxListPatterns: 16,
  maxListPatternBytes: 1024,
  maxListWildcards: 16,
  /**
   * NOTIFY (RFC 5465 §5.8): notifications one session may have waiting (a slow client, or one in
   * the middle of a command); past it the session gets NOTIFICATIONOVERFLOW and no more, so a
   * client that never reads cannot make the server hold every change of its account.
   */
  maxNotifyQueue: 1000,
  /**
   * NOTIFY's mailbox names (subtree and mailboxes filters, all groups together): every change of the
   * account is matched against them, so a NOTIFY naming 100,000 mailboxes would make each change cost
   * that much. Beyond it: NO [LIMIT] (Dovecot stops at 100 too).
   */
  maxNotifyMailboxNames: 100,
  /**
   * Live search contexts (RFC 5267 §4.3, SEARCH/SORT RETURN (UPDATE)) per selection. Each one is
   * judged again on every change to the mailbox, and a SORT context re-reads the mailbox's sort order
   * when it gains messages: a client opening thousands would turn every delivery into thousands of
   * searches and sorts (CPU amplification), and hold each result in memory. Past it the command
   * still answers, with `* NO [NOUPDATE "tag"]` (§4.3.1 allows refusing; it asks for at least one).
   */
  maxSearchContexts: 8,
  /** METADATA entry names (RFC 5464 §3.2): names are keys, not storage; values are bounded in store/metadata.ts. */
  maxMetadataEntryNameBytes: 256,
  /** RFC 3501 §5.4: at least 30 minutes for an authenticated idle client. */
  idleTimeoutMs: 30 * 60_000,
  /**
   * On stop, how long a command in flight may take to finish before its socket is cut: a client
   * that never reads its response (or a huge FETCH) cannot hold the shutdown beyond it.
   */
  closeTimeoutMs: 10_000,
  /** Before login there is no reason to sit idle for long: limits slots held by silent connections. */
  preAuthTimeoutMs: 60_000,
  /**
   * From connect to a successful login, however active the client: the inactivity timer alone lets a
   * slowloris client that sends a byte now and then hold a slot forever.
   */
  loginDeadlineMs: 3 * 60_000,
  /** IDLE keep-alive: an untagged OK this often keeps NAT boxes from dropping idle connections. */
  idleKeepAliveMs: 2 * 60_000,
  /** Connections from one address, and in all (a single host cannot take every slot). */
  maxConnectionsPerAddress: 50,
  maxConnections: 5000,
} as const;
