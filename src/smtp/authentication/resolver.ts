/**
 * The DNS lookups of the inbound checks: our resolver in mailauth's shape (src/dns/mailauth-resolver.ts),
 * with two bounds of its own.
 *
 * - Failures for now (timeout, SERVFAIL, an unreachable server) are remembered for a short while
 *   (AUTH_LIMITS.failureMemoMs; RFC 2308 §7.1 allows five minutes), shared by every message, and
 *   refreshed in the background after that: a dead or silent resolver costs the first messages to
 *   meet it one timeout, not every message.
 * - Each message's checks get a resolver with a deadline (`forCheck`): a lookup asked after it fails
 *   at once, and one still waiting at it is cut off (ETIMEOUT, which mailauth reports as temperror).
 *   The lookup itself runs on and lands in the cache for the next message.
 * - Until the resolver has answered anything, it is on probation: a check waits at most
 *   AUTH_LIMITS.coldLookupMs for a lookup (from when that lookup was first asked), and once a
 *   lookup (or the start-up probe) went that long unanswered the resolver counts as not there:
 *   checks stop waiting for it at all (the lookups still go out, so the first answer ends this).
 *   RFC 2308 §7.2 lets a resolver remember a dead server for up to five minutes.
 */
import { type DnsResolver, mailauthResolver } from "../../dns/mod.ts";
import { AUTH_LIMITS } from "./limits.ts";

export type LookupFunction = (name: string, rrtype: string) => Promise<unknown>;

/** node:dns codes that mean "could not find out now" (see mailauth-resolver.ts): worth remembering. */
const TEMPORARY = new Set(["ETIMEOUT", "ESERVFAIL", "EREFUSED", "EBADRESP", "ECONNREFUSED"]);

interface Failure {
  code: string;
  message: string;
  until: number;
  /** A background lookup is asking again (the memo ran out). */
  refreshing?: boolean;
}

export interface AuthResolverOptions {
  /** AUTH_LIMITS.coldLookupMs; tests change it. */
  coldLookupMs?: number;
  memoMs?: number;
  memoEntries?: number;
  now?: () => number;
}

/**
 * A node:dns-style error. Without a stack: a failure answered from the memo is made for every message
 * of a burst, several times each, and capturing a stack was a measurable part of a message's cost.
 */
function lookupError(code: string, message: string): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return Object.assign(new Error(message), { code });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export class AuthResolver {
  readonly #base: LookupFunction;
  readonly #failures = new Map<string, Failure>();
  readonly #memoMs: number;
  readonly #memoEntries: number;
  readonly #now: () => number;
  readonly #coldLookupMs: number;
  /** The resolver has answered something (records, NXDOMAIN, NODATA): it is there. */
  #answered = false;
  /** Not answered yet, and a lookup went unanswered for coldLookupMs: do not wait for it. */
  #silent = false;
  /** When each lookup now out was first asked (for the probation's wait). */
  readonly #asked = new Map<string, number>();

  constructor(dns: DnsResolver, options: AuthResolverOptions = {}) {
    this.#base = mailauthResolver(dns);
    this.#coldLookupMs = options.coldLookupMs ?? AUTH_LIMITS.coldLookupMs;
    this.#memoMs = options.memoMs ?? AUTH_LIMITS.failureMemoMs;
    this.#memoEntries = options.memoEntries ?? AUTH_LIMITS.failureMemoEntries;
    this.#now = options.now ?? Date.now;
  }

  /**
   * A lookup through the failure memo, without a deadline. A failure remembered is answered at once;
   * once it is older than the memo's lifetime it is still answered, for as long again, while one
   * lookup in the background asks anew (RFC 8767's serve-stale, for failures): a resolver that stays
   * dead costs one timeout when first seen, not one every 30 s; one that comes back is used again as
   * soon as that background lookup succeeds.
   */
  lookup(name: string, rrtype: string): Promise<unknown> {
    const key = `${rrtype.toUpperCase()} ${name.toLowerCase()}`;
    const failure = this.#failures.get(key);
    if (failure) {
      const now = this.#now();
      if (failure.until > now) return Promise.reject(lookupError(failure.code, failure.message));
      if (failure.until + this.#memoMs > now) {
        if (!failure.refreshing) {
          failure.refreshing = true;
          this.#ask(name, rrtype, key).then(
            () => this.#failures.delete(key),
            () => undefined,
          );
        }
        return Promise.reject(lookupError(failure.code, failure.message));
      }
      this.#failures.delete(key);
    }
    return this.#ask(name, rrtype, key);
  }

  /** Asks once, so that the first message need not be the one to find out whether DNS is there. */
  probe(name: string): void {
    this.prefetch(name, "TXT");
    const timer = setTimeout(() => {
      if (!this.#answered) this.#silent = true;
    }, this.#coldLookupMs);
    timer.unref?.();
  }

  #ask(name: string, rrtype: string, key: string): Promise<unknown> {
    if (!this.#asked.has(key)) this.#asked.set(key, this.#now());
    const settled = () => this.#asked.delete(key);
    return this.#base(name, rrtype)
      .finally(settled)
      .then(
        (records) => {
          this.#answered = true;
          this.#silent = false;
          // A check that gave up on this lookup left a failure behind: the answer replaces it.
          this.#failures.delete(key);
          return records;
        },
        (error: unknown) => {
          const given = (error as { code?: unknown }).code;
          if (typeof given !== "string") throw error;
          // A name that cannot be asked (an empty label, a label over 63 octets: a d= of ".." say) has
          // no records, permanently; mailauth would read EBADNAME as a temporary failure of the key lookup.
          const code = given === "EBADNAME" ? "ENOTFOUND" : given;
          // node:dns's wording without our resolver's details (server addresses end up in stored headers).
          const message = `query${rrtype.toUpperCase()} ${code} ${name}`;
          if (TEMPORARY.has(code)) this.#remember(key, code, message);
          // NXDOMAIN and NODATA are answers: the resolver is there.
          else if (given === "ENOTFOUND" || given === "ENODATA") {
            this.#answered = true;
            this.#silent = false;
          }
          throw lookupError(code, message);
        },
      );
  }

  /** Starts a lookup whose answer a check will want soon (it is shared or cached by then); never rejects. */
  prefetch(name: string, rrtype: string): void {
    this.lookup(name, rrtype).catch(() => undefined);
  }

  /** The lookup function for one message's checks, cut off at `deadlineAt` (epoch ms). */
  forCheck(deadlineAt: number): LookupFunction {
    return (name, rrtype) => {
      const now = this.#now();
      const key = `${rrtype.toUpperCase()} ${name.toLowerCase()}`;
      if (deadlineAt - now <= 0)
        return Promise.reject(lookupError("ETIMEOUT", `query${rrtype} ETIMEOUT ${name} (deadline)`));
      const answer = this.lookup(name, rrtype);
      // The losing side must not surface as an unhandled rejection.
      answer.catch(() => undefined);
      let left = deadlineAt - now;
      if (!this.#answered) {
        // On probation: a resolver known to be silent is not waited for; else up to coldLookupMs
        // from when this lookup was first asked (a prefetch counts).
        left = this.#silent ? 0 : Math.min(left, (this.#asked.get(key) ?? now) + this.#coldLookupMs - now);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => {
            const message = `query${rrtype.toUpperCase()} ETIMEOUT ${name}`;
            // The next message asking the same must not wait for it again while it is still out:
            // remembered as failed until the lookup itself answers (or fails, and is remembered so).
            if (!this.#failures.has(key)) this.#remember(key, "ETIMEOUT", message);
            if (!this.#answered) this.#silent = true;
            reject(lookupError("ETIMEOUT", message));
          },
          Math.max(0, left),
        );
      });
      return Promise.race([answer, cut]).finally(() => clearTimeout(timer));
    };
  }

  #remember(key: string, code: string, message: string): void {
    this.#failures.delete(key);
    this.#failures.set(key, { code, message, until: this.#now() + this.#memoMs });
    // Oldest first in a Map's order: drop from the front until the bound holds.
    for (const old of this.#failures.keys()) {
      if (this.#failures.size <= this.#memoEntries) break;
      this.#failures.delete(old);
    }
  }
}
