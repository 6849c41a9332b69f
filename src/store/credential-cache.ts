/**
 * Recently verified logins, so that a client that logs in again and again with the same password (a
 * phone checking mail every minute, a POP3 poller) costs a lookup instead of an scrypt derivation
 * (34 ms of CPU each, on purpose). Dovecot's auth cache is the model (auth_cache_ttl,
 * auth_cache_size); unlike it, only successes are kept.
 *
 * What is kept never holds the password or anything that recovers it without the key: an account's
 * entry is HMAC-SHA256(key, account id, stored hash, password) under a key drawn at random when the
 * process starts and never written anywhere, so it means nothing outside this process and nothing
 * after a restart. It lives in memory only. A login's digest is compared with it in constant time.
 *
 * When is an entry used: the account's row is read on every login, and the entry is looked up with
 * the hash stored in that row. A changed password (a new hash, with a new salt) therefore never
 * finds the old entry, even if the change came from another process; a disabled or deleted account
 * is refused from its row before the cache is consulted. On top, the store drops an account's entry
 * when it publishes that the account changed or went (`apply()`), so they do not linger in memory.
 * A wrong password has a different HMAC, never matches, and takes the full check (and its counting
 * and delays, src/security/) as before.
 *
 * Bounded in time and size (CREDENTIAL_CACHE_DEFAULTS): an entry is good for `ttlMs` after the
 * full check that made it, and at most `maxEntries` are kept (the least recently used go first).
 */
import type { Buffer } from "node:buffer";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { withDefaults } from "../options.ts";
import type { Change } from "./changes.ts";

export const CREDENTIAL_CACHE_DEFAULTS = {
  /**
   * Entries kept at most (one per account). Only a correct password makes one, so there is one per
   * account in use at most; the bound keeps a very large installation from holding one per account
   * forever.
   */
  maxEntries: 10_000,
  /**
   * How long a full check is trusted. Dovecot's default auth_cache_ttl is one hour; 15 minutes bounds
   * how long a password that leaked from memory some other way stays usable without its hash.
   */
  ttlMs: 15 * 60_000,
} as const;

export interface CredentialCacheOptions {
  maxEntries?: number;
  ttlMs?: number;
  /** The clock (epoch ms); tests pass one they move forward. */
  now?: () => number;
}

interface Entry {
  /** HMAC-SHA256(key, account id, stored hash, password) of the last correct password. */
  digest: Buffer;
  expiresAt: number;
}

export class CredentialCache {
  readonly #key = randomBytes(32);
  /** By account id, least recently used first. One entry per account: it has one password. */
  readonly #entries = new Map<number, Entry>();
  readonly #options: Required<CredentialCacheOptions>;

  constructor(options: CredentialCacheOptions = {}) {
    this.#options = withDefaults<Required<CredentialCacheOptions>>(
      { ...CREDENTIAL_CACHE_DEFAULTS, now: Date.now },
      options,
    );
  }

  /** Entries held now (expired ones included until they are next looked at). */
  get size(): number {
    return this.#entries.size;
  }

  #digest(accountId: number, storedHash: string, password: string): Buffer {
    // Neither the id nor a stored hash can contain NUL, so the fields cannot run into each other.
    return createHmac("sha256", this.#key).update(`${accountId}\0${storedHash}\0${password}`).digest();
  }

  /** Whether this password was verified against this stored hash of this account within the TTL. */
  has(accountId: number, storedHash: string, password: string): boolean {
    const entry = this.#entries.get(accountId);
    if (!entry) return false;
    if (entry.expiresAt <= this.#options.now()) {
      this.#entries.delete(accountId);
      return false;
    }
    // Constant time: how far a guess's digest matches the right one must not show in the timing.
    if (!timingSafeEqual(entry.digest, this.#digest(accountId, storedHash, password))) return false;
    // Most recently used last; the expiry stays that of the full check.
    this.#entries.delete(accountId);
    this.#entries.set(accountId, entry);
    return true;
  }

  /** Records a successful full check (replacing what the account had). */
  add(accountId: number, storedHash: string, password: string): void {
    this.#entries.delete(accountId);
    this.#entries.set(accountId, {
      digest: this.#digest(accountId, storedHash, password),
      expiresAt: this.#options.now() + this.#options.ttlMs,
    });
    while (this.#entries.size > this.#options.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** Drops the account's entry. */
  forget(accountId: number): void {
    this.#entries.delete(accountId);
  }

  /** Called by the store for every committed change: an account changed (password, disabled) or went. */
  apply(change: Change): void {
    if (change.kind === "account-updated" || change.kind === "account-deleted") this.forget(change.accountId);
  }
}
