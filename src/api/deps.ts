/** What the API handlers get from the composition root, and the Hono environment carrying it. */
import type { Deliverability } from "../auth/mod.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { QueueItem, Store } from "../store/mod.ts";

export interface ApiDeps {
  store: Store;
  log: Logger;
  adminToken: string;
  config: Pick<Config, "maxMessageSize" | "domain" | "hostname">;
  /** Text of openapi.yaml. */
  openapi: string;
  /** The delivery queue runner's controls (src/smtp/queue/runner.ts); absent where no runner runs. */
  queue?: QueueControl;
  /** The failed-login limiter every protocol shares (src/security/auth-failures.ts). */
  lockouts?: LockoutControl;
  /** The TLS-RPT reporter (src/smtp/reports/tls-reporter.ts); absent where none runs. */
  tlsReports?: TlsReportControl;
  /** The DMARC aggregate reporter (src/smtp/reports/dmarc-reporter.ts); absent where none runs. */
  dmarcReports?: TlsReportControl;
  /** DKIM keys and the DNS records to publish (src/auth/); absent only in route-listing tests. */
  deliverability?: Deliverability;
}

/** One limiter key as GET /api/v1/lockouts lists it; times in epoch milliseconds. */
export interface LockoutEntry {
  key: string;
  kind: "address" | "account";
  failures: number;
  inFlight: number;
  lockedUntil: number | null;
  expiresAt: number;
  lastAttemptAt: number;
  lastLogin: string;
}

/** What the lockout routes ask of the limiter. */
export interface LockoutControl {
  /** Every key held now, least recently active first. */
  entries(): LockoutEntry[];
  /** Lifts a key's lockout and forgets its failures; false when the key is not held. */
  clear(key: string): boolean;
}

/** What POST /api/v1/reports/tls/send (and .../dmarc/send) asks of the reporter. */
export interface TlsReportControl {
  send(options: {
    day?: string;
  }): Promise<
    Array<{ day: string; policyDomain: string; destinations: Array<{ uri: string; result: string }> }>
  >;
}

/** What the queue routes ask of the runner: the API never imports the SMTP code, it is handed this. */
export interface QueueControl {
  /** Makes an item due now and wakes the runner; false when there is no such item. */
  retryNow(id: number): Promise<boolean>;
  /** Removes an item; with `bounce` its sender gets a DSN in the same commit. */
  remove(id: number, options: { bounce: boolean }): Promise<QueueItem | undefined>;
}

export type ApiEnv = { Variables: { deps: ApiDeps } };
