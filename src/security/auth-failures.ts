/**
 * A progressive delay for failed logins, per client address, shared by every protocol that checks
 * passwords (POP3 now; IMAP and SMTP AUTH later). The first failure costs nothing (people mistype);
 * each further one from the same address doubles the wait: base, 2·base, 4·base… up to a cap.
 * Slowing the answer, rather than refusing, keeps an online guesser to a handful of tries a minute
 * without letting an attacker lock a real user out of their account.
 *
 * Memory is bounded: entries expire after a quiet window and the table holds at most `maxTracked`
 * addresses (the oldest are dropped first), so a flood from many addresses cannot grow it.
 */

export interface AuthFailuresOptions {
  /** Delay after the second failure; doubles with each further one. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A failure older than this is forgotten: the count restarts. */
  windowMs?: number;
  maxTracked?: number;
}

interface Entry {
  failures: number;
  lastFailure: number;
  /** The last login name tried: logged by callers to tell password guessing from a user's typo. */
  lastLogin: string;
}

export class AuthFailures {
  readonly #base: number;
  readonly #max: number;
  readonly #window: number;
  readonly #maxTracked: number;
  /** Insertion-ordered: re-inserting on every failure keeps the most recently active at the end. */
  readonly #entries = new Map<string, Entry>();

  constructor(options: AuthFailuresOptions = {}) {
    this.#base = options.baseDelayMs ?? 1000;
    this.#max = options.maxDelayMs ?? 10_000;
    this.#window = options.windowMs ?? 15 * 60_000;
    this.#maxTracked = options.maxTracked ?? 10_000;
  }

  /** How long to wait before answering the next failed login from `address`. */
  delayFor(address: string): number {
    const failures = this.#current(address)?.failures ?? 0;
    if (failures === 0) return 0;
    return Math.min(this.#max, this.#base * 2 ** Math.min(failures - 1, 30));
  }

  /** Counts a failure; returns how many the address has made within the window. */
  recordFailure(address: string, login: string): number {
    const previous = this.#current(address);
    const entry = { failures: (previous?.failures ?? 0) + 1, lastFailure: Date.now(), lastLogin: login };
    this.#entries.delete(address);
    this.#entries.set(address, entry);
    if (this.#entries.size > this.#maxTracked) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return entry.failures;
  }

  /** A correct password from the address: it is not guessing, forget its failures. */
  recordSuccess(address: string): void {
    this.#entries.delete(address);
  }

  #current(address: string): Entry | undefined {
    const entry = this.#entries.get(address);
    if (entry && Date.now() - entry.lastFailure > this.#window) {
      this.#entries.delete(address);
      return undefined;
    }
    return entry;
  }
}
