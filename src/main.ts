/**
 * The composition root: argv -> config -> certificate -> store -> listeners -> signals. Owns start,
 * stop and reload (SIGHUP rereads the TLS certificate). `main()` returns the process exit code; the
 * runtime entry (src/runtime/) exits with it.
 */
import { join } from "node:path";
import { AcmeChallenges, CertificateManager, type CertificateManagerOptions } from "./acme/mod.ts";
import { type DkimKeeper, startMailAuth } from "./auth/mod.ts";
import { backupMakerOf } from "./backup/control.ts";
import { startBackupSchedule } from "./backup/mod.ts";
import { NamespaceKeeper } from "./catch/namespaces.ts";
import { CatchPolicy } from "./catch/policy.ts";
import { ChaosRules } from "./chaos/rules.ts";
import { backupCommand, restoreCommand } from "./cli/backup.ts";
import { dnsCommand } from "./cli/dns.ts";
import type { ToolCommand } from "./cli/mod.ts";
import { exportCommand, importCommand } from "./cli/transfer.ts";
import { type Config, ConfigError, helpText, loadConfig, parseArgs, unprivilegedDefaults } from "./config.ts";
import { pidFileWrite, prepareDataDir, restrictUmask, warnAboutLoosePermissions } from "./data-dir.ts";
import { DnsResolver, systemDnsServers } from "./dns/mod.ts";
import { EventBus } from "./events/bus.ts";
import { feedStoreEvents } from "./events/store-feed.ts";
import { startHousekeeping } from "./housekeeping.ts";
import {
  challengeTypesOf,
  LISTENERS,
  type ListenerDeps,
  type ListenerName,
  type ListenerPorts,
  type ListenerRow,
  listen,
  listenerStatus,
  StartupError,
} from "./listeners.ts";
import { createLogger, type Logger } from "./log.ts";
import { startLoopMonitor } from "./metrics/event-loop.ts";
import type { Listener } from "./net/listener.ts";
import { AccountSessions } from "./pop3/context.ts";
import { DEFAULT_LIMITS as POP3_LIMITS } from "./pop3/limits.ts";
import type { Runtime } from "./runtime/types.ts";
import { AuthFailures } from "./security/auth-failures.ts";
import { MEMORY_LIMITS } from "./security/limits.ts";
import { createMemoryBudgets } from "./security/memory-budget.ts";
import { RecentRefusals } from "./security/recent-refusals.ts";
import { InboundAuth } from "./smtp/authentication/mod.ts";
import { createQueueRunner } from "./smtp/queue/runner.ts";
import { createDmarcReporter } from "./smtp/reports/dmarc-reporter.ts";
import { createTlsReporter } from "./smtp/reports/tls-reporter.ts";
import { SpamDefence } from "./spam/mod.ts";
import {
  checkPostmaster,
  listenersTable,
  loadExtraCa,
  loadOrCreateAdminToken,
  loadPemFile,
  loadTls,
  reloadOnHangup,
  waitForSignal,
} from "./startup.ts";
import { domainCreate, SpoolDir, Store } from "./store/mod.ts";
import type { TlsProvider } from "./tls/mod.ts";
import { VERSION } from "./version.ts";
import { WebhookDispatcher } from "./webhooks/dispatcher.ts";

export type { ListenerName };
export { VERSION };

/** The subcommands that run a tool on the data directory instead of the server. */
const TOOLS: Record<string, ToolCommand> = {
  backup: backupCommand,
  restore: restoreCommand,
  import: importCommand,
  export: exportCommand,
};

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
    const tool = TOOLS[command];
    if (tool) {
      return await tool({
        config,
        migrations: runtime.migrations,
        args: args.args,
        options: args.options,
        out: (text) => process.stdout.write(text),
        err: (text) => process.stderr.write(text),
        interactive: Boolean(process.stderr.isTTY),
      });
    }
    const moved = unprivilegedDefaults(args.flags, process.env);
    if (moved.length > 0)
      process.stderr.write(
        "note: not running as root, so the default ports are unprivileged ones (2525, 2587, 2465, 1110, 1995, 1143, 1993; public web 8081, 8443); set the MAILROOM_*_PORT variables to choose\n",
      );
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

export interface RunningServer {
  config: Config;
  store: Store;
  /** The port each listener of LISTENERS bound, by name; null for a listener turned off. */
  ports: ListenerPorts;
  adminToken: string;
  /** The certificate every TLS listener and STARTTLS uses; `reload()` on SIGHUP. */
  tls: TlsProvider;
  /** The one DNS resolver (and cache) every lookup goes through. */
  dns: DnsResolver;
  /** DKIM keys of the local domains: rotation, retirement (tests call retireDue with a later clock). */
  dkim: DkimKeeper;
  /** Issue 16: the live events every SSE stream and webhook reads. */
  events: EventBus;
  /** The ACME certificate manager; undefined unless MAILROOM_ACME_DIRECTORY is set. */
  certificates: CertificateManager | undefined;
  stop(): Promise<void>;
}

/** What tests may hand a server started in-process instead of what it builds itself. */
export interface ServerParts {
  /** The failed-login limiter every protocol shares (tests use small delays and thresholds). */
  authFailures?: AuthFailures;
  /** Shorter ACME backoff and settling times (tests). */
  acmeTimings?: CertificateManagerOptions["timings"];
}

/** Starts every configured listener on an opened store. Exported for tests, which run it in-process. */
export async function startServer(
  runtime: Runtime,
  config: Config,
  log: Logger,
  parts: ServerParts = {},
): Promise<RunningServer> {
  prepareDataDir(config);
  const startedAt = Date.now();
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
    // Issue 14: moves into and out of Junk queue lessons for rspamd, when there is one.
    features: { spamLearning: config.rspamdUrl !== undefined },
    reserveBytes: config.diskReserve,
  });
  if (config.diskReserve > 0 && store.reserve?.held === 0)
    log.warn("disk_reserve.unavailable", {
      detail: "no room for the disk reserve: on a full disk, deletions may fail too",
    });
  // `mailroom restore` refuses to replace the database while this file names a live process.
  const removePidFile = pidFileWrite(config);
  // One resolver for the whole server, so that every feature shares its cache and its limits.
  const dns = new DnsResolver({
    servers: config.dnsServers.length > 0 ? config.dnsServers : systemDnsServers(),
    log: log.child({ proto: "dns" }),
  });
  const stops: Array<() => Promise<void>> = [async () => dns.close()];
  const stopLoopMonitor = startLoopMonitor();
  stops.push(async () => stopLoopMonitor());
  stops.push(startHousekeeping(store, log.child({ proto: "db" })));
  if (config.backupDir !== undefined) {
    const schedule = { dir: config.backupDir, keep: config.backupKeep, everyMs: config.backupInterval };
    const make = backupMakerOf(store, config, runtime.selfCommand);
    stops.push(startBackupSchedule(make, { ...schedule, log: log.child({ proto: "backup" }) }));
  }
  try {
    // After opening, so the -wal and -shm files exist; before the listeners, so it is said first.
    warnAboutLoosePermissions(config, log);
    await store.write((w) => domainCreate(w, config.domain, { ifMissing: true }));
    await checkPostmaster(store, config, log);
    // Issue 11: DKIM keys for every local domain; outgoing mail and DSNs are signed when queued.
    const mailAuth = startMailAuth({ store, log: log.child({ proto: "dkim" }), config, resolver: dns });
    stops.push(() => mailAuth.stop());
    // Issue 14: port 25's defence (block lists, greylisting, rspamd and its learning).
    const defence = spamDefence(config, dns, store, log);
    defence.start();
    stops.push(() => defence.stop());
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
    // Issue 17: the dashboard's recent refusals: failed logins here, SMTP refusals from the SMTP
    // listeners' own hook (src/smtp/metrics.ts).
    const refusals = new RecentRefusals();
    const unlistenRefusals = authFailures.listen((f) => refusals.add({ kind: "auth", at: Date.now(), ...f }));
    stops.push(async () => unlistenRefusals());
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
    // What both daily aggregate reporters (src/smtp/reports/daily-reporter.ts) are given alike:
    // reports come from this host, name our postmaster, and go out through the queue, signed.
    const reporting = {
      store,
      resolver: dns,
      hostname: config.hostname,
      domain: config.domain,
      onQueued: () => queue.kick(),
      sign: mailAuth.signNotice,
    };
    // RFC 8460: the daily TLS reports of what the queue recorded.
    const tlsReports = createTlsReporter({
      ...reporting,
      log: log.child({ proto: "tlsrpt" }),
      ...(extraCa ? { extraCa } : {}),
    });
    if (!config.catch) tlsReports.start();
    stops.push(async () => tlsReports.stop());
    // Issue 11: SPF, DKIM, DMARC and ARC of what port 25 receives from clients without AUTH.
    const inboundAuth = new InboundAuth({
      dns,
      store,
      log: log.child({ proto: "smtp" }),
      hostname: config.hostname,
      spfReject: config.spfReject,
    });
    // RFC 7489 §7.2: the daily DMARC aggregate reports of what port 25 received.
    const dmarcReports = createDmarcReporter({ ...reporting, log: log.child({ proto: "dmarc" }) });
    if (!config.catch) dmarcReports.start();
    stops.push(async () => dmarcReports.stop());

    // Automatic certificates: the stored one is served from the first handshake on; orders start
    // once the public listeners (which answer the challenges) are bound.
    const acmeChallenges = new AcmeChallenges();
    const certificates = config.acmeDirectory
      ? new CertificateManager({
          store,
          log: log.child({ proto: "acme" }),
          tls,
          challenges: acmeChallenges,
          directory: config.acmeDirectory,
          email: config.acmeEmail,
          extraCa: config.acmeCaFile ? loadPemFile(config.acmeCaFile, "acmeCaFile") : undefined,
          resolver: dns,
          hostname: config.hostname,
          challengeTypes: challengeTypesOf(runtime, config, log),
          ...(parts.acmeTimings ? { timings: parts.acmeTimings } : {}),
        })
      : undefined;
    if (certificates) {
      await certificates.loadStored();
      stops.push(() => certificates.stop());
    }

    const rows: readonly (ListenerRow & { name: ListenerName })[] = LISTENERS;
    // Filled as each listener binds; the admin API (started last) reads it for the DNS records.
    const ports = Object.fromEntries(rows.map((row) => [row.name, null])) as RunningServer["ports"];
    // Issue 17: the bound listeners, for GET /api/v1/listeners (their open connections).
    const bound = new Map<string, Listener>();
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
      inboundAuth,
      defence,
      tlsReports,
      dmarcReports,
      ports,
      pop3Sessions: new AccountSessions(POP3_LIMITS.maxSessionsPerAccount),
      adminToken,
      catching,
      namespaces,
      events,
      webhooks,
      chaos,
      acmeChallenges,
      certificates,
      listenersBound: () => rows.every((row) => config[row.port] === null || ports[row.name] !== null),
      startedAt,
      refusals,
      listeners: () => listenerStatus(rows, config, ports, bound),
    };
    const table: Array<[string, string]> = [];
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
      bound.set(row.name, listener);
      const address = `${row.scheme ? `${row.scheme}://` : ""}${host}:${listener.port}`;
      log.info("listening", { proto: row.name, address });
      table.push([row.label ?? row.name, address]);
    }
    // One table once everything is bound (test/harness/child-server.ts reads the ports from it).
    process.stderr.write(
      listenersTable(table, config.adminToken ? undefined : join(config.dataDir, "admin-token")),
    );
    certificates?.start();

    return {
      config,
      store,
      ports,
      adminToken,
      tls,
      dns,
      dkim: mailAuth.keeper,
      events,
      certificates,
      async stop() {
        log.info("stopping");
        // Listeners first (they finish their in-flight transactions), then the store flushes and closes.
        await Promise.allSettled(stops.reverse().map((stop) => stop()));
        await store.close();
        removePidFile();
        log.info("stopped");
      },
    };
  } catch (error) {
    await Promise.allSettled(stops.map((stop) => stop()));
    await store.close();
    removePidFile();
    throw error;
  }
}

/** The inbound defence as the settings describe it (issue 14). */
function spamDefence(config: Config, dns: DnsResolver, store: Store, log: Logger): SpamDefence {
  return new SpamDefence({
    settings: {
      ...(config.rspamdUrl
        ? {
            rspamd: {
              url: config.rspamdUrl,
              password: config.rspamdPassword,
              timeoutMs: config.rspamdTimeout,
              failClosed: config.rspamdFail === "closed",
            },
          }
        : {}),
      dnsbl: config.dnsbl,
      rhsbl: config.rhsbl,
      listAction: config.dnsblAction,
      greetDelayMs: config.greetDelay,
      greylist: config.greylist,
      thresholds: { junk: config.spamJunkScore, reject: config.spamRejectScore },
      rateConnections: config.rateConnections,
      rateMessages: config.rateMessages,
      trustedNetworks: config.trustedNetworks,
    },
    resolver: dns,
    store,
    log: log.child({ proto: "spam" }),
    now: config.spamClock,
  });
}
