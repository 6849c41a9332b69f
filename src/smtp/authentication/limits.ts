/**
 * Every limit of the inbound checks (SPF, DKIM, DMARC, ARC) in one place, with the attack or the
 * failure each one stops. Times are milliseconds.
 */
export const AUTH_LIMITS = {
  /**
   * Wall-clock bound on the checks of one message, from the end of DATA (SPF: from MAIL FROM). RFC
   * 7208 §4.6.4 asks that an SPF evaluation be allowed at least 20 s; DKIM key lookups, the DMARC
   * tree walk and ARC share the same bound. Past it, what is still unanswered is a temperror: a
   * resolver that never answers cannot hold a connection (and its message) for minutes. The client
   * waits at most this long for the reply to the final dot, well inside the 10 minutes of RFC 5321
   * §4.5.3.2.6.
   */
  deadlineMs: 20_000,
  /**
   * A lookup that failed for now (timeout, SERVFAIL, unreachable server) is answered from memory for
   * this long before it is asked again. RFC 2308 §7.1 allows keeping a server failure up to five
   * minutes. Without it a dead resolver costs every message its full timeout; with it, only the
   * first of a burst pays.
   */
  failureMemoMs: 30_000,
  /**
   * Until the resolver has answered anything (just after start), a check waits at most this long for
   * one lookup; the lookup itself goes on and its answer is cached. A resolver that is not there at
   * all (a silent address) would otherwise hold every message of the first burst for its whole
   * timeout (2 x 2.5 s); one that works has answered the start-up probe long before the first mail.
   */
  coldLookupMs: 1_000,
  /** Failed lookups remembered at once (LRU beyond): random names cannot grow the memo without bound. */
  failureMemoEntries: 10_000,
  /**
   * DKIM-Signature fields verified per message (RFC 6376 §6.1: verifiers MAY limit them). Each may
   * need a DNS lookup and a body hash of its own: a thousand signatures would be a thousand lookups
   * and a thousand passes over a 25 MB body. The rest get `dkim=policy`.
   */
  maxSignatures: 10,
  /**
   * Header fields one DKIM-Signature or ARC-Message-Signature may name in h=. Finding each named
   * field is a scan of the header (mailauth), so h= length times header count is the CPU cost: a
   * 50,000-name h= over 5,000 header fields is 2.5e8 steps. Real signers name 10 to 40.
   */
  maxSignedFields: 1_000,
  /** Header fields a message may have for its signatures to be checked (the other factor above). */
  maxHeaderFields: 10_000,
  /**
   * Largest RSA key accepted, in bits. RFC 8301 §3.1: verifiers MUST handle 1024 to 4096 bits and
   * MAY handle more; past 8192 a key is a way to make us spend CPU, not a security choice.
   */
  maxKeyBits: 8_192,
  /** RSA keys shorter than this fail (RFC 8301 §3.1: 1024 bits at least). */
  minKeyBits: 1_024,
  /** SPF checks one session may have running at once (a MAIL FROM/RSET loop cannot start thousands). */
  spfPerSession: 2,
  /** SPF results one session remembers (by client, HELO and sender): many messages, one evaluation. */
  spfMemoPerSession: 8,
} as const;
