/** What the API handlers get from the composition root, and the Hono environment carrying it. */
import type { Deliverability } from "../auth/mod.ts";
import type { ChaosRules } from "../chaos/rules.ts";
import type { Config, Route } from "../config.ts";
import type { Logger } from "../log.ts";
import type { HttpRequestControl } from "../runtime/types.ts";
import type { AuthFailures } from "../security/auth-failures.ts";
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
  /** DKIM keys and the DNS records to publish (src/auth/); absent only in route-listing tests. */
  deliverability?: Deliverability;
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
  /** Issue 17: the web interface's bundle, served at `/`; absent, `/` is a 404. */
  webui?: WebAssets;
  /** Issue 17: web sign-in sessions; createApp makes one when absent. */
  sessions?: SessionStore;
  /** The failed-login limiter, which the web's account sign-in shares; createApp makes one when absent. */
  authFailures?: AuthFailures;
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

/** What POST /api/v1/reports/tls/send asks of the reporter. */
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
