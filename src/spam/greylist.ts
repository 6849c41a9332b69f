/**
 * Greylisting (RFC 6647) at the end of DATA: mail from an unknown (client network, sender,
 * recipient) triplet is deferred with 451 4.7.1; a real MTA retries after a few minutes and gets
 * through, most spamware never comes back. Decided after DATA rather than at RCPT so that mail
 * authenticated as its From domain (DMARC pass, by aligned SPF or DKIM) skips the delay (RFC 6647
 * allows greylisting at any stage of the transaction; the authentication results exist only after DATA).
 * A sender that passed once from a network is let through from it for the memory period (auto-whitelisting).
 */
import type { Logger } from "../log.ts";
import { ipBytes } from "../security/ip-address.ts";
import {
  type GreylistKey,
  type GreylistTiming,
  greylistAttempt,
  greylistPass,
  greylistPrune,
  greylistSenderSeen,
  type Store,
} from "../store/mod.ts";
import { SPAM_LIMITS } from "./limits.ts";
import { type AuthResults, dmarcPassed } from "./verdict.ts";

/** RFC 6647: the client's /24 (IPv4) or /64 (IPv6), since big senders retry from another address of a pool. */
export function greylistNet(address: string): string {
  const bytes = ipBytes(address);
  if (!bytes) return address;
  if (bytes.length === 4) return `${bytes.slice(0, 3).join(".")}.0/24`;
  const groups = [0, 2, 4, 6].map((i) => ((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return `${groups.join(":")}::/64`;
}

export type GreylistDecision =
  | { kind: "pass"; reason: "known-sender" | "authenticated" | "retried" }
  | { kind: "defer"; recipients: string[] };

/** Renewing a known sender's memory costs a write; once a day is enough against a 36-day memory. */
const RENEW_AFTER_MS = 86_400_000;

export class Greylister {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #log: Logger;
  #pruneTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: { store: Store; log: Logger; now?: () => number }) {
    this.#store = options.store;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
  }

  #timing(): GreylistTiming {
    return {
      now: this.#now(),
      delayMs: SPAM_LIMITS.greylistDelayMs,
      memoryMs: SPAM_LIMITS.greylistMemoryMs,
      retryWindowMs: SPAM_LIMITS.greylistRetryWindowMs,
    };
  }

  async check(input: {
    clientAddress: string;
    sender: string;
    recipients: readonly string[];
    auth?: AuthResults | undefined;
  }): Promise<GreylistDecision> {
    const key: GreylistKey = {
      clientNet: greylistNet(input.clientAddress),
      sender: input.sender.toLowerCase(),
    };
    const recipients = input.recipients.map((r) => r.toLowerCase());
    const timing = this.#timing();
    const seen = await greylistSenderSeen(this.#store.read, key, timing);
    if (seen !== undefined) {
      if (timing.now - seen > RENEW_AFTER_MS)
        await this.#store.write((w) => greylistPass(w, key, recipients, timing.now));
      return { kind: "pass", reason: "known-sender" };
    }
    if (dmarcPassed(input.auth)) {
      await this.#store.write((w) => greylistPass(w, key, recipients, timing.now));
      return { kind: "pass", reason: "authenticated" };
    }
    const deferred = await this.#store.write((w) => greylistAttempt(w, key, recipients, timing));
    return deferred.length > 0
      ? { kind: "defer", recipients: deferred }
      : { kind: "pass", reason: "retried" };
  }

  /** Starts the hourly pruning of forgotten triplets. */
  start(): void {
    this.#pruneTimer = setInterval(() => {
      this.#store
        .write((w) => greylistPrune(w, this.#timing()))
        .then(
          (removed) => {
            if (removed > 0) this.#log.info("spam.greylist_pruned", { removed });
          },
          (error: unknown) => this.#log.warn("spam.greylist_prune_failed", { error }),
        );
    }, SPAM_LIMITS.greylistPruneEveryMs);
    this.#pruneTimer.unref?.();
  }

  stop(): void {
    clearInterval(this.#pruneTimer);
  }
}
