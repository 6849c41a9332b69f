/** What the API handlers get from the composition root, and the Hono environment carrying it. */
import type { Context } from "hono";
import type { Deliverability } from "../auth/mod.ts";
import type { ClientSettings } from "../autoconfig/mod.ts";
import type { ChaosRules } from "../chaos/rules.ts";
import type { Config, Route } from "../config.ts";
import type { Logger } from "../log.ts";
import type { HttpRequestControl } from "../runtime/types.ts";
import type { AuthFailureEntry, AuthFailures } from "../security/auth-failures.ts";
import type { RecentRefusals } from "../security/recent-refusals.ts";
import type { Namespace, QueueItem, Store, Webhook } from "../store/mod.ts";
import type { SseClients } from "./sse-clients.ts";
import type { Principal, SessionStore } from "./ui/sessions.ts";
import type { WaitHub } from "./wait-hub.ts";

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
  /** Issue 16: throwaway namespaces (src/catch/namespaces.ts); absent where none are kept. */
  namespaces?: NamespaceControl;
  /** Issue 16: wait-for-message; createApp makes one on `store` when absent. */
  waits?: WaitHub;
  /** Issue 16: the live event streams (GET /api/v1/events) on the server's event bus; createApp makes one when absent. */
  sse?: SseClients;
  /** Issue 16: fault-injection rules (src/chaos/rules.ts); absent means disabled. */
  chaos?: ChaosRules;
  /** Issue 16: webhooks (src/webhooks/dispatcher.ts); absent where none are sent. */
  webhooks?: WebhookControl;
  /** Issue 16: sends a stored message on to another server (src/smtp/delivery/release.ts). */
  release?: ReleaseControl;
  /** POST/GET /api/v1/backups (src/backup/); absent in route-listing tests. */
  backups?: BackupControl;
  /** Issue 17: the web interface's bundle, served at `/`; absent, `/` is a 404. */
  webui?: WebAssets;
  /** Issue 17: web sign-in sessions; createApp makes one when absent. */
  sessions?: SessionStore;
  /** The failed-login limiter, which the web's account sign-in shares; createApp makes one when absent. */
  authFailures?: AuthFailures;
  /** Issue 17: the listeners as bound, for GET /api/v1/listeners (read per request: ports bind in turn). */
  listeners?: () => ListenerStatus[];
  /** Issue 17: recent SMTP refusals and failed logins (src/security/recent-refusals.ts). */
  refusals?: RecentRefusals;
}

/** One listener as GET /api/v1/listeners shows it. */
export interface ListenerStatus {
  /** The listener table's name (smtp, submission, imaps, http...). */
  name: string;
  address: string;
  /** The port bound; null while it is not (yet) bound. */
  port: number | null;
  /** "implicit": TLS from the first byte; "starttls": plain, upgraded on request; "none". */
  tls: "implicit" | "starttls" | "none";
  /** Open now; null where the listener does not count them (the admin API's HTTP server). */
  connections: number | null;
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

/** Issue 17: the web interface's built bundle (scripts/build-webui.ts): one script, one stylesheet. */
export interface WebAssets {
  js: string;
  css: string;
}

/** What the webhook routes ask of the dispatcher: it checks URLs and keeps its list in step. */
export interface WebhookControl {
  /** Throws an error with `status` 409 or 422 (and a message) when refused. */
  create(input: { url: string; events: string[]; secret: string }): Promise<Webhook>;
  remove(id: number): Promise<void>;
}

/** What the namespace routes ask of the keeper (creation, expiry timer). */
export interface NamespaceControl {
  create(ttlMs: number): Promise<Namespace>;
  remove(domain: string): Promise<void>;
  list(): Promise<Namespace[]>;
}

/** One recipient's answer from the server a message was released to. */
export interface ReleaseRecipient {
  address: string;
  accepted: boolean;
  /** The reply code; null when no reply came. */
  code: number | null;
  reply: string;
}

/** What POST /api/v1/messages/{id}/release asks of the SMTP client: one transaction, then QUIT. */
export interface ReleaseControl {
  release(input: { raw: Uint8Array; sender: string; recipients: string[]; route: Route }): Promise<
    | { kind: "done"; recipients: ReleaseRecipient[] }
    /** No transaction took place (refused connection, bad greeting, failed TLS or AUTH). */
    | { kind: "unreachable"; code: number | null; reply: string }
  >;
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

/**
 * The runtime's per-request controls arrive as Hono's `c.env` (main.ts passes them to app.fetch);
 * absent under app.request() in tests.
 */
export type ApiEnv = {
  /** `principal`: who the request is from, set by the /api/v1 auth (auth.ts). */
  Variables: { deps: ApiDeps; principal: Principal };
  Bindings: Partial<HttpRequestControl> | undefined;
};

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
  namespaces: "the namespace keeper",
  webhooks: "the webhook dispatcher",
  release: "the release client",
  listeners: "the listener table",
  refusals: "the recent refusals",
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
