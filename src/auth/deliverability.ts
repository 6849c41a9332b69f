/**
 * What the admin API and `mailroom dns` ask about a domain's deliverability: its DKIM keys
 * (list, rotate), the DNS records it should publish (with what DNS serves now), the zone-file
 * form of those, and its MTA-STS policy. One object, made in main.ts or the CLI, so both give
 * the same answers.
 */
import type { DnsResolver } from "../dns/mod.ts";
import {
  type DkimKeyInfo,
  type DkimKeyInput,
  domainFind,
  domainNormalize,
  type Store,
} from "../store/mod.ts";
import type { DkimKeeper } from "./dkim-keys.ts";
import { type CheckedRecord, dnsRecordsCheck } from "./dns-check.ts";
import { type DnsRecordItem, dnsRecordsExpected, dnsZoneText, type PublishSettings } from "./dns-records.ts";
import { mtaStsPolicy } from "./mta-sts-policy.ts";

export interface DeliverabilityOptions {
  store: Store;
  keeper: DkimKeeper;
  resolver: Pick<DnsResolver, "resolve">;
  settings: PublishSettings;
}

export class Deliverability {
  readonly #store: Store;
  readonly #keeper: DkimKeeper;
  readonly #resolver: Pick<DnsResolver, "resolve">;
  readonly settings: PublishSettings;

  constructor(options: DeliverabilityOptions) {
    this.#store = options.store;
    this.#keeper = options.keeper;
    this.#resolver = options.resolver;
    this.settings = options.settings;
  }

  /** The domain's keys (a domain without any gets its first ones now). Throws not_found for a non-local domain. */
  keys(domain: string): Promise<DkimKeyInfo[]> {
    return this.#keeper.list(domain);
  }

  /** Keys for a domain about to be created, to store in the same write (RFC 6376: one RSA, one Ed25519). */
  newKeys(): Promise<DkimKeyInput[]> {
    return this.#keeper.generation();
  }

  rotate(domain: string): Promise<DkimKeyInfo[]> {
    return this.#keeper.rotate(domain);
  }

  /** The records the domain needs. */
  async records(domain: string): Promise<DnsRecordItem[]> {
    const keys = await this.keys(domain);
    return dnsRecordsExpected(domainNormalize(domain), keys, this.settings);
  }

  /** The records with what DNS serves for each now. */
  async check(domain: string): Promise<CheckedRecord[]> {
    return dnsRecordsCheck(this.#resolver, await this.records(domain));
  }

  async zone(domain: string): Promise<string> {
    const about = { domain: domainNormalize(domain), hostname: this.settings.hostname };
    return dnsZoneText(await this.records(domain), about);
  }

  /** The MTA-STS policy of a local domain; null for any other name. */
  async mtaStsPolicy(domain: string): Promise<string | null> {
    let name: string;
    try {
      name = domainNormalize(domain);
    } catch {
      return null;
    }
    if (!(await domainFind(this.#store.read, name))) return null;
    return mtaStsPolicy(this.settings, name);
  }
}
