/**
 * The inbound defence (issue 14), protocol-free: block and allow lists, reverse DNS, HELO checks,
 * rate limits, greylisting, rspamd scans and learning, the built-in score. The SMTP listener on
 * port 25 calls into it from its hooks (src/smtp/defence/); main.ts builds one for the server.
 */
import type { ListZone } from "../config.ts";
import type { DnsResolver } from "../dns/mod.ts";
import type { Logger } from "../log.ts";
import { inNetwork } from "../security/plaintext-auth.ts";
import type { Store } from "../store/mod.ts";
import { addressListings, domainListings, type ListResult } from "./dnsbl.ts";
import { Greylister } from "./greylist.ts";
import { SpamLearner } from "./learner.ts";
import { RateCounter } from "./rate.ts";
import { type ReverseDns, reverseDns } from "./rdns.ts";
import { RspamdClient } from "./rspamd.ts";
import type { Thresholds } from "./score.ts";

export type { ListResult } from "./dnsbl.ts";
export type { GreylistDecision } from "./greylist.ts";
export { applyVerdict, type SpamView, spamViewOf, verdictParts } from "./headers.ts";
export { addressLiteral, forgedHelo, heloSymbols } from "./helo.ts";
export { SPAM_LIMITS } from "./limits.ts";
export type { ReverseDns } from "./rdns.ts";
export { RspamdUnavailable, type ScanEnvelope } from "./rspamd.ts";
export { authSymbols, builtinVerdict, type ConnectionSignals, connectionSymbols } from "./score.ts";
export * from "./verdict.ts";

export interface DefenceSettings {
  rspamd?: { url: string; password?: string | undefined; timeoutMs: number; failClosed: boolean };
  dnsbl: readonly ListZone[];
  rhsbl: readonly ListZone[];
  /** "reject": a listing refuses the client; "score": it adds its weight to the built-in score. */
  listAction: "reject" | "score";
  greetDelayMs: number;
  greylist: boolean;
  thresholds: Thresholds;
  /** Per client address and minute; 0 for no limit. */
  rateConnections: number;
  rateMessages: number;
  /** Clients here skip the defence altogether (MAILROOM_TRUSTED_NETWORKS, as Postfix's mynetworks). */
  trustedNetworks: readonly string[];
}

/** What the connect-time lookups found about the client address. */
export interface ClientFindings {
  dnsbl: ListResult[];
  rdns: ReverseDns;
}

export class SpamDefence {
  readonly settings: DefenceSettings;
  readonly log: Logger;
  readonly rspamd: RspamdClient | undefined;
  readonly greylister: Greylister | undefined;
  readonly #resolver: DnsResolver;
  readonly #learner: SpamLearner | undefined;
  readonly #connections: RateCounter;
  readonly #messages: RateCounter;

  constructor(options: {
    settings: DefenceSettings;
    resolver: DnsResolver;
    store: Store;
    log: Logger;
    now?: (() => number) | undefined;
  }) {
    const { settings, log } = options;
    this.settings = settings;
    this.log = log;
    this.#resolver = options.resolver;
    const clock = options.now ? { now: options.now } : {};
    this.#connections = new RateCounter(settings.rateConnections, clock);
    this.#messages = new RateCounter(settings.rateMessages, clock);
    if (settings.rspamd) {
      this.rspamd = new RspamdClient(settings.rspamd);
      this.#learner = new SpamLearner({ store: options.store, rspamd: this.rspamd, log });
    }
    if (settings.greylist) this.greylister = new Greylister({ store: options.store, log, ...clock });
  }

  start(): void {
    this.#learner?.start();
    this.greylister?.start();
  }

  async stop(): Promise<void> {
    this.greylister?.stop();
    await this.#learner?.stop();
  }

  /** Whether a client skips every check (a trusted network). */
  exempt(address: string): boolean {
    return this.settings.trustedNetworks.some((net) => inNetwork(address, net));
  }

  /** Counts a connection; false past MAILROOM_RATE_CONNECTIONS. */
  connectionAllowed(client: string): boolean {
    return this.#connections.hit(client);
  }

  /** Counts a message (a MAIL FROM); false past MAILROOM_RATE_MESSAGES. */
  messageAllowed(client: string): boolean {
    return this.#messages.hit(client);
  }

  /** The block/allow lists and the reverse DNS of a client address, asked in parallel. */
  async lookupClient(address: string): Promise<ClientFindings> {
    const [dnsbl, rdns] = await Promise.all([
      addressListings(this.#resolver, this.log, this.settings.dnsbl, address),
      reverseDns(this.#resolver, address),
    ]);
    return { dnsbl, rdns };
  }

  /** RHSBL listings of a domain (HELO name or MAIL FROM domain). */
  lookupDomain(domain: string): Promise<ListResult[]> {
    if (this.settings.rhsbl.length === 0) return Promise.resolve([]);
    return domainListings(this.#resolver, this.log, this.settings.rhsbl, domain);
  }

  /**
   * In reject mode, the block list that refuses this client: a listing in a zone of positive
   * weight, unless allow lists that also list it outweigh the block lists (a DNSWL entry wins).
   */
  blockedBy(results: readonly ListResult[]): ListResult | undefined {
    if (this.settings.listAction !== "reject") return undefined;
    const listed = results.filter((r) => r.listed);
    const sum = listed.reduce((s, r) => s + r.weight, 0);
    if (sum <= 0) return undefined;
    return listed.find((r) => r.weight > 0);
  }
}
