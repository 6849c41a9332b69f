/**
 * Every limit of the POP3 server in one place, each with the attack or failure it stops.
 * Tests pass smaller values through `Pop3Context.limits`; production uses the defaults.
 */

export interface Pop3Limits {
  /**
   * Longest command line we accept, CRLF included. RFC 2449 §4 allows 255 octets; real clients
   * (long SASL responses, long passwords) go past it, so we tolerate up to 4 KB. Beyond that the client
   * is broken or hostile: a line we must buffer whole is memory an attacker controls.
   */
  maxLineLength: number;
  /**
   * Unprocessed input we hold before we stop reading the socket. A client that pipelines thousands of
   * RETRs without reading the answers would otherwise make us queue its commands (and, with them, our
   * responses) without bound.
   */
  maxPendingInput: number;
  /**
   * Output slice size: a big message is handed to the socket in slices of this size, waiting for
   * 'drain' between them, so a slow reader holds at most the message plus one slice.
   */
  writeSlice: number;
  /**
   * Inactivity autologout. RFC 1939 §3 requires at least 10 minutes; stops idle connections from
   * holding connection slots (and maildrop snapshots) forever.
   */
  idleTimeoutMs: number;
  /**
   * Inactivity before login. Before AUTHORIZATION succeeds there is no session worth keeping (RFC 1939
   * §3's 10 minutes protect a logged-in user's session): a silent connection holds a slot for 1 minute.
   */
  preAuthTimeoutMs: number;
  /**
   * Time from connect to a successful login, however active the client is: a slowloris client that
   * trickles a byte now and then (resetting the inactivity timer) or retries logins forever is cut off.
   */
  loginDeadlineMs: number;
  /**
   * A TLS handshake (POP3S accept, or after STLS) must finish within this: a client that connects and
   * stays silent would otherwise hold a socket without ever reaching the idle timeout's session.
   */
  tlsHandshakeTimeoutMs: number;
  /** Connections from one client address: stops one host from taking every slot (RFC 2449 [SYS/TEMP]). */
  maxConnectionsPerAddress: number;
  /** Connections in total: bounds sockets, snapshots and buffers under a flood from many addresses. */
  maxConnections: number;
  /**
   * Concurrent logged-in sessions per account, refused with [IN-USE] (RFC 2449 §8.1.2). Stops one set of
   * credentials (or a client stuck reconnecting) from holding many snapshots of a large maildrop.
   */
  maxSessionsPerAccount: number;
  /** Failed logins one connection may make before we close it: a brute forcer must reconnect. */
  maxAuthFailuresPerConnection: number;
  /** First step of the growing delay before answering a failed login (password guessing). */
  authFailureBaseDelayMs: number;
  /** Cap of that delay: keeps a legitimate user who mistyped a few times from waiting forever. */
  authFailureMaxDelayMs: number;
  /**
   * How long \Seen flags of retrieved messages are collected before one write stores them. Each write
   * is a durable commit (an fsync); without batching, a client RETRing thousands of messages would
   * cost one per message and stall every other session's writes. UPDATE and disconnects flush at once.
   */
  seenFlushDelayMs: number;
  /**
   * How long shutdown waits for sessions in UPDATE (or writing) before cutting them off: a client that
   * stops reading must not be able to hold a shutdown (or a restart) hostage.
   */
  closeTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<Pop3Limits> = {
  maxLineLength: 4096,
  maxPendingInput: 64 * 1024,
  writeSlice: 256 * 1024,
  idleTimeoutMs: 10 * 60_000,
  preAuthTimeoutMs: 60_000,
  loginDeadlineMs: 3 * 60_000,
  tlsHandshakeTimeoutMs: 30_000,
  maxConnectionsPerAddress: 20,
  maxConnections: 1000,
  maxSessionsPerAccount: 20,
  maxAuthFailuresPerConnection: 5,
  authFailureBaseDelayMs: 1000,
  authFailureMaxDelayMs: 10_000,
  seenFlushDelayMs: 250,
  closeTimeoutMs: 10_000,
};
