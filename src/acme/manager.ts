/**
 * Automatic certificates (MAILROOM_ACME_DIRECTORY): keeps ONE certificate for the names of
 * names.ts, issued over ACME (client.ts) and stored in the database with the account key, installed
 * into the TlsProvider so that every listener's next handshake uses it (open connections keep
 * theirs). It orders a certificate when there is none, when the names changed (a domain added or
 * removed) and when two thirds of its lifetime have passed; a failed attempt keeps the certificate in
 * use, is logged with the CA's reason, and is retried with exponential backoff.
 */

import { X509Certificate } from "node:crypto";
import { Alarm } from "../alarm.ts";
import type { DnsResolver } from "../dns/mod.ts";
import type { Logger } from "../log.ts";
import {
  acmeAccountGet,
  acmeAccountPut,
  acmeCertificateAdd,
  acmeCertificateLatest,
  domainList,
  type Store,
} from "../store/mod.ts";
import { certificateRequest } from "../tls/csr.ts";
import type { TlsProvider } from "../tls/mod.ts";
import type { AcmeChallenges } from "./challenges.ts";
import { AcmeClient, AcmeError, type Authorization, type Challenge } from "./client.ts";
import { accountKeyFromPem, accountKeyGenerate, accountKeyPem, keyAuthorization } from "./jws.ts";
import { ACME_LIMITS } from "./limits.ts";
import { certificateNames, sameNames } from "./names.ts";

type Timings = Record<"retryFirstMs" | "retryMaxMs" | "domainSettleMs" | "recheckMs", number>;

/** The challenge types we can answer, each on its public listener. */
export type AnswerableChallenge = "tls-alpn-01" | "http-01";

export interface CertificateManagerOptions {
  store: Store;
  log: Logger;
  tls: TlsProvider;
  challenges: AcmeChallenges;
  /** The directory URL (MAILROOM_ACME_DIRECTORY, resolved). */
  directory: string;
  email?: string | undefined;
  /** Trust for the ACME server's HTTPS (MAILROOM_ACME_CA_FILE). */
  extraCa?: readonly string[] | undefined;
  resolver: Pick<DnsResolver, "a" | "aaaa">;
  hostname: string;
  /** What the listeners that are on can answer, preferred first (TLS-ALPN-01 on 443, HTTP-01 on 80). */
  challengeTypes: readonly AnswerableChallenge[];
  /** The clock renewals are decided by (tests move it). */
  now?: () => number;
  /** Overrides of ACME_LIMITS' timings (tests shorten the backoff). */
  timings?: Partial<Timings>;
}

/** The certificate in use, as the manager sees it. */
export interface ManagedCertificate {
  names: string[];
  notBefore: number;
  notAfter: number;
  /** When renewal starts: two thirds into the lifetime. */
  renewAt: number;
  serial: string;
}

export interface CertificateStatus {
  certificate: ManagedCertificate | undefined;
  /** Failed attempts since the last success. */
  failures: number;
  lastError: string | undefined;
  /** When the manager looks next (epoch ms). */
  nextCheckAt: number | undefined;
}

export class CertificateManager {
  readonly #o: CertificateManagerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #timings: Timings;
  #current: ManagedCertificate | undefined;
  #client: AcmeClient | undefined;
  readonly #alarm = new Alarm(() => void this.check());
  #nextCheckAt: number | undefined;
  #running = false;
  #checking: Promise<void> | undefined;
  #failures = 0;
  #lastError: string | undefined;
  /** Listeners told after every attempt (tests wait on these instead of sleeping). */
  readonly #observers = new Set<(outcome: AttemptOutcome) => void>();

  constructor(options: CertificateManagerOptions) {
    this.#o = options;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#timings = { ...ACME_LIMITS, ...options.timings };
  }

  /**
   * Installs the stored certificate, if there is one still valid, before any listener binds: a
   * restart serves it at once, without asking the CA.
   */
  async loadStored(): Promise<void> {
    const stored = await acmeCertificateLatest(this.#o.store.read, this.#o.directory);
    if (!stored || stored.notAfter <= this.#now()) return;
    try {
      this.#o.tls.install({ cert: stored.chain, key: stored.privateKey }, "acme");
      this.#current = managed(stored.chain, stored.names);
      this.#log.info("acme.certificate_loaded", {
        names: stored.names,
        notAfter: new Date(stored.notAfter).toISOString(),
        renewAt: new Date(this.#current.renewAt).toISOString(),
      });
    } catch (error) {
      this.#log.error("acme.stored_certificate_unusable", { error: (error as Error).message });
    }
  }

  /** Starts looking after the certificate: a first check now, then on its timer. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /**
   * Stops the timer and waits for an order in progress, but not for long: a CA that is slow to
   * validate must not hold up a shutdown (the order is abandoned; the next start orders again).
   */
  async stop(): Promise<void> {
    this.#running = false;
    this.#alarm.cancel();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#checking,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ACME_LIMITS.stopWaitMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** A local domain was added or removed: check again once the changes have settled. */
  domainsChanged(): void {
    if (!this.#running) return;
    // New names are a new situation: the backoff of failures for the old ones does not apply.
    this.#failures = 0;
    this.#schedule(this.#timings.domainSettleMs);
  }

  status(): CertificateStatus {
    return {
      certificate: this.#current,
      failures: this.#failures,
      lastError: this.#lastError,
      nextCheckAt: this.#nextCheckAt,
    };
  }

  /** Calls `observer` after every attempt to order (tests wait for one instead of sleeping). */
  onAttempt(observer: (outcome: AttemptOutcome) => void): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  /** Decides now whether to order, and does. Resolves when that is done (exported for tests). */
  check(): Promise<void> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    // setTimeout cannot wait 60 days (it overflows at 2^31 ms); look again at least every recheckMs.
    const wait = Math.max(0, Math.min(delayMs, this.#timings.recheckMs));
    this.#nextCheckAt = Date.now() + wait;
    this.#alarm.set(wait);
  }

  async #check(): Promise<void> {
    let wanted: string[];
    try {
      const domains = (await domainList(this.#o.store.read)).map((d) => d.name);
      const { names, dropped } = certificateNames(this.#o.hostname, domains);
      if (dropped.length > 0)
        this.#log.warn("acme.too_many_names", { limit: ACME_LIMITS.maxNames, left_out: dropped });
      wanted = names;
    } catch (error) {
      this.#log.error("acme.check_failed", { error });
      this.#schedule(this.#timings.retryFirstMs);
      return;
    }
    const reason = this.#reasonToOrder(wanted);
    if (!reason) {
      this.#schedule(this.#current!.renewAt - this.#now());
      return;
    }
    if (wanted.length === 0) {
      this.#log.error("acme.no_names", { hostname: this.#o.hostname, detail: "no DNS name to certify" });
      this.#schedule(this.#timings.recheckMs);
      return;
    }
    this.#log.info("acme.ordering", { names: wanted, reason, directory: this.#o.directory });
    try {
      const issued = await this.#issue(wanted);
      this.#failures = 0;
      this.#lastError = undefined;
      this.#current = issued;
      this.#log.info("acme.issued", {
        names: issued.names,
        serial: issued.serial,
        notAfter: new Date(issued.notAfter).toISOString(),
        renewAt: new Date(issued.renewAt).toISOString(),
      });
      this.#tell({ kind: "issued", certificate: issued });
      this.#schedule(issued.renewAt - this.#now());
    } catch (error) {
      this.#failures++;
      const message = error instanceof Error ? error.message : String(error);
      this.#lastError = message;
      const backoff = Math.min(
        this.#timings.retryMaxMs,
        this.#timings.retryFirstMs * 2 ** (this.#failures - 1),
      );
      const wait = Math.max(backoff, error instanceof AcmeError ? (error.retryAfterMs ?? 0) : 0);
      const current = this.#current;
      this.#log.error("acme.failed", {
        names: wanted,
        reason,
        error: message,
        attempt: this.#failures,
        retryAt: new Date(Date.now() + wait).toISOString(),
        keeping: current
          ? `the ACME certificate valid until ${new Date(current.notAfter).toISOString()}`
          : this.#o.tls.origin === "files"
            ? `the certificate from ${this.#o.tls.source.certPath}`
            : "the certificate in use",
      });
      this.#tell({ kind: "failed", error: message, attempt: this.#failures });
      this.#schedule(wait);
    }
  }

  /** Why a certificate must be ordered now, or undefined when the current one will do. */
  #reasonToOrder(wanted: readonly string[]): string | undefined {
    const current = this.#current;
    if (!current) return "no certificate yet";
    if (!sameNames(current.names, wanted)) {
      const added = wanted.filter((n) => !current.names.includes(n));
      const removed = current.names.filter((n) => !wanted.includes(n));
      return `names changed (${[...added.map((n) => `+${n}`), ...removed.map((n) => `-${n}`)].join(" ")})`;
    }
    if (this.#now() >= current.renewAt) return "renewal due";
    return undefined;
  }

  async #issue(names: string[]): Promise<ManagedCertificate> {
    const client = await this.#account();
    const order = await client.newOrder(names);
    const results = await Promise.allSettled(order.authorizations.map((url) => this.#authorize(client, url)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    const csr = certificateRequest(names);
    const done = await client.finalize(order, csr.der);
    if (done.status !== "valid" || !done.certificate)
      throw new AcmeError(
        `the order ended ${done.status}: ${done.error?.detail ?? "no certificate"}`,
        done.error?.type ?? "order",
        0,
      );
    const chain = await client.certificate(done.certificate);
    const certificate = managed(chain, names);
    // Installed before it is stored: a chain that does not load (wrong key, broken PEM) is never kept.
    this.#o.tls.install({ cert: chain, key: csr.keyPem }, "acme");
    await this.#o.store.write((w) =>
      acmeCertificateAdd(w, {
        directory: this.#o.directory,
        names,
        chain,
        privateKey: csr.keyPem,
        notBefore: certificate.notBefore,
        notAfter: certificate.notAfter,
      }),
    );
    return certificate;
  }

  /** Proves control of one name (RFC 8555 §7.5), unless the CA already holds a valid authorization. */
  async #authorize(client: AcmeClient, url: string): Promise<void> {
    const authz = await client.authorization(url);
    if (authz.status === "valid") return;
    const name = authz.identifier.value;
    if (authz.status !== "pending")
      throw new AcmeError(`the authorization of ${name} is ${authz.status}`, "authz", 0);
    const challenge = this.#pick(authz);
    const keyAuth = keyAuthorization(challenge.token, client.key);
    const undo = this.#present(challenge, name, keyAuth);
    try {
      this.#log.info("acme.challenge", { name, type: challenge.type });
      await client.respond(challenge);
      const settled = await client.authorizationSettled(url);
      if (settled.status !== "valid") {
        const failure = settled.challenges.find((c) => c.type === challenge.type)?.error;
        throw new AcmeError(
          `${challenge.type} validation of ${name} failed: ${failure?.detail ?? settled.status}`,
          failure?.type ?? "unauthorized",
          0,
        );
      }
    } finally {
      undo();
    }
  }

  #pick(authz: Authorization): Challenge {
    for (const type of this.#o.challengeTypes) {
      const found = authz.challenges.find((c) => c.type === type);
      if (found) return found;
    }
    const offered = authz.challenges.map((c) => c.type).join(", ");
    throw new AcmeError(
      `no challenge for ${authz.identifier.value} we can answer (offered: ${offered}; we answer ${this.#o.challengeTypes.join(", ") || "none: both public listeners are off"})`,
      "challenge",
      0,
    );
  }

  /** Makes the listeners answer the challenge; returns the undo. */
  #present(challenge: Challenge, name: string, keyAuth: string): () => void {
    const { challenges } = this.#o;
    if (challenge.type === "http-01") {
      challenges.addHttp01(challenge.token, keyAuth);
      return () => challenges.removeHttp01(challenge.token);
    }
    challenges.addTlsAlpn01(name, keyAuth);
    return () => challenges.removeTlsAlpn01(name);
  }

  /** The ACME client with its account: the stored one, or a new account registered now (RFC 8555 §7.3). */
  async #account(): Promise<AcmeClient> {
    if (this.#client?.accountUrl) return this.#client;
    const { store, directory } = this.#o;
    const stored = await acmeAccountGet(store.read, directory);
    const common = { directoryUrl: directory, resolver: this.#o.resolver, extraCa: this.#o.extraCa };
    if (stored) {
      this.#client = new AcmeClient({
        ...common,
        key: accountKeyFromPem(stored.privateKey),
        accountUrl: stored.url,
      });
      return this.#client;
    }
    const key = accountKeyGenerate("ES256");
    const client = new AcmeClient({ ...common, key });
    const contact = this.#o.email ? [`mailto:${this.#o.email}`] : [];
    const url = await client.account(contact);
    await store.write((w) =>
      acmeAccountPut(w, { directory, privateKey: accountKeyPem(key), url, contact: contact[0] ?? null }),
    );
    this.#log.info("acme.account_created", { directory, account: url });
    this.#client = client;
    return client;
  }

  #tell(outcome: AttemptOutcome): void {
    for (const observer of this.#observers) observer(outcome);
  }
}

export type AttemptOutcome =
  | { kind: "issued"; certificate: ManagedCertificate }
  | { kind: "failed"; error: string; attempt: number };

/** What the manager keeps of a chain: its names, validity and the renewal time. */
function managed(chain: string, names: readonly string[]): ManagedCertificate {
  const leaf = new X509Certificate(chain);
  const notBefore = Date.parse(leaf.validFrom);
  const notAfter = Date.parse(leaf.validTo);
  return {
    names: [...names].sort(),
    notBefore,
    notAfter,
    renewAt: notBefore + Math.floor((notAfter - notBefore) * ACME_LIMITS.renewAtFraction),
    serial: leaf.serialNumber,
  };
}
