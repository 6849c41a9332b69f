/** What the API handlers get from the composition root, and the Hono environment carrying it. */
import type { Context } from "hono";
import type { Deliverability } from "../auth/mod.ts";
import type { ClientSettings } from "../autoconfig/mod.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { AuthFailureEntry } from "../security/auth-failures.ts";
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
  /** Host and bound ports for the client-configuration documents (read per request: ports bind in turn). */
  clientSettings?: () => ClientSettings;
  /** HTTP-01 answers of ACME orders in progress (src/acme/); served by the public HTTP listener only. */
  acmeChallenges?: { http01(token: string): string | undefined };
  /** The ACME certificate manager, told when local domains change (they are names on the certificate). */
  certificates?: { domainsChanged(): void };
  /** /metrics and /readyz (src/metrics/); absent in route-listing tests. */
  observability?: ObservabilityControl;
  /** POST/GET /api/v1/backups (src/backup/); absent in route-listing tests. */
  backups?: BackupControl;
}

/** A backup file as the API shows it. */
export interface BackupEntry {
  name: string;
  bytes: number;
  createdAt: string;
}

/** What the backup routes ask of the composition root. */
export interface BackupControl {
  /** Takes a verified online backup into the backup directory (then prunes to MAILROOM_BACKUP_KEEP). */
  create(): Promise<BackupEntry & { ms: number; accounts: number; messages: number }>;
  /** The backups in the backup directory, newest first. */
  list(): BackupEntry[];
  /** The file of a listed backup, or undefined. */
  file(name: string): string | undefined;
}

/** What /metrics and /readyz ask of the composition root. */
export interface ObservabilityControl {
  /** MAILROOM_METRICS_PUBLIC: /metrics without the admin token. */
  metricsPublic: boolean;
  /** The Prometheus text exposition (version 0.0.4) of every metric. */
  metrics(): Promise<string>;
  /** Each readiness check with whether it passed and, when not, why. */
  readiness(): Promise<Array<{ check: string; ok: boolean; detail?: string }>>;
}

/** What the lockout routes ask of the limiter. */
export interface LockoutControl {
  /** Every key held now, least recently active first: GET /api/v1/lockouts lists them as they are. */
  entries(): AuthFailureEntry[];
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

/** The client settings to document, or the host name alone (no port known) where none were given. */
export function clientSettingsOf(deps: ApiDeps): ClientSettings {
  return (
    deps.clientSettings?.() ?? {
      hostname: deps.config.hostname,
      ports: { imap: null, imaps: null, pop3: null, pop3s: null, submission: null, submissions: null },
    }
  );
}

/** The controls main() always hands over (only route-listing tests leave them out), as logs name them. */
const HANDED_OVER = {
  queue: "the queue runner",
  lockouts: "the login limiter",
  tlsReports: "the TLS reporter",
  dmarcReports: "the DMARC reporter",
  deliverability: "DKIM keys and DNS records",
} as const;

/**
 * A control main() always hands over: the route that needs it fails (500, logged) where a test built
 * the app without it, instead of every route checking for undefined itself.
 */
export function handedOver<K extends keyof typeof HANDED_OVER>(
  c: Context<ApiEnv>,
  key: K,
): NonNullable<ApiDeps[K]> {
  const control = c.get("deps")[key];
  if (!control) throw new Error(`not available to the API: ${HANDED_OVER[key]}`);
  return control as NonNullable<ApiDeps[K]>;
}
