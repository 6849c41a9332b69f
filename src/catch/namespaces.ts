/**
 * Throwaway namespaces in a running server (issue 16): creating one (`ns-<random>.<host name>`,
 * with its expiry), deleting one, and the reaper that deletes each within a second or so of its
 * expiry: a timer set for the next expiry (never further ahead than NAMESPACE_LIMITS.maxSleepMs),
 * re-armed whenever a namespace is created. The rows are the truth (store/namespaces.ts): after a
 * restart the reaper's first sweep removes whatever expired meanwhile.
 */

import { randomBytes } from "node:crypto";
import { Alarm } from "../alarm.ts";
import type { Logger } from "../log.ts";
import {
  type Namespace,
  namespaceCount,
  namespaceCreate,
  namespaceDelete,
  namespaceList,
  namespaceNextExpiry,
  namespacesExpired,
  type Store,
  StoreError,
} from "../store/mod.ts";
import { NAMESPACE_LIMITS } from "./limits.ts";

/** RFC 4648 §6 base32 alphabet, lower-cased: letters and digits only, valid in a DNS label. */
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** 10 characters of 5 random bits: 50 bits, so parallel CI jobs never draw the same name. */
function randomLabel(): string {
  const bytes = randomBytes(10);
  let label = "";
  for (const byte of bytes) label += BASE32[byte & 31];
  return `ns-${label}`;
}

export class NamespaceKeeper {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #hostname: string;
  readonly #now: () => number;
  readonly #alarm: Alarm;
  #running = false;
  /** The sweep in progress, awaited by stop() so that no write outlives the store. */
  #sweeping: Promise<void> = Promise.resolve();

  constructor(options: { store: Store; log: Logger; hostname: string; now?: () => number }) {
    this.#store = options.store;
    this.#log = options.log;
    this.#hostname = options.hostname;
    this.#now = options.now ?? Date.now;
    this.#alarm = new Alarm(() => {
      this.#sweeping = this.#sweep();
    }, this.#now);
  }

  start(): void {
    this.#running = true;
    this.#alarm.set(0);
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#alarm.cancel();
    await this.#sweeping;
  }

  /** A new namespace living `ttlMs`; StoreError "limit" when NAMESPACE_LIMITS.maxNamespaces are alive. */
  async create(ttlMs: number): Promise<Namespace> {
    const createdAt = this.#now();
    const expiresAt = createdAt + ttlMs;
    const created = await this.#store.write(async (w) => {
      if ((await namespaceCount(w.tx)) >= NAMESPACE_LIMITS.maxNamespaces)
        throw new StoreError(
          "limit",
          `${NAMESPACE_LIMITS.maxNamespaces} namespaces exist, the most allowed; delete some first`,
        );
      return namespaceCreate(w, `${randomLabel()}.${this.#hostname}`, expiresAt, createdAt);
    });
    this.#log.info("namespace.created", { domain: created.domain, expiresAt });
    this.#arm(expiresAt);
    return created;
  }

  async remove(domain: string): Promise<void> {
    await this.#store.write((w) => namespaceDelete(w, domain));
    this.#log.info("namespace.deleted", { domain, reason: "request" });
  }

  list(): Promise<Namespace[]> {
    return namespaceList(this.#store.read);
  }

  /** Sets the timer for `at` if that is sooner than the one set. */
  #arm(at: number): void {
    if (!this.#running) return;
    const due = Math.min(at, this.#now() + NAMESPACE_LIMITS.maxSleepMs);
    this.#alarm.setSooner(due - this.#now());
  }

  /** Deletes every expired namespace (each in its own commit), then sets the timer for the next. */
  async #sweep(): Promise<void> {
    try {
      for (const domain of await namespacesExpired(this.#store.read, this.#now())) {
        if (!this.#running) return;
        try {
          await this.#store.write((w) => namespaceDelete(w, domain));
          this.#log.info("namespace.deleted", { domain, reason: "expired" });
        } catch (error) {
          // Deleted meanwhile by a request: nothing left to do. Anything else is retried next sweep.
          if (!(error instanceof StoreError && error.code === "not_found"))
            this.#log.error("namespace.delete_failed", { domain, error });
        }
      }
      if (!this.#running) return;
      const next = await namespaceNextExpiry(this.#store.read);
      // One that is still there though expired failed to go: tried again in a second, not at once.
      this.#arm(next === null ? Number.POSITIVE_INFINITY : Math.max(next, this.#now() + 1_000));
    } catch (error) {
      this.#log.error("namespace.sweep_failed", { error });
      this.#arm(this.#now() + NAMESPACE_LIMITS.maxSleepMs);
    }
  }
}
