/**
 * DKIM key management: generating a domain's keys (one RSA 2048 and one Ed25519, RFC 6376 §3.3,
 * RFC 8463), choosing their selectors, rotation with a grace period, and the timer that retires
 * keys once their grace period is over. The keys themselves live in the store (dkim_keys).
 *
 * Keys are generated outside any write: RSA generation takes 50-500 ms of CPU, and holding the
 * group commit that long would stall every delivery.
 */

import { generateKeyPair, type KeyObject, randomInt } from "node:crypto";
import { Alarm } from "../alarm.ts";
import type { Logger } from "../log.ts";
import {
  type DkimAlgorithm,
  type DkimKeyInfo,
  type DkimKeyInput,
  dkimDomainsWithoutKeys,
  dkimKeysActive,
  dkimKeysCreate,
  dkimKeysOfDomain,
  dkimKeysRetireDue,
  dkimKeysRotate,
  dkimNextRetirement,
  dkimSelectorsOfDomain,
  domainNormalize,
  type Store,
} from "../store/mod.ts";
import { DKIM_LIMITS } from "./limits.ts";

/** node:crypto's asynchronous generation (off the event loop where the runtime can). */
function keyPair(type: "rsa" | "ed25519"): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, publicKey: KeyObject, privateKey: KeyObject) =>
      error ? reject(error) : resolve({ publicKey, privateKey });
    if (type === "rsa") generateKeyPair("rsa", { modulusLength: DKIM_LIMITS.rsaBits }, done);
    else generateKeyPair("ed25519", {}, done);
  });
}

/** One key pair in the form the store keeps: PKCS#8 PEM, and the p= value of its DNS record. */
export async function dkimKeyPairGenerate(
  algorithm: DkimAlgorithm,
): Promise<{ privateKey: string; publicKey: string }> {
  if (algorithm === "rsa-sha256") {
    // RFC 8301 §3.2: at least 1024 bits, 2048 recommended; 2048 still fits a DNS TXT record.
    const pair = await keyPair("rsa");
    return {
      privateKey: String(pair.privateKey.export({ type: "pkcs8", format: "pem" })),
      // RFC 6376 §3.6.1: p= is the base64 of the DER SubjectPublicKeyInfo.
      publicKey: pair.publicKey.export({ type: "spki", format: "der" }).toString("base64"),
    };
  }
  const pair = await keyPair("ed25519");
  return {
    privateKey: String(pair.privateKey.export({ type: "pkcs8", format: "pem" })),
    // RFC 8463 §4.2: p= is the base64 of the raw 32-byte public key (the tail of its SPKI).
    publicKey: pair.publicKey.export({ type: "spki", format: "der" }).subarray(-32).toString("base64"),
  };
}

/**
 * A new pair of selectors, `mr<yyyymm><4 random>r` and `...e`: readable (when it was made, which
 * algorithm), unique per domain (RFC 6376 §3.1: a selector names one key), and sharing the random
 * part, so the two keys of one generation are easy to tell together.
 */
export function dkimSelectorsNew(taken: ReadonlySet<string>, now: Date): { rsa: string; ed: string } {
  const month = `${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, "0")}`;
  for (;;) {
    const tag = randomInt(36 ** 4)
      .toString(36)
      .padStart(4, "0");
    const rsa = `mr${month}${tag}r`;
    const ed = `mr${month}${tag}e`;
    if (!taken.has(rsa) && !taken.has(ed)) return { rsa, ed };
  }
}

/** A whole generation: both keys, with selectors not yet used by the domain. */
export async function dkimGenerationNew(
  taken: ReadonlySet<string>,
  now = new Date(),
): Promise<DkimKeyInput[]> {
  const selectors = dkimSelectorsNew(taken, now);
  const [rsa, ed] = await Promise.all([
    dkimKeyPairGenerate("rsa-sha256"),
    dkimKeyPairGenerate("ed25519-sha256"),
  ]);
  return [
    { selector: selectors.rsa, algorithm: "rsa-sha256", ...rsa },
    { selector: selectors.ed, algorithm: "ed25519-sha256", ...ed },
  ];
}

export interface DkimKeeperOptions {
  store: Store;
  log: Logger;
  /** How long rotated-out keys stay published (MAILROOM_DKIM_GRACE), in ms. */
  graceMs: number;
}

/**
 * Owns the lifecycle of every domain's keys in a running server (and in `mailroom dns`): gives a
 * domain keys when it has none, rotates, and retires on a timer. Concurrent callers asking for the
 * same domain's keys share one generation.
 */
export class DkimKeeper {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #graceMs: number;
  readonly #pending = new Map<string, Promise<void>>();
  readonly #alarm = new Alarm(() => {
    this.#retiring = this.retireDue().catch((error: unknown) =>
      this.#log.error("dkim.retire_failed", { error }),
    );
  });
  /** A retirement the timer started, awaited by stop() so that no write outlives the store. */
  #retiring: Promise<unknown> = Promise.resolve();
  #running = false;
  #background: Promise<void> = Promise.resolve();

  constructor(options: DkimKeeperOptions) {
    this.#store = options.store;
    this.#log = options.log;
    this.#graceMs = options.graceMs;
  }

  /** Gives every domain without keys its keys (in the background), retires what is due, starts the timer. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#background = (async () => {
      try {
        await this.retireDue();
        for (const domain of await dkimDomainsWithoutKeys(this.#store.read)) {
          if (!this.#running) break;
          await this.ensure(domain);
        }
      } catch (error) {
        this.#log.error("dkim.startup_failed", { error });
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#alarm.cancel();
    await this.#background;
    await this.#retiring;
    await Promise.allSettled([...this.#pending.values()]);
  }

  /** Makes sure the domain has active keys, generating a generation if it has none. */
  ensure(domain: string): Promise<void> {
    const name = domainNormalize(domain);
    const pending = this.#pending.get(name);
    if (pending) return pending;
    const work = (async () => {
      if ((await dkimKeysActive(this.#store.read, name)).length > 0) return;
      const keys = await dkimGenerationNew(await dkimSelectorsOfDomain(this.#store.read, name));
      // Checked again inside the write: another process (`mailroom dns`) may have been first.
      const added = await this.#store.write((w) => dkimKeysCreate(w, name, keys, { ifNoneActive: true }));
      if (added)
        this.#log.info("dkim.keys_created", { domain: name, selectors: keys.map((k) => k.selector) });
    })().finally(() => this.#pending.delete(name));
    this.#pending.set(name, work);
    return work;
  }

  /** A new generation for a domain that is about to be created (no selectors taken yet). */
  generation(): Promise<DkimKeyInput[]> {
    return dkimGenerationNew(new Set());
  }

  /** Every key of the domain (never the private parts), after making sure it has active ones. */
  async list(domain: string): Promise<DkimKeyInfo[]> {
    await this.ensure(domain);
    return dkimKeysOfDomain(this.#store.read, domainNormalize(domain));
  }

  /**
   * Rotation: a new generation becomes active; the keys active until now stop signing and stay
   * published for the grace period, so mail they signed (queued, in transit, re-verified by a
   * forwarder) still verifies.
   */
  async rotate(domain: string): Promise<DkimKeyInfo[]> {
    const name = domainNormalize(domain);
    await this.#pending.get(name);
    const keys = await dkimGenerationNew(await dkimSelectorsOfDomain(this.#store.read, name));
    const retireAt = Date.now() + this.#graceMs;
    await this.#store.write((w) => dkimKeysRotate(w, name, keys, { retireAt }));
    this.#log.info("dkim.rotated", { domain: name, selectors: keys.map((k) => k.selector), retireAt });
    this.#schedule(retireAt);
    return dkimKeysOfDomain(this.#store.read, name);
  }

  /** Writes down every retirement that is due by `now` and sets the timer for the next one. */
  async retireDue(now = Date.now()): Promise<string[]> {
    const retired = await this.#store.write((w) => dkimKeysRetireDue(w, now));
    if (retired.length > 0) this.#log.info("dkim.retired", { selectors: retired });
    if (this.#running) this.#schedule(await dkimNextRetirement(this.#store.read));
    return retired;
  }

  /** Wakes at `at` (or earlier, if an earlier retirement is already waiting). */
  #schedule(at: number | null): void {
    if (!this.#running || at === null) return;
    // setTimeout cannot wait longer than 2^31-1 ms; wake at least hourly and look again.
    this.#alarm.setSooner(Math.min(Math.max(at - Date.now(), 0) + 10, DKIM_LIMITS.retireCheckMs));
  }
}
