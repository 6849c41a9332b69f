/**
 * Failed logins, shared by every protocol that checks passwords (SMTP AUTH, POP3, IMAP), counted
 * per key: the client address (`clientAddressKey()`) and the account the login names
 * (`accountKey()`). Two defences grow from the counts:
 *
 * - A progressive delay. The first failure costs nothing (people mistype); each further one doubles
 *   the wait: base, 2·base, 4·base… up to a cap. A caller waits the longest delay of its keys, so
 *   neither one host guessing many accounts nor many hosts guessing one account get more than a
 *   handful of tries a minute.
 * - A temporary lockout. After `lockoutAfter` failures within the window from one address (or
 *   `accountLockoutAfter` against one account), the key is locked for `lockoutMs`: its logins are
 *   refused even with the right password, with the same failure reply after the same delay, so the
 *   guesser cannot tell. The password is not even checked, which also saves the CPU of a hash.
 *   Logged once per lockout as `auth.locked_out`.
 *
 * A correct password forgets the client address's failures, never an account's (a guesser elsewhere
 * must not be reset by the owner logging in) and never a running lockout.
 *
 * Memory is bounded: entries expire after a quiet window (or when their lockout ends) and the table
 * holds at most `maxTracked` keys (the least recently failed are dropped first), so a flood from many
 * addresses cannot grow it.
 */
import type { Logger } from "../log.ts";

export interface AuthFailuresOptions {
  /** Delay after the second failure; doubles with each further one. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A failure older than this is forgotten: the count restarts. */
  windowMs?: number;
  maxTracked?: number;
  /** Failures from one client address, within the window, that lock it out. 0: never. */
  lockoutAfter?: number;
  /** Failures against one account, within the window, that lock it out (from everywhere). 0: never. */
  accountLockoutAfter?: number;
  /** How long a lockout lasts. */
  lockoutMs?: number;
  /** Where `auth.locked_out` goes. */
  log?: Logger;
}

/** The defaults, for documentation and for tests that start from them. */
export const AUTH_FAILURE_DEFAULTS = {
  baseDelayMs: 1000,
  maxDelayMs: 10_000,
  windowMs: 15 * 60_000,
  maxTracked: 10_000,
  lockoutAfter: 10,
  accountLockoutAfter: 20,
  lockoutMs: 15 * 60_000,
} as const;

const ACCOUNT_PREFIX = "account:";

/**
 * The key an account's failures are counted under: the login as accountAuthenticate() reads it
 * (trimmed, lower-case, a bare local part taken in the primary domain). SMTP AUTH builds the same.
 */
export function accountKey(login: string, primaryDomain: string): string {
  const name = login.trim().toLowerCase();
  return `${ACCOUNT_PREFIX}${name.includes("@") ? name : `${name}@${primaryDomain.toLowerCase()}`}`;
}

interface Entry {
  failures: number;
  lastFailure: number;
  /** The last login name tried: logged, to tell password guessing from a user's typo. */
  lastLogin: string;
  /** Set while the key is locked out (epoch ms). */
  lockedUntil?: number;
}

type Keys = string | readonly string[];

/**
 * Account keys and login names come from the client: a 64 KB "login" must not cost 64 KB per table
 * entry. No address is longer than 254 octets (RFC 5321 §4.5.3.1.3), so the cut changes no real key.
 */
const MAX_KEY_LENGTH = 330;
const bounded = (text: string): string =>
  text.length > MAX_KEY_LENGTH ? text.slice(0, MAX_KEY_LENGTH) : text;

const asList = (keys: Keys): readonly string[] => (typeof keys === "string" ? [keys] : keys).map(bounded);

export class AuthFailures {
  readonly #base: number;
  readonly #max: number;
  readonly #window: number;
  readonly #maxTracked: number;
  readonly #lockoutAfter: number;
  readonly #accountLockoutAfter: number;
  readonly #lockoutMs: number;
  readonly #log: Logger | undefined;
  /** Insertion-ordered: re-inserting on every failure keeps the most recently active at the end. */
  readonly #entries = new Map<string, Entry>();

  constructor(options: AuthFailuresOptions = {}) {
    const d = AUTH_FAILURE_DEFAULTS;
    this.#base = options.baseDelayMs ?? d.baseDelayMs;
    this.#max = options.maxDelayMs ?? d.maxDelayMs;
    this.#window = options.windowMs ?? d.windowMs;
    this.#maxTracked = options.maxTracked ?? d.maxTracked;
    this.#lockoutAfter = options.lockoutAfter ?? d.lockoutAfter;
    this.#accountLockoutAfter = options.accountLockoutAfter ?? d.accountLockoutAfter;
    this.#lockoutMs = options.lockoutMs ?? d.lockoutMs;
    this.#log = options.log;
  }

  /** How long to wait before answering the next failed login: the longest delay of `keys`. */
  delayFor(keys: Keys): number {
    let delay = 0;
    for (const key of asList(keys)) {
      const failures = this.#current(key)?.failures ?? 0;
      if (failures > 0) delay = Math.max(delay, this.#base * 2 ** Math.min(failures - 1, 30));
    }
    return Math.min(this.#max, delay);
  }

  /** Whether any of `keys` is locked out: its login must fail whatever the password. */
  isLockedOut(keys: Keys): boolean {
    return asList(keys).some((key) => this.#current(key)?.lockedUntil !== undefined);
  }

  /**
   * Counts a failure under every key; returns how many the first key (by convention the client
   * address) has made within the window. Reaching a threshold starts a lockout, logged once.
   */
  recordFailure(keys: Keys, login: string): number {
    const counts = asList(keys).map((key) => this.#count(key, login));
    return counts[0] ?? 0;
  }

  /**
   * A correct password from the client address: it is not guessing, forget its failures. A running
   * lockout stays (it ends on its own), so logging in to one's own account cannot lift it.
   */
  recordSuccess(address: string): void {
    const key = bounded(address);
    if (this.#current(key)?.lockedUntil === undefined) this.#entries.delete(key);
  }

  #count(key: string, login: string): number {
    const previous = this.#current(key);
    const now = Date.now();
    const entry: Entry = {
      failures: (previous?.failures ?? 0) + 1,
      lastFailure: now,
      lastLogin: bounded(login),
      lockedUntil: previous?.lockedUntil,
    };
    const account = key.startsWith(ACCOUNT_PREFIX);
    const threshold = account ? this.#accountLockoutAfter : this.#lockoutAfter;
    if (entry.lockedUntil === undefined && threshold > 0 && entry.failures >= threshold) {
      entry.lockedUntil = now + this.#lockoutMs;
      this.#log?.warn("auth.locked_out", {
        key,
        kind: account ? "account" : "address",
        failures: entry.failures,
        lockedForMs: this.#lockoutMs,
        login: bounded(login),
      });
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#maxTracked) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return entry.failures;
  }

  #current(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const now = Date.now();
    // A lockout holds the entry for its whole length; when it ends the count starts afresh.
    const expired =
      entry.lockedUntil !== undefined ? now >= entry.lockedUntil : now - entry.lastFailure > this.#window;
    if (expired) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
