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
