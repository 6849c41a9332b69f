/**
 * Answers kept for their TTL (RFC 1035 §3.2.1, RFC 2181 §8) and negative answers for the SOA
 * minimum (RFC 2308 §5), in a least-recently-used map bounded by entries and by bytes. Temporary
 * errors are never cached: the next lookup asks again. Times come from `now()` (milliseconds), so
 * tests can move the clock instead of sleeping.
 */
import { withDefaults } from "../options.ts";
import { DNS_LIMITS } from "./limits.ts";
import type { DnsResult } from "./types.ts";

type Cacheable = Exclude<DnsResult<unknown>, { kind: "temperror" } | { kind: "badname" }>;

interface Entry {
  result: Cacheable;
  expiresAt: number;
  size: number;
}

export interface CacheOptions {
  maxEntries?: number;
  maxBytes?: number;
  now?: () => number;
}

export class DnsCache {
  readonly #entries = new Map<string, Entry>();
  readonly #options: Required<CacheOptions>;
  #bytes = 0;

  constructor(options: CacheOptions = {}) {
    const defaults = { maxEntries: DNS_LIMITS.cacheEntries, maxBytes: DNS_LIMITS.cacheBytes, now: Date.now };
    this.#options = withDefaults<Required<CacheOptions>>(defaults, options);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached result with the TTL that is left, or undefined. */
  get(key: string): Cacheable | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const left = entry.expiresAt - this.#options.now();
    if (left <= 0) {
      this.#delete(key, entry);
      return undefined;
    }
    // Most recently used goes to the end of the map's order.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return { ...entry.result, ttl: Math.ceil(left / 1000) };
  }

  /** Keeps a result for its TTL, clamped (DNS_LIMITS); negative answers without an SOA are not kept. */
  set(key: string, result: DnsResult<unknown>): void {
    if (result.kind === "temperror" || result.kind === "badname") return;
    let ttl: number;
    if (result.kind === "ok") ttl = Math.min(Math.max(result.ttl, DNS_LIMITS.minTtl), DNS_LIMITS.maxTtl);
    else if (result.ttl <= 0)
      return; // RFC 2308 §5: no SOA, no negative caching
    else ttl = Math.min(result.ttl, DNS_LIMITS.maxNegativeTtl);
    const size = key.length + sizeOf(result);
    if (size > this.#options.maxBytes) return;
    const old = this.#entries.get(key);
    if (old) this.#delete(key, old);
    const frozen = Object.freeze({
      ...result,
      ...(result.kind === "ok" ? { records: Object.freeze([...result.records]) } : {}),
    });
    this.#entries.set(key, { result: frozen, expiresAt: this.#options.now() + ttl * 1000, size });
    this.#bytes += size;
    this.#evict();
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #delete(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= entry.size;
  }

  /** Drops the least recently used entries until both bounds hold. */
  #evict(): void {
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.#options.maxEntries && this.#bytes <= this.#options.maxBytes) return;
      this.#delete(key, entry);
    }
  }
}

/** A rough size of a result in bytes: what its strings and byte arrays hold, plus a little per record. */
function sizeOf(result: Cacheable): number {
  if (result.kind !== "ok") return 64;
  let size = 64;
  for (const record of result.records) {
    size += 32;
    if (typeof record === "string") size += record.length;
    else if (record && typeof record === "object")
      for (const value of Object.values(record))
        size += typeof value === "string" ? value.length : value instanceof Uint8Array ? value.length : 8;
  }
  return size;
}
