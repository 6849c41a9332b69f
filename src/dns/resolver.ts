/**
 * The resolver every DNS lookup in Mailroom goes through: a stub resolver (RFC 1034 §5.3.1) that
 * asks the configured recursive servers over UDP, falls back to TCP on truncation (RFC 7766 §5),
 * retries and rotates servers on timeouts and server failures (RFC 1035 §4.2.1), caches by TTL
 * (cache.ts), and turns every outcome into a typed result. It never throws: a failure is a
 * `temperror` (RFC 7208 §2.6.6), never a crash and never an empty answer.
 *
 * Identical lookups in flight at the same time share one query.
 */
import { randomInt } from "node:crypto";
import type { Logger } from "../log.ts";
import { DnsCache } from "./cache.ts";
import { Gate } from "./gate.ts";
import { DNS_LIMITS } from "./limits.ts";
import { normalizeName, reverseName } from "./names.ts";
import { type Exchange, tcpExchange, udpExchange } from "./transport.ts";
import type {
  DnsResult,
  DnsServer,
  LookupOptions,
  MxRecord,
  RecordData,
  RecordType,
  SrvRecord,
  TlsaRecord,
} from "./types.ts";
import { encodeQuery, interpret, type Question, type Retry, readReply } from "./wire.ts";

export interface ResolverOptions {
  servers: readonly DnsServer[];
  log?: Logger;
  /** Per-try timeout (DNS_LIMITS.timeoutMs); tests shorten it. */
  timeoutMs?: number;
  /** Passes over the server list (DNS_LIMITS.rounds). */
  rounds?: number;
  /** Clock for the cache, in milliseconds (Date.now); tests move it instead of sleeping. */
  now?: () => number;
  maxInFlight?: number;
  maxWaiting?: number;
  cacheEntries?: number;
}

export class DnsResolver {
  readonly servers: readonly DnsServer[];
  readonly #log: Logger | undefined;
  readonly #timeoutMs: number;
  readonly #tries: number;
  readonly #cache: DnsCache;
  readonly #gate: Gate;
  readonly #pending = new Map<string, Promise<DnsResult<unknown>>>();
  readonly #closing = new AbortController();
  /** The server that answered last: asked first next time, so a dead first server costs one timeout, not one per lookup. */
  #preferred = 0;

  constructor(options: ResolverOptions) {
    this.servers = [...options.servers];
    this.#log = options.log;
    this.#timeoutMs = options.timeoutMs ?? DNS_LIMITS.timeoutMs;
    const rounds = options.rounds ?? DNS_LIMITS.rounds;
    this.#tries = Math.min(DNS_LIMITS.maxTries, Math.max(1, this.servers.length * rounds));
    this.#cache = new DnsCache({ now: options.now, maxEntries: options.cacheEntries });
    this.#gate = new Gate(
      options.maxInFlight ?? DNS_LIMITS.maxInFlight,
      options.maxWaiting ?? DNS_LIMITS.maxWaiting,
    );
  }

  /** Records of one type for a name (the generic lookup the typed ones below are made of). */
  resolve<T extends RecordType>(
    name: string,
    type: T,
    options: LookupOptions = {},
  ): Promise<DnsResult<RecordData[T]>> {
    const normal = normalizeName(name);
    if ("error" in normal) return Promise.resolve({ kind: "badname", detail: `${name}: ${normal.error}` });
    const dnssec = options.dnssec === true;
    const key = `${type} ${normal.name}${dnssec ? " +do" : ""}`;
    const cached = this.#cache.get(key);
    if (cached) return Promise.resolve(cached as DnsResult<RecordData[T]>);
    const pending = this.#pending.get(key);
    if (pending) return pending as Promise<DnsResult<RecordData[T]>>;
    const lookup = this.#lookup<T>(normal.name, type, dnssec)
      // A bug of ours (or of the codec) must still end as a temporary failure, not a rejection.
      .catch((error): DnsResult<RecordData[T]> => {
        this.#log?.error("dns.lookup_failed", { name: normal.name, type, error });
        return { kind: "temperror", cause: "malformed", detail: String(error) };
      })
      .then((result) => {
        this.#pending.delete(key);
        this.#cache.set(key, result);
        return result;
      });
    this.#pending.set(key, lookup);
    return lookup;
  }

  a(name: string): Promise<DnsResult<string>> {
    return this.resolve(name, "A");
  }

  aaaa(name: string): Promise<DnsResult<string>> {
    return this.resolve(name, "AAAA");
  }

  mx(name: string): Promise<DnsResult<MxRecord>> {
    return this.resolve(name, "MX");
  }

  /** Each record's strings joined into one (RFC 7208 §3.3). */
  txt(name: string): Promise<DnsResult<string>> {
    return this.resolve(name, "TXT");
  }

  /** PTR records of a name, or of an IP address (its in-addr.arpa / ip6.arpa name). */
  ptr(nameOrAddress: string): Promise<DnsResult<string>> {
    return this.resolve(reverseName(nameOrAddress) ?? nameOrAddress, "PTR");
  }

  cname(name: string): Promise<DnsResult<string>> {
    return this.resolve(name, "CNAME");
  }

  srv(name: string): Promise<DnsResult<SrvRecord>> {
    return this.resolve(name, "SRV");
  }

  /** TLSA for DANE (RFC 6698); `authenticated` on the result is the AD bit to trust or not. */
  tlsa(name: string, options: LookupOptions = {}): Promise<DnsResult<TlsaRecord>> {
    return this.resolve(name, "TLSA", options);
  }

  /** Stops: waiting and running lookups end with temperror "closed"; later ones too. */
  close(): void {
    this.#closing.abort();
    this.#gate.close();
    this.#cache.clear();
  }

  async #lookup<T extends RecordType>(
    name: string,
    type: T,
    dnssec: boolean,
  ): Promise<DnsResult<RecordData[T]>> {
    if (this.#closing.signal.aborted)
      return { kind: "temperror", cause: "closed", detail: "resolver closed" };
    if (this.servers.length === 0)
      return { kind: "temperror", cause: "network", detail: "no DNS servers configured" };
    if (!(await this.#gate.enter())) {
      const closed = this.#closing.signal.aborted;
      return closed
        ? { kind: "temperror", cause: "closed", detail: "resolver closed" }
        : { kind: "temperror", cause: "overload", detail: "too many DNS lookups waiting" };
    }
    try {
      const deadline = Date.now() + DNS_LIMITS.lookupBudgetMs;
      const failures: string[] = [];
      let last: Retry = { kind: "retry", cause: "timeout", detail: "no answer" };
      for (let i = 0; i < this.#tries; i++) {
        const index = (this.#preferred + i) % this.servers.length;
        const server = this.servers[index]!;
        const left = deadline - Date.now();
        if (left <= 0 || this.#closing.signal.aborted) break;
        const outcome = await this.#ask<T>(server, name, type, dnssec, left);
        if (outcome.kind !== "retry") {
          this.#preferred = index;
          return outcome;
        }
        last = outcome;
        failures.push(`${server.host}:${server.port} ${outcome.detail}`);
      }
      if (this.#closing.signal.aborted)
        return { kind: "temperror", cause: "closed", detail: "resolver closed" };
      const detail = `${type} ${name}: ${failures.join("; ") || last.detail}`;
      this.#log?.debug("dns.temperror", { name, type, cause: last.cause, detail });
      return { kind: "temperror", cause: last.cause, detail };
    } finally {
      this.#gate.leave();
    }
  }

  /** One server: UDP, then TCP when truncated, then once more without EDNS when the server wants that. */
  async #ask<T extends RecordType>(
    server: DnsServer,
    name: string,
    type: T,
    dnssec: boolean,
    budgetMs: number,
  ): Promise<DnsResult<RecordData[T]> | Retry> {
    let edns = true;
    for (let attempt = 0; attempt < 2; attempt++) {
      // RFC 5452 §9.2: a new random ID for every query.
      const q: Question = { id: randomInt(0, 65_536), name, type, dnssec, edns };
      const query = encodeQuery(q);
      const options = {
        timeoutMs: Math.min(this.#timeoutMs, budgetMs),
        signal: this.#closing.signal,
        read: (bytes: Buffer) => readReply(bytes, q),
      };
      let exchange: Exchange = await udpExchange(server, query, options);
      if (exchange.kind === "reply" && exchange.reply.kind === "truncated")
        exchange = await tcpExchange(server, query, options);
      if (exchange.kind === "timeout") return { kind: "retry", cause: "timeout", detail: "timed out" };
      if (exchange.kind === "network") return { kind: "retry", cause: "network", detail: exchange.detail };
      const reply = exchange.reply;
      if (reply.kind === "malformed") return { kind: "retry", cause: "malformed", detail: reply.detail };
      if (reply.kind === "truncated") return { kind: "retry", cause: "malformed", detail: "truncated" };
      const result = interpret<T>(reply.packet, q);
      if (result.kind === "retry" && result.withoutEdns && attempt === 0) {
        edns = false;
        continue;
      }
      return result;
    }
    return { kind: "retry", cause: "malformed", detail: "FORMERR" };
  }
}
