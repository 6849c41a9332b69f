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
 * Attempts count when they start (`begin()`), not when they fail: a password check takes tens of
 * milliseconds, and twenty guesses sent in parallel used to be in flight before the first failure
 * was counted, so all twenty got past a limit of ten. An attempt in flight holds a slot under both
 * keys; when the slots are full the next attempt is refused like a locked-out one. The slot becomes
 * a failure, or is given back on success.
 *
 * The account lockout would let anyone who knows an address keep its owner out. So a correct
 * password makes the client address "known" for that account (a bounded, expiring list per
 * account), and the account's lockout never applies to a known address: the owner's usual
 * addresses keep working while guessers elsewhere are refused. The address's own lockout still
 * applies to it. Known addresses live in memory: after a restart the owner is known again from the
 * first login.
 *
 * A correct password forgets the client address's failures, never an account's (a guesser elsewhere
 * must not be reset by the owner logging in) and never a running lockout. The operator can list the
 * keys (`entries()`) and lift one (`clear()`), through GET/DELETE /api/v1/lockouts.
 *
 * Memory is bounded: entries expire after a quiet window (or when their lockout ends) and the table
 * holds at most `maxTracked` keys (the least recently active are dropped first), so a flood from many
 * addresses cannot grow it; the known-address lists are bounded per account and in number the same way.
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
  /** Client addresses remembered per account after a correct password (the most recent ones). */
  knownAddressesPerAccount?: number;
  /** How long an address stays known after its last correct password. */
  knownAddressMs?: number;
  /** Where `auth.locked_out` and `auth.lockout_cleared` go. */
  log?: Logger;
  /**
   * The clock (epoch ms) that windows, lockouts and known addresses run on. Date.now by default;
   * tests pass one they move forward, instead of waiting a lockout out in real time.
   */
  now?: () => number;
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
  knownAddressesPerAccount: 16,
  knownAddressMs: 30 * 86_400_000,
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
  /** Attempts started and not finished: they count against the thresholds like failures. */
  inFlight: number;
  /** The last attempt's start or failure (epoch ms): the window runs from here. */
  lastAttempt: number;
  /** The last login name tried: logged, to tell password guessing from a user's typo. */
  lastLogin: string;
  /** Set while the key is locked out (epoch ms). */
  lockedUntil?: number;
}

/** One key as the operator sees it (GET /api/v1/lockouts); times in epoch milliseconds. */
export interface AuthFailureEntry {
  key: string;
  kind: "address" | "account";
  failures: number;
  inFlight: number;
  /** While locked out: when the lockout ends; otherwise null. */
  lockedUntil: number | null;
  /** When the entry is forgotten: the lockout's end, or the window after the last attempt. */
  expiresAt: number;
  lastAttemptAt: number;
  lastLogin: string;
}

/** A failed login as listeners hear of it. */
export interface LoginFailure {
  protocol: string;
  /** The client's address key. */
  client: string;
  login: string;
  /** Refused without a look at the password: the client or account is locked out (or its slots full). */
  lockedOut: boolean;
}

/** A login attempt holding its slots; settle it exactly once (later calls do nothing). */
export interface Attempt {
  /** The password was right: the address's failures are forgotten and it becomes known for the account. */
  succeeded(): void;
  /** The password was wrong: a failure under both keys. Returns the delay to wait and the address's count. */
  failed(): { delayMs: number; failures: number };
  /** No answer could be given (the store failed): the slots are given back, nothing is counted. */
  abandoned(): void;
}

export type AttemptStart =
  | { allowed: true; attempt: Attempt }
  /** Locked out, or every slot taken by attempts in flight: answer as a failure after `delayMs`. */
  | { allowed: false; delayMs: number };

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
  readonly #knownPerAccount: number;
  readonly #knownMs: number;
  readonly #log: Logger | undefined;
  readonly #now: () => number;
  /** Insertion-ordered: re-inserting on every attempt keeps the most recently active at the end. */
  readonly #entries = new Map<string, Entry>();
  /** Account key -> client address -> last correct password (epoch ms); both insertion-ordered by recency. */
  readonly #known = new Map<string, Map<string, number>>();
  /** Issue 16: told of every failed login (the auth.failed event); see listen(). */
  readonly #listeners = new Set<(failure: LoginFailure) => void>();

  constructor(options: AuthFailuresOptions = {}) {
    const d = AUTH_FAILURE_DEFAULTS;
    this.#base = options.baseDelayMs ?? d.baseDelayMs;
    this.#max = options.maxDelayMs ?? d.maxDelayMs;
    this.#window = options.windowMs ?? d.windowMs;
    this.#maxTracked = options.maxTracked ?? d.maxTracked;
    this.#lockoutAfter = options.lockoutAfter ?? d.lockoutAfter;
    this.#accountLockoutAfter = options.accountLockoutAfter ?? d.accountLockoutAfter;
    this.#lockoutMs = options.lockoutMs ?? d.lockoutMs;
    this.#knownPerAccount = options.knownAddressesPerAccount ?? d.knownAddressesPerAccount;
    this.#knownMs = options.knownAddressMs ?? d.knownAddressMs;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Starts a login attempt from `client` (an address key) against `account` (an accountKey()), before
   * any password is looked at. Refused when the address is locked out or its slots are full, or when
   * the account is (unless the address is known for the account); otherwise the attempt holds a slot
   * under both keys until it is settled.
   */
  begin(input: { client: string; account: string; login: string }): AttemptStart {
    const client = bounded(input.client);
    const account = bounded(input.account);
    const known = this.#isKnown(account, client);
    const refused =
      this.#blocks(this.#current(client), this.#lockoutAfter) ||
      (!known && this.#blocks(this.#current(account), this.#accountLockoutAfter));
    if (refused) return { allowed: false, delayMs: this.#delay([client, account], 0) };
    this.#reserve(client, input.login);
    this.#reserve(account, input.login);
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      this.#release(client);
      this.#release(account);
      return true;
    };
    return {
      allowed: true,
      attempt: {
        succeeded: () => {
          if (!settle()) return;
          this.#forgetFailures(client);
          this.#remember(account, client);
        },
        failed: () => {
          // As if this failure came after every other attempt in flight: parallel guesses wait too.
          const delayMs = this.#delay([client, account], 1);
          if (!settle()) return { delayMs: 0, failures: 0 };
          const failures = this.#count(client, input.login);
          this.#count(account, input.login);
          return { delayMs, failures };
        },
        abandoned: () => {
          settle();
        },
      },
    };
  }

  /** How long to wait before answering the next failed login: the longest delay of `keys`. */
  delayFor(keys: Keys): number {
    return this.#delay(asList(keys), 0);
  }

  /** Whether any of `keys` is locked out: its login must fail whatever the password. */
  isLockedOut(keys: Keys): boolean {
    return asList(keys).some((key) => this.#current(key)?.lockedUntil !== undefined);
  }

  /**
   * Counts a failure under every key without an attempt in flight; returns how many the first key
   * has made within the window. Reaching a threshold starts a lockout, logged once.
   */
  recordFailure(keys: Keys, login: string): number {
    const counts = asList(keys).map((key) => this.#count(key, login));
    return counts[0] ?? 0;
  }

  /** Calls `listener` with every failed login reported from now on; returns the unsubscribe. */
  listen(listener: (failure: LoginFailure) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** A login failed (wrong password, unknown account, or refused while locked out): tells the listeners. */
  reportFailure(failure: LoginFailure): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener({ ...failure, login: bounded(failure.login) });
      } catch {
        // A listener's failure must not change the login's answer.
      }
    }
  }

  /** Every key held now, least recently active first. */
  entries(): AuthFailureEntry[] {
    const out: AuthFailureEntry[] = [];
    for (const key of [...this.#entries.keys()]) {
      const entry = this.#current(key);
      if (!entry) continue;
      out.push({
        key,
        kind: key.startsWith(ACCOUNT_PREFIX) ? "account" : "address",
        failures: entry.failures,
        inFlight: entry.inFlight,
        lockedUntil: entry.lockedUntil ?? null,
        expiresAt: entry.lockedUntil ?? entry.lastAttempt + this.#window,
        lastAttemptAt: entry.lastAttempt,
        lastLogin: entry.lastLogin,
      });
    }
    return out;
  }

  /** The operator lifts a key: its lockout ends and its failures are forgotten. False if not held. */
  clear(key: string): boolean {
    const entry = this.#current(bounded(key));
    if (!entry) return false;
    this.#entries.delete(bounded(key));
    this.#log?.warn("auth.lockout_cleared", {
      key: bounded(key),
      failures: entry.failures,
      wasLocked: entry.lockedUntil !== undefined,
    });
    return true;
  }

  /** Locked out, or the failures and attempts in flight have reached the threshold. */
  #blocks(entry: Entry | undefined, threshold: number): boolean {
    if (!entry) return false;
    if (entry.lockedUntil !== undefined) return true;
    return threshold > 0 && entry.failures + entry.inFlight >= threshold;
  }

  /** The longest delay of `keys`, counting attempts in flight (less `self`, the caller's own) as failures. */
  #delay(keys: readonly string[], self: number): number {
    let delay = 0;
    for (const key of keys) {
      const entry = this.#current(key);
      const failures = entry ? entry.failures + Math.max(0, entry.inFlight - self) : 0;
      if (failures > 0) delay = Math.max(delay, this.#base * 2 ** Math.min(failures - 1, 30));
    }
    return Math.min(this.#max, delay);
  }

  #reserve(key: string, login: string): void {
    const previous = this.#current(key);
    this.#put(key, {
      failures: previous?.failures ?? 0,
      inFlight: (previous?.inFlight ?? 0) + 1,
      lastAttempt: this.#now(),
      lastLogin: bounded(login),
      lockedUntil: previous?.lockedUntil,
    });
  }

  /** Gives an attempt's slot back (the entry may have been dropped or cleared meanwhile). */
  #release(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    entry.inFlight = Math.max(0, entry.inFlight - 1);
    if (entry.inFlight === 0 && entry.failures === 0 && entry.lockedUntil === undefined)
      this.#entries.delete(key);
  }

  /**
   * A correct password from the client address: it is not guessing, forget its failures. A running
   * lockout stays (it ends on its own), so logging in to one's own account cannot lift it.
   */
  #forgetFailures(client: string): void {
    const entry = this.#current(client);
    if (!entry || entry.lockedUntil !== undefined) return;
    if (entry.inFlight === 0) this.#entries.delete(client);
    else entry.failures = 0;
  }

  #count(key: string, login: string): number {
    const previous = this.#current(key);
    const now = this.#now();
    const entry: Entry = {
      failures: (previous?.failures ?? 0) + 1,
      inFlight: previous?.inFlight ?? 0,
      lastAttempt: now,
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
    this.#put(key, entry);
    return entry.failures;
  }

  /** Stores `entry` as the most recently active, dropping the least recent past `maxTracked`. */
  #put(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#maxTracked) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  #current(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const now = this.#now();
    // A lockout holds the entry for its whole length; when it ends the count starts afresh. An
    // attempt in flight keeps it too, so its slot cannot vanish under it.
    const expired =
      entry.lockedUntil !== undefined
        ? now >= entry.lockedUntil
        : entry.inFlight === 0 && now - entry.lastAttempt > this.#window;
    if (expired) {
      if (entry.inFlight === 0) this.#entries.delete(key);
      else {
        // The lockout ended while attempts were in flight: keep their slots, restart the count.
        entry.failures = 0;
        entry.lockedUntil = undefined;
        return entry;
      }
      return undefined;
    }
    return entry;
  }

  #isKnown(account: string, client: string): boolean {
    const seen = this.#known.get(account)?.get(client);
    return seen !== undefined && this.#now() - seen <= this.#knownMs;
  }

  #remember(account: string, client: string): void {
    if (this.#knownPerAccount <= 0) return;
    const addresses = this.#known.get(account) ?? new Map<string, number>();
    addresses.delete(client);
    addresses.set(client, this.#now());
    if (addresses.size > this.#knownPerAccount) {
      const oldest = addresses.keys().next().value;
      if (oldest !== undefined) addresses.delete(oldest);
    }
    this.#known.delete(account);
    this.#known.set(account, addresses);
    if (this.#known.size > this.#maxTracked) {
      const oldest = this.#known.keys().next().value;
      if (oldest !== undefined) this.#known.delete(oldest);
    }
  }
}
