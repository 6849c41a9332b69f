/**
 * The composition root: argv -> config -> certificate -> store -> listeners -> signals. Owns start,
 * stop and reload (SIGHUP rereads the TLS certificate). `main()` returns the process exit code; the
 * runtime entry (src/runtime/) exits with it.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { createApp } from "./api/app.ts";
import { SseClients } from "./api/sse-clients.ts";
import { WaitHub } from "./api/wait-hub.ts";
import { type DkimKeeper, type MailAuth, startMailAuth } from "./auth/mod.ts";
import { NamespaceKeeper } from "./catch/namespaces.ts";
import { CatchPolicy } from "./catch/policy.ts";
import { ChaosRules } from "./chaos/rules.ts";
import { dnsCommand } from "./cli/dns.ts";
import { type Config, ConfigError, helpText, loadConfig, parseArgs, settingSource } from "./config.ts";
import { prepareDataDir, restrictUmask, warnAboutLoosePermissions } from "./data-dir.ts";
import { DnsResolver, systemDnsServers } from "./dns/mod.ts";
import { EventBus } from "./events/bus.ts";
import { feedStoreEvents } from "./events/store-feed.ts";
import { startImap } from "./imap/server.ts";
import { createLogger, type Logger } from "./log.ts";
import type { Listener, ListenOptions } from "./net/listener.ts";
import { AccountSessions } from "./pop3/context.ts";
import { DEFAULT_LIMITS as POP3_LIMITS } from "./pop3/limits.ts";
import { startPop3 } from "./pop3/server.ts";
import type { Runtime } from "./runtime/types.ts";
import { AuthFailures } from "./security/auth-failures.ts";
import { MEMORY_LIMITS } from "./security/limits.ts";
import { createMemoryBudgets, type MemoryBudgets } from "./security/memory-budget.ts";
import type { PlaintextAuthPolicy } from "./security/plaintext-auth.ts";
import type { SmtpContext } from "./smtp/context.ts";
import { releaseMessage } from "./smtp/delivery/release.ts";
import { SMTP_LIMITS } from "./smtp/limits.ts";
import { createQueueRunner, type QueueRunner } from "./smtp/queue/runner.ts";
import { createTlsReporter, type TlsReporter } from "./smtp/reports/tls-reporter.ts";
import { startSmtp } from "./smtp/server.ts";
import { domainCreate, recipientResolve, SpoolDir, Store } from "./store/mod.ts";
import { TlsProvider, TlsSetupError } from "./tls/mod.ts";
import { WebhookDispatcher } from "./webhooks/dispatcher.ts";

export const VERSION: string = pkg.version;

export async function main(runtime: Runtime, argv: readonly string[]): Promise<number> {
  let config: Config;
  let command: string;
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
    command = args.command;
    if (command === "help") {
      process.stdout.write(helpText(VERSION));
      return 0;
    }
    if (command === "version") {
      process.stdout.write(`mailroom ${VERSION} (${runtime.name} ${runtime.version})\n`);
      return 0;
    }
    config = loadConfig(args.flags, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mailroom: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const log = createLogger({ level: config.logLevel });
  restrictUmask();
  try {
    prepareDataDir(config);
    if (command === "migrate") {
      const applied = await Store.migrateOnly(config.databaseUrl, runtime.migrations);
      process.stdout.write(
        applied.length ? `applied migrations: ${applied.join(", ")}\n` : "database is up to date\n",
      );
      return 0;
    }
    if (command === "dns") {
      const input = { config, migrations: runtime.migrations, domain: args.args[0] };
      return await dnsCommand({ ...input, format: args.options.get("--format") });
    }
    const server = await startServer(runtime, config, log);
    // Issue 16: one machine-readable line with the bound ports (MAILROOM_PORTS=auto picks them),
    // for test harnesses in any language: the first stdout line whose "event" is "ready".
    process.stdout.write(`${JSON.stringify({ event: "ready", pid: process.pid, ports: server.ports })}\n`);
    const stopReloading = reloadOnHangup(server.tls, log);
    await waitForSignal(log);
    stopReloading();
    await server.stop();
    return 0;
  } catch (error) {
    if (error instanceof StartupError) {
      process.stderr.write(`mailroom: ${error.message}\n`);
      return 1;
    }
    log.error("fatal", { error });
    process.stderr.write(`mailroom: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** A failure to start that the user can fix; printed as one line, without a stack trace. */
class StartupError extends Error {}

export interface RunningServer {
  config: Config;
  store: Store;
  /** The port each listener of LISTENERS bound, by name; null for a listener turned off. */
  ports: Record<ListenerName, number | null>;
  adminToken: string;
  /** The certificate every TLS listener and STARTTLS uses; `reload()` on SIGHUP. */
  tls: TlsProvider;
  /** The one DNS resolver (and cache) every lookup goes through. */
  dns: DnsResolver;
  /** DKIM keys of the local domains: rotation, retirement (tests call retireDue with a later clock). */
  dkim: DkimKeeper;
  /** Issue 16: the live events every SSE stream and webhook reads. */
  events: EventBus;
  stop(): Promise<void>;
}

/** What tests may hand a server started in-process instead of what it builds itself. */
export interface ServerParts {
  /** The failed-login limiter every protocol shares (tests use small delays and thresholds). */
  authFailures?: AuthFailures;
}

/** What a listener's protocol is built from: made once in startServer, shared by every listener. */
interface ListenerDeps {
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
  tlsReports: TlsReporter;
  /** The ports bound so far, by listener name. */
  ports: RunningServer["ports"];
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
}

/** Config keys that hold a listener's port (a number, or null for off). */
type PortSetting = {
  [K in keyof Config]-?: null extends Config[K] ? (Config[K] extends number | null ? K : never) : never;
}[keyof Config];

/** Config keys that hold an address to bind (always set). */
type HostSetting = { [K in keyof Config]-?: Config[K] extends string ? K : never }[keyof Config];

interface ListenerRow {
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
const LISTENERS = [
  { name: "smtp", port: "smtpPort", host: "bind", start: serveSmtp },
  { name: "submission", port: "submissionPort", host: "bind", start: serveSubmission },
  // RFC 8314 §3.3: submission with TLS from the first byte.
  { name: "smtps", port: "smtpsPort", host: "bind", implicitTls: true, start: serveSubmission },
  { name: "pop3", port: "pop3Port", host: "bind", start: servePop3 },
  { name: "pop3s", port: "pop3sPort", host: "bind", implicitTls: true, start: servePop3 },
  { name: "imap", port: "imapPort", host: "bind", start: serveImap },
  { name: "imaps", port: "imapsPort", host: "bind", implicitTls: true, start: serveImap },
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

/** Starts every configured listener on an opened store. Exported for tests, which run it in-process. */
export async function startServer(
  runtime: Runtime,
  config: Config,
  log: Logger,
  parts: ServerParts = {},
): Promise<RunningServer> {
  prepareDataDir(config);
  const adminToken = config.adminToken ?? loadOrCreateAdminToken(config, log);
  const tls = loadTls(config, log);
  // Messages in transit go to <data-dir>/spool, not memory; what a crash left there is removed now.
  const spool = SpoolDir.open(join(config.dataDir, "spool"), {
    collector: runtime.collectGarbage && {
      collect: runtime.collectGarbage,
      everyBytes: MEMORY_LIMITS.collectEverySpooledBytes,
    },
  });
  const memory = createMemoryBudgets({ collectGarbage: runtime.collectGarbage });
  const store = await Store.open(config.databaseUrl, runtime.migrations, {
    limits: { maxMailboxesPerAccount: config.maxMailboxes },
  });
  // One resolver for the whole server, so that every feature shares its cache and its limits.
  const dns = new DnsResolver({
    servers: config.dnsServers.length > 0 ? config.dnsServers : systemDnsServers(),
    log: log.child({ proto: "dns" }),
  });
  const stops: Array<() => Promise<void>> = [async () => dns.close()];
  try {
    // After opening, so the -wal and -shm files exist; before the listeners, so it is said first.
    warnAboutLoosePermissions(config, log);
    await store.write((w) => domainCreate(w, config.domain, { ifMissing: true }));
    await checkPostmaster(store, config, log);
    // Issue 11: DKIM keys for every local domain; outgoing mail and DSNs are signed when queued.
    const mailAuth = startMailAuth({ store, log: log.child({ proto: "dkim" }), config, resolver: dns });
    stops.push(() => mailAuth.stop());
    // One limiter for every protocol that checks passwords: guesses over IMAP slow down POP3 too.
    const authFailures = parts.authFailures ?? new AuthFailures({ log: log.child({ proto: "auth" }) });

    // Issue 16: the live events. The store's committed changes, the queue's outcomes and failed
    // logins meet in one bus; SSE and webhooks read it.
    const events = new EventBus();
    const stopFeed = feedStoreEvents({ store, sink: events, log: log.child({ proto: "events" }) });
    stops.push(async () => stopFeed());
    const unlistenAuth = authFailures.listen((f) =>
      events.publish("auth.failed", f.login.includes("@") ? f.login : null, {
        protocol: f.protocol,
        client: f.client,
        login: f.login,
        lockedOut: f.lockedOut,
      }),
    );
    stops.push(async () => unlistenAuth());
    const webhooks = new WebhookDispatcher({
      store,
      bus: events,
      log: log.child({ proto: "webhooks" }),
      resolver: dns,
      allowPrivate: config.webhooksAllowPrivate,
      ...(config.webhookRetryMs ? { retryMs: config.webhookRetryMs } : {}),
    });
    await webhooks.start();
    stops.push(() => webhooks.stop());

    // Issue 16: catch mode and throwaway namespaces. The banner says so before any listener opens.
    const catching = new CatchPolicy({ all: config.catch });
    if (config.catch) {
      log.warn("catch_mode", { detail: "every address accepted, nothing relayed, any password accepted" });
      process.stderr.write(
        "catch mode is on: mail for every address is kept here (accounts made on first message), nothing is relayed, any password is accepted\n",
      );
    }
    const namespaces = new NamespaceKeeper({
      store,
      log: log.child({ proto: "namespaces" }),
      hostname: config.hostname,
    });
    namespaces.start();
    stops.push(() => namespaces.stop());

    // Issue 16: one set of fault-injection rules for every listener and the queue.
    const chaos = new ChaosRules({ enabled: config.chaos });
    if (config.chaos)
      log.warn("chaos_enabled", { detail: "fault injection rules may be set through the API" });

    const extraCa = loadExtraCa(config);
    const queue = createQueueRunner({
      store,
      log: log.child({ proto: "queue" }),
      hostname: config.hostname,
      routes: config.routes,
      retry: config.queueRetry,
      maxAge: config.queueMaxAge,
      resolver: dns,
      mtaStsPort: config.mtaStsPort,
      ...(extraCa ? { extraCa } : {}),
      ...(config.mtaStsTimeoutMs ? { mtaStsTimeoutMs: config.mtaStsTimeoutMs } : {}),
      ...(config.mxPort ? { mxPort: config.mxPort } : {}),
      signNotice: mailAuth.signNotice,
      events,
      chaos,
    });
    // In catch mode nothing leaves: not even what an earlier run left in the queue.
    if (!config.catch) queue.start();
    stops.push(() => queue.stop());
    // RFC 8460: the daily TLS reports of what the queue recorded.
    const tlsReports = createTlsReporter({
      store,
      resolver: dns,
      log: log.child({ proto: "tlsrpt" }),
      hostname: config.hostname,
      domain: config.domain,
      ...(extraCa ? { extraCa } : {}),
      onQueued: () => queue.kick(),
      sign: mailAuth.signNotice,
    });
    if (!config.catch) tlsReports.start();
    stops.push(async () => tlsReports.stop());

    const rows: readonly (ListenerRow & { name: ListenerName })[] = LISTENERS;
    // Filled as each listener binds; the admin API (started last) reads it for the DNS records.
    const ports = Object.fromEntries(rows.map((row) => [row.name, null])) as RunningServer["ports"];
    const deps: Omit<ListenerDeps, "log"> = {
      runtime,
      config,
      store,
      tls,
      authFailures,
      plaintextAuth: { allow: config.allowPlaintextAuth, trustedNetworks: config.trustedNetworks },
      queue,
      spool,
      memory,
      mailAuth,
      tlsReports,
      ports,
      pop3Sessions: new AccountSessions(POP3_LIMITS.maxSessionsPerAccount),
      adminToken,
      catching,
      namespaces,
      events,
      webhooks,
      chaos,
    };
    for (const row of rows) {
      const port = config[row.port];
      if (port === null) continue;
      const host = config[row.host];
      const listener = await listen(row.port, host, port, () =>
        row.start(
          { ...deps, log: log.child({ proto: row.name }) },
          {
            name: row.name,
            host,
            port,
            implicitTls: row.implicitTls,
            slots: { perAddress: config.maxConnectionsPerIp },
          },
        ),
      );
      stops.push(() => listener.close());
      ports[row.name] = listener.port;
      const address = `${row.scheme ? `${row.scheme}://` : ""}${host}:${listener.port}`;
      log.info("listening", { proto: row.name, address });
      process.stderr.write(`${row.label ?? row.name} listening on ${address}\n`);
    }

    return {
      config,
      store,
      ports,
      adminToken,
      tls,
      dns,
      dkim: mailAuth.keeper,
      events,
      async stop() {
        log.info("stopping");
        // Listeners first (they finish their in-flight transactions), then the store flushes and closes.
        await Promise.allSettled(stops.reverse().map((stop) => stop()));
        await store.close();
        log.info("stopped");
      },
    };
  } catch (error) {
    await Promise.allSettled(stops.map((stop) => stop()));
    await store.close();
    throw error;
  }
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
    deliverability: deps.mailAuth.deliverability({
      submission: deps.ports.submission ?? undefined,
      submissions: deps.ports.smtps ?? undefined,
      imap: deps.ports.imap ?? undefined,
      imaps: deps.ports.imaps ?? undefined,
      pop3: deps.ports.pop3 ?? undefined,
      pop3s: deps.ports.pop3s ?? undefined,
    }),
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
async function listen<T>(
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

/**
 * MAILROOM_POSTMASTER names an address that should exist; until it does, postmaster mail takes the
 * default route (each domain's first account), so a typo is worth a warning, not a refusal to start.
 */
async function checkPostmaster(store: Store, config: Config, log: Logger): Promise<void> {
  if (config.postmaster === undefined) return;
  const target = await recipientResolve(store.read, config.postmaster);
  if (target.kind !== "local")
    log.warn("postmaster.unknown", {
      postmaster: config.postmaster,
      detail: "not a local account or alias; postmaster mail goes to each domain's first account",
    });
}

/** The admin token lives in <data-dir>/admin-token (mode 0600), generated on first start. */
function loadOrCreateAdminToken(config: Config, log: Logger): string {
  const path = join(config.dataDir, "admin-token");
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const token = randomBytes(24).toString("base64url");
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  log.info("admin_token.created", { path });
  process.stderr.write(`admin token written to ${path}\n`);
  return token;
}

/** MAILROOM_TLS_CA_FILE: the PEM certificates in it, or a clear start-up error. */
function loadExtraCa(config: Config): string[] | undefined {
  if (!config.tlsCaFile) return undefined;
  let text: string;
  try {
    text = readFileSync(config.tlsCaFile, "utf8");
  } catch (error) {
    throw new StartupError(
      `cannot read ${settingSource("tlsCaFile")} ${config.tlsCaFile}: ${(error as Error).message}`,
    );
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0)
    throw new StartupError(`${settingSource("tlsCaFile")} ${config.tlsCaFile} holds no PEM certificate`);
  return pems.map((p) => `${p}\n`);
}

/** The certificate from MAILROOM_TLS_CERT/KEY, or the self-signed one; a bad pair stops the start. */
function loadTls(config: Config, log: Logger): TlsProvider {
  try {
    return TlsProvider.create(config, log.child({ proto: "tls" }));
  } catch (error) {
    if (error instanceof TlsSetupError) throw new StartupError(error.message);
    throw error;
  }
}

/**
 * SIGHUP rereads the certificate files (after a renewal): new handshakes use them, open connections
 * keep theirs. A broken pair is reported and the previous one stays in use. Returns the unsubscribe.
 */
function reloadOnHangup(tls: TlsProvider, log: Logger): () => void {
  const onHangup = () => {
    log.info("signal", { signal: "SIGHUP" });
    try {
      tls.reload();
      process.stderr.write(`reloaded the TLS certificate from ${tls.source.certPath}\n`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error("tls.reload_failed", { error: message });
      process.stderr.write(`mailroom: TLS reload failed, keeping the previous certificate: ${message}\n`);
    }
  };
  process.on("SIGHUP", onHangup);
  return () => process.off("SIGHUP", onHangup);
}

function waitForSignal(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: string) => {
      log.info("signal", { signal });
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
