/**
 * Every limit of outgoing delivery in one place, with what each one protects.
 * (After ImapFlow's limits.js.) The Received: loop limit is shared with DATA: ../limits.ts.
 */
import { RFC5321_MIN_RECIPIENTS } from "../limits.ts";

export const QUEUE_LIMITS = {
  /** Delivery connections open at once (each runs one transaction at a time), all destinations together. */
  maxConnections: 20,
  /**
   * Connections to one destination domain: a small site is not flooded by our queue. Each connection
   * waits for two durable commits per message (theirs, then ours), so this bounds the relay rate too:
   * 4 gave ~120 messages/s in bench/relay.ts, 10 gives ~185. (Postfix's default is 20.)
   */
  maxPerDomain: 10,
  /** Recipients in one transaction: what every server must take (RFC 5321 §4.5.3.1.8), so none refuses part of it. */
  maxRecipientsPerTransaction: RFC5321_MIN_RECIPIENTS,
  /** Scans (a read of the due items) are at least this far apart however often mail is queued. */
  minScanIntervalMs: 25,
  /** Due items read per scan: a huge backlog is taken in slices, not loaded whole. */
  scanBatch: 500,
  /** Transactions a busy connection takes on at a time when it asks for more (the rest stay for others). */
  groupsPerTake: 50,
  /** An idle delivery connection waits this long for more mail to its domain before QUIT (Postfix: 2 s). */
  connectionLingerMs: 2_000,
  /** A connection is not reused past this age, so route and DNS changes are seen. */
  connectionMaxAgeMs: 5 * 60_000,
  /**
   * MX hosts of one domain that are looked up and tried (Postfix: smtp_mx_address_limit 5): a domain
   * publishing hundreds of MX records cannot make us resolve and connect to all of them.
   */
  maxMxHosts: 10,
  /** Addresses tried per host name, for the same reason (a host name with dozens of A records). */
  maxAddressesPerHost: 4,
  /** The timer never sleeps longer than this, so rows added behind our back (another process) are seen. */
  maxIdleMs: 60_000,
  /** stop() waits this long for transactions in flight, then gives up on them (they stay queued). */
  stopTimeoutMs: 10_000,
} as const;

/**
 * Client timeouts for one SMTP transaction. RFC 5321 §4.5.3.2 asks for 5 minutes for the greeting
 * and most replies and 10 for the end of DATA; connecting gets much less, as a host that does not
 * answer SYN is down and the next MX should get its turn.
 */
export const CLIENT_TIMEOUTS = {
  connectMs: 30_000,
  greetingMs: 5 * 60_000,
  socketMs: 10 * 60_000,
} as const;

/** Outbound transport security (MTA-STS, DANE, TLS-RPT): the bounds on what peers can make us do. */
export const TLS_POLICY_LIMITS = {
  /**
   * RFC 8461 §3.3: a policy body larger than 64 KB is not read (a hostile policy host cannot make us
   * buffer more); the fetch fails and is treated as "no policy" (§5) or the cached policy is kept.
   */
  maxPolicyBytes: 64 * 1024,
  /** RFC 8461 §3.3 leaves the timeout to us: a policy host that stalls cannot hold a delivery longer. */
  fetchTimeoutMs: 20_000,
  /** RFC 8461 §3.2: max_age is at most 31557600 s (about a year). */
  maxPolicyAgeSeconds: 31_557_600,
  /** mx patterns kept from one policy: a policy of thousands of lines cannot make matching costly. */
  maxPolicyMx: 64,
  /** TLSA records considered per host (a huge RRset cannot make us hash the chain thousands of times). */
  maxTlsaRecords: 32,
  /** Certificates of a peer's chain that DANE-TA looks at. */
  maxChainLength: 10,
  /** HTTPS report uploads (RFC 8460 §3, https: rua) larger than this are not sent. */
  maxReportBytes: 1024 * 1024,
  /** rua destinations used per report: a record listing hundreds cannot make us send hundreds. */
  maxReportDestinations: 5,
} as const;

/** RFC 3464 delay notices: after this long queued, the sender hears once that the mail is still waiting. */
export const DELAY_NOTICE_AFTER_MS = 4 * 3_600_000;
