/**
 * The listener table and what each listener is built from: one row per listener (src/main.ts starts
 * them in order), and the functions that turn the shared parts into an SMTP, POP3, IMAP or HTTP server.
 */
import type { AcmeChallenges, AnswerableChallenge, CertificateManager } from "./acme/mod.ts";
import { createApp } from "./api/app.ts";
import type { ListenerStatus } from "./api/deps.ts";
import { createPublicApp } from "./api/public-app.ts";
import { SseClients } from "./api/sse-clients.ts";
import { WaitHub } from "./api/wait-hub.ts";
import type { MailAuth } from "./auth/mod.ts";
import type { ClientSettings } from "./autoconfig/mod.ts";
import { backupControlOf, backupMakerOf } from "./backup/control.ts";
import type { NamespaceKeeper } from "./catch/namespaces.ts";
import type { CatchPolicy } from "./catch/policy.ts";
import type { ChaosRules } from "./chaos/rules.ts";
import { type Config, settingSource } from "./config.ts";
import type { EventBus } from "./events/bus.ts";
import { startImap } from "./imap/server.ts";
import type { Logger } from "./log.ts";
import { listenHttp } from "./net/http.ts";
import type { Listener, ListenOptions } from "./net/listener.ts";
import { observabilityOf } from "./observability.ts";
import type { AccountSessions } from "./pop3/context.ts";
import { startPop3 } from "./pop3/server.ts";
import type { Runtime } from "./runtime/types.ts";
import type { AuthFailures } from "./security/auth-failures.ts";
import type { MemoryBudgets } from "./security/memory-budget.ts";
import type { PlaintextAuthPolicy } from "./security/plaintext-auth.ts";
import type { RecentRefusals } from "./security/recent-refusals.ts";
import type { InboundAuth } from "./smtp/authentication/mod.ts";
import type { SmtpContext } from "./smtp/context.ts";
import { releaseMessage } from "./smtp/delivery/release.ts";
import { SMTP_LIMITS } from "./smtp/limits.ts";
import type { QueueRunner } from "./smtp/queue/runner.ts";
import type { DmarcReporter } from "./smtp/reports/dmarc-reporter.ts";
import type { TlsReporter } from "./smtp/reports/tls-reporter.ts";
import { startSmtp } from "./smtp/server.ts";
import type { SpamDefence } from "./spam/mod.ts";
import type { SpoolDir, Store } from "./store/mod.ts";
import type { TlsProvider } from "./tls/mod.ts";
import { VERSION } from "./version.ts";
import type { WebhookDispatcher } from "./webhooks/dispatcher.ts";

/** A failure to start that the user can fix; printed as one line, without a stack trace. */
export class StartupError extends Error {}

/** What a listener's protocol is built from: made once in startServer, shared by every listener. */
export interface ListenerDeps {
  runtime: Runtime;
  config: Config;
  /** The listener's own log (proto: its name). */
  log: Logger;
  store: Store;
  tls: TlsProvider;
  /** One limiter for every protocol that checks passwords: guesses over IMAP slow down POP3 too. */
  authFailures: AuthFailures;
  plaintextAuth: PlaintextAuthPolicy;
  queue: QueueRunner;
  spool: SpoolDir;
  /** One memory budget for every listener: a flood on one protocol cannot starve another of it. */
  memory: MemoryBudgets;
  /** One count for both POP3 listeners, so [IN-USE] means the same on 110 and 995. */
  pop3Sessions: AccountSessions;
  /** DKIM signing and the DNS records (src/auth/). */
  mailAuth: MailAuth;
  /** Port 25's SPF, DKIM, DMARC and ARC checks (src/smtp/authentication/). */
  inboundAuth: InboundAuth;
  /** Port 25's inbound defence (src/spam/). */
  defence: SpamDefence;
  tlsReports: TlsReporter;
  dmarcReports: DmarcReporter;
  /** The ports bound so far, by listener name. */
  ports: ListenerPorts;
  adminToken: string;
  /** Issue 16: catch mode and the namespaces' any-recipient, any-password rules. */
  catching: CatchPolicy;
  /** Issue 16: throwaway namespaces and their expiry. */
  namespaces: NamespaceKeeper;
  /** Issue 16: the live events (SSE, webhooks). */
  events: EventBus;
  webhooks: WebhookDispatcher;
  /** Issue 16: fault injection (off unless MAILROOM_CHAOS). */
  chaos: ChaosRules;
  /** The answers to ACME challenges in progress (the public listeners serve them). */
  acmeChallenges: AcmeChallenges;
  certificates: CertificateManager | undefined;
  /** For /readyz: every configured listener has bound. */
  listenersBound(): boolean;
  startedAt: number;
  /** Issue 17: recent SMTP refusals and failed logins, for the dashboard. */
  refusals: RecentRefusals;
  /** Issue 17: every configured listener as bound so far. */
  listeners(): ListenerStatus[];
}

/** Config keys that hold a listener's port (a number, or null for off). */
export type PortSetting = {
  [K in keyof Config]-?: null extends Config[K] ? (Config[K] extends number | null ? K : never) : never;
}[keyof Config];

/** Config keys that hold an address to bind (always set). */
type HostSetting = { [K in keyof Config]-?: Config[K] extends string ? K : never }[keyof Config];

export interface ListenerRow {
  /** Logs (proto), the start line, `RunningServer.ports`. */
  name: string;
  /** The setting with the port; null there turns the listener off. */
  port: PortSetting;
  /** The setting with the address to bind. */
  host: HostSetting;
  /** TLS from the first byte (RFC 8314 §3.3). */
  implicitTls?: boolean;
  /** How the start line names it, and the URL scheme it gives, when not "<name> listening on host:port". */
  label?: string;
  scheme?: "http" | "https";
  start(deps: ListenerDeps, options: ListenOptions): Promise<Listener>;
}

/**
 * Every listener, one row each, started in this order (the admin API last: test/harness/child-server.ts
 * takes its start line to mean every other line is out) and stopped in the reverse. A new listener is
 * one row here (and its port setting in config.ts).
 */
export const LISTENERS = [
  { name: "smtp", port: "smtpPort", host: "bind", start: serveSmtp },
  { name: "submission", port: "submissionPort", host: "bind", start: serveSubmission },
  // RFC 8314 §3.3: submission with TLS from the first byte.
  { name: "smtps", port: "smtpsPort", host: "bind", implicitTls: true, start: serveSubmission },
  { name: "pop3", port: "pop3Port", host: "bind", start: servePop3 },
  { name: "pop3s", port: "pop3sPort", host: "bind", implicitTls: true, start: servePop3 },
  { name: "imap", port: "imapPort", host: "bind", start: serveImap },
  { name: "imaps", port: "imapsPort", host: "bind", implicitTls: true, start: serveImap },
  // Public web: ACME challenges, MTA-STS, client autoconfiguration; never the admin API.
  { name: "public-http", port: "publicHttpPort", host: "bind", scheme: "http", start: servePublicHttp },
  { name: "public-https", port: "publicHttpsPort", host: "bind", scheme: "https", start: servePublicHttps },
  {
    name: "http",
    port: "httpPort",
    host: "httpBind",
    label: "admin api",
    scheme: "http",
    start: serveAdminApi,
  },
] as const satisfies readonly ListenerRow[];

export type ListenerName = (typeof LISTENERS)[number]["name"];

/** The port each listener bound, by name; null for a listener turned off (or not bound yet). */
export type ListenerPorts = Record<ListenerName, number | null>;

/**
 * Every configured listener with its address, port, TLS mode and open connections. The mail
 * protocols without implicit TLS offer STARTTLS (RFC 3207, RFC 2595, RFC 3501 §6.2.1); the plain web
 * listeners offer none.
 */
export function listenerStatus(
  rows: readonly ListenerRow[],
  config: Config,
  ports: Readonly<Record<string, number | null>>,
  bound: ReadonlyMap<string, Listener>,
): ListenerStatus[] {
  return rows
    .filter((row) => config[row.port] !== null)
    .map((row) => ({
      name: row.name,
      address: config[row.host],
      port: ports[row.name] ?? null,
      tls: row.implicitTls || row.scheme === "https" ? "implicit" : row.scheme ? "none" : "starttls",
      connections: bound.get(row.name)?.connections ?? null,
    }));
}

/** Port 25: mail for local domains from anyone; relaying only when authenticated. */
function serveSmtp(deps: ListenerDeps, options: ListenOptions): Promise<Listener> {
  return startSmtp(smtpContext(deps, "inbound"), options);
}

/** RFC 6409 message submission (587, and 465 with implicit TLS): AUTH required. */
function serveSubmission(deps: ListenerDeps, options: ListenOptions): Promise<Listener> {
  return startSmtp(smtpContext(deps, "submission"), options);
}

function smtpContext(deps: ListenerDeps, mode: SmtpContext["mode"]): SmtpContext {
  const { config } = deps;
  return {
    store: deps.store,
    log: deps.log,
    hostname: config.hostname,
    primaryDomain: config.domain,
    postmaster: config.postmaster,
    maxMessageSize: config.maxMessageSize,
    bareNewline: config.bareNewline,
    maxRecipients: SMTP_LIMITS.maxRecipients,
    mode,
    authFailures: deps.authFailures,
    queue: deps.queue,
    tls: deps.tls,
    plaintextAuth: deps.plaintextAuth,
    spool: deps.spool,
    memory: deps.memory,
    signOutgoing: deps.mailAuth.signOutgoing,
    signNotice: deps.mailAuth.signNotice,
    catching: deps.catching,
    chaos: deps.chaos,
    refusals: deps.refusals,
    // Submission is our own users' mail: the checks and the defence are for port 25. Issue 16: in
    // catch mode port 25 has no strangers to defend against, and its greeting delay, rate limits,
    // block lists, greylisting and spam verdicts would only delay or lose test mail; the checks run
    // and are recorded, not enforced (data.ts, InboundAuth.check's `enforce`).
    ...(mode === "inbound"
      ? { authentication: deps.inboundAuth, ...(deps.catching.all ? {} : { defence: deps.defence }) }
      : {}),
  };
}

function servePop3(deps: ListenerDeps, options: ListenOptions): Promise<Listener> {
  return startPop3(
    {
      store: deps.store,
      log: deps.log,
      hostname: deps.config.hostname,
      primaryDomain: deps.config.domain,
      authFailures: deps.authFailures,
      tls: deps.tls,
      plaintextAuth: deps.plaintextAuth,
      accountSessions: deps.pop3Sessions,
      catching: deps.catching,
      chaos: deps.chaos,
    },
    options,
  );
}

function serveImap(deps: ListenerDeps, options: ListenOptions): Promise<Listener> {
  const { config } = deps;
  return startImap(
    {
      store: deps.store,
      log: deps.log,
      hostname: config.hostname,
      primaryDomain: config.domain,
      maxMessageSize: config.maxMessageSize,
      bareNewline: config.bareNewline,
      literal: config.imapLiteral,
      unauthenticate: config.imapUnauthenticate,
      messageLimit: { limit: config.imapMessageLimit, scope: config.imapMessageLimitScope },
      authFailures: deps.authFailures,
      tls: deps.tls,
      plaintextAuth: deps.plaintextAuth,
      spool: deps.spool,
      memory: deps.memory,
      catching: deps.catching,
      chaos: deps.chaos,
    },
    options,
  );
}

/**
 * The ACME challenges this server can answer, preferred first: TLS-ALPN-01 on the public HTTPS
 * listener (where the runtime's TLS can present its certificate), HTTP-01 on the public HTTP one.
 */
export function challengeTypesOf(runtime: Runtime, config: Config, log: Logger): AnswerableChallenge[] {
  const types: AnswerableChallenge[] = [];
  if (config.publicHttpsPort !== null && runtime.tlsAlpnChallenge !== false) types.push("tls-alpn-01");
  if (config.publicHttpPort !== null) types.push("http-01");
  if (types.length === 0) {
    const why =
      config.publicHttpsPort !== null
        ? `TLS-ALPN-01 does not work under ${runtime.name}; set ${settingSource("publicHttpPort")} for HTTP-01`
        : `set ${settingSource("publicHttpsPort")} or ${settingSource("publicHttpPort")}`;
    log.error("acme.no_challenge", { detail: `no ACME challenge can be answered: ${why}` });
    process.stderr.write(`warning: automatic certificates cannot be validated: ${why}\n`);
  }
  return types;
}

/** The mail listeners' ports as bound, for the DNS records and the client-configuration documents. */
function clientSettingsOf(deps: ListenerDeps): ClientSettings {
  const { ports } = deps;
  return {
    hostname: deps.config.hostname,
    ports: {
      imap: ports.imap,
      imaps: ports.imaps,
      pop3: ports.pop3,
      pop3s: ports.pop3s,
      submission: ports.submission,
      submissions: ports.smtps,
    },
  };
}

function deliverabilityOf(deps: ListenerDeps) {
  const { ports } = clientSettingsOf(deps);
  const bound = Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, v ?? undefined]));
  return deps.mailAuth.deliverability({ ...bound, https: deps.ports["public-https"] ?? undefined });
}

/**
 * The public web listeners (src/net/http.ts, src/api/public-app.ts): HTTP-01 challenges and
 * autoconfig on 80; TLS-ALPN-01, the MTA-STS policy and autoconfig on 443. No admin API on either.
 */
function servePublicHttp(deps: ListenerDeps, options: ListenOptions): Promise<Listener> {
  return servePublic(deps, options, false);
}

function servePublicHttps(deps: ListenerDeps, options: ListenOptions): Promise<Listener> {
  return servePublic(deps, options, true);
}

function servePublic(deps: ListenerDeps, options: ListenOptions, secure: boolean): Promise<Listener> {
  const app = createPublicApp(
    {
      store: deps.store,
      log: deps.log,
      // Never checked here (no route takes a token); the admin token stays on the admin listener.
      adminToken: "",
      config: deps.config,
      openapi: "",
      deliverability: deliverabilityOf(deps),
      clientSettings: () => clientSettingsOf(deps),
      acmeChallenges: deps.acmeChallenges,
    },
    { secure },
  );
  const challenges = deps.acmeChallenges;
  return listenHttp(options, {
    log: deps.log,
    fetch: app.fetch,
    ...(secure ? { tls: deps.tls, alpn: (hello) => challenges.alpn(hello) } : {}),
  });
}

/** The admin REST API (src/api/) on the runtime's HTTP server. */
async function serveAdminApi(deps: ListenerDeps, options: ListenOptions): Promise<Listener> {
  const { config } = deps;
  const app = createApp({
    store: deps.store,
    log: deps.log,
    adminToken: deps.adminToken,
    config,
    openapi: deps.runtime.openapi,
    webui: deps.runtime.webui,
    authFailures: deps.authFailures,
    queue: deps.queue,
    lockouts: deps.authFailures,
    tlsReports: deps.tlsReports,
    namespaces: deps.namespaces,
    waits: new WaitHub({
      store: deps.store,
      log: deps.log,
      ...(deps.runtime.collectGarbage ? { collectGarbage: deps.runtime.collectGarbage } : {}),
      limits: {
        ...(config.maxWaits ? { maxWaits: config.maxWaits } : {}),
        ...(config.waitMaxTimeoutMs ? { maxTimeoutMs: config.waitMaxTimeoutMs } : {}),
      },
    }),
    sse: new SseClients({ bus: deps.events }),
    webhooks: deps.webhooks,
    chaos: deps.chaos,
    release: { release: (input) => releaseMessage({ ...input, helo: config.hostname }) },
    dmarcReports: deps.dmarcReports,
    deliverability: deliverabilityOf(deps),
    clientSettings: () => clientSettingsOf(deps),
    ...(deps.certificates ? { certificates: deps.certificates } : {}),
    observability: observabilityOf({ ...deps, version: VERSION }),
    backups: backupControlOf(backupMakerOf(deps.store, config, deps.runtime.selfCommand), config),
    listeners: deps.listeners,
    refusals: deps.refusals,
  });
  const http = await deps.runtime.serveHttp({
    hostname: options.host,
    port: options.port,
    fetch: (request, control) => app.fetch(request, control),
    maxRequestBodySize: config.maxMessageSize * 4,
  });
  return { name: options.name ?? "http", port: http.port, close: () => http.stop() };
}

/** Binds a listener, turning "permission denied" and "address in use" into one clear line. */
export async function listen<T>(
  setting: PortSetting,
  host: string,
  port: number,
  bind: () => Promise<T>,
): Promise<T> {
  try {
    return await bind();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "EACCES" || (error instanceof Error && /permission denied|EACCES/i.test(error.message))) {
      throw new StartupError(
        `no permission to bind ${host}:${port}; ports below 1024 need root: set ${settingSource(setting)} to a higher port`,
      );
    }
    if (code === "EADDRINUSE" || (error instanceof Error && /in use|EADDRINUSE/i.test(error.message))) {
      throw new StartupError(
        `${host}:${port} is already in use; set ${settingSource(setting)} to another port`,
      );
    }
    throw error;
  }
}
