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
import { type DkimKeeper, startMailAuth } from "./auth/mod.ts";
import { dnsCommand } from "./cli/dns.ts";
import { type Config, ConfigError, helpText, loadConfig, parseArgs, settingSource } from "./config.ts";
import { prepareDataDir, restrictUmask, warnAboutLoosePermissions } from "./data-dir.ts";
import { DnsResolver, systemDnsServers } from "./dns/mod.ts";
import { IMAP_LIMITS } from "./imap/protocol/limits.ts";
import { type ImapListener, startImap } from "./imap/server.ts";
import { createLogger, type Logger } from "./log.ts";
import { AccountSessions } from "./pop3/context.ts";
import { DEFAULT_LIMITS as POP3_LIMITS } from "./pop3/limits.ts";
import { type Pop3Listener, startPop3 } from "./pop3/server.ts";
import type { HttpServer, Runtime } from "./runtime/types.ts";
import { AuthFailures } from "./security/auth-failures.ts";
import { MEMORY_LIMITS } from "./security/limits.ts";
import { createMemoryBudgets } from "./security/memory-budget.ts";
import type { PlaintextAuthPolicy } from "./security/plaintext-auth.ts";
import { SMTP_LIMITS } from "./smtp/limits.ts";
import { createQueueRunner } from "./smtp/queue/runner.ts";
import { createTlsReporter } from "./smtp/reports/tls-reporter.ts";
import { createInboundSmtp, listenSmtp, type SmtpListener } from "./smtp/server.ts";
import { domainCreate, recipientResolve, SpoolDir, Store } from "./store/mod.ts";
import { TlsProvider, TlsSetupError } from "./tls/mod.ts";

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
  smtpPort: number | null;
  submissionPort: number | null;
  /** Submission over implicit TLS (RFC 8314 §3.3). */
  smtpsPort: number | null;
  pop3Port: number | null;
  imapPort: number | null;
  pop3sPort: number | null;
  imapsPort: number | null;
  httpPort: number | null;
  adminToken: string;
  /** The certificate every TLS listener and STARTTLS uses; `reload()` on SIGHUP. */
  tls: TlsProvider;
  /** The one DNS resolver (and cache) every lookup goes through. */
  dns: DnsResolver;
  /** DKIM keys of the local domains: rotation, retirement (tests call retireDue with a later clock). */
  dkim: DkimKeeper;
  stop(): Promise<void>;
}

/** What tests may hand a server started in-process instead of what it builds itself. */
export interface ServerParts {
  /** The failed-login limiter every protocol shares (tests use small delays and thresholds). */
  authFailures?: AuthFailures;
}

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
  const plaintextAuth: PlaintextAuthPolicy = {
    allow: config.allowPlaintextAuth,
    trustedNetworks: config.trustedNetworks,
  };
  // Messages in transit go to <data-dir>/spool, not memory; what a crash left there is removed now.
  const spool = SpoolDir.open(join(config.dataDir, "spool"), {
    collector: runtime.collectGarbage && {
      collect: runtime.collectGarbage,
      everyBytes: MEMORY_LIMITS.collectEverySpooledBytes,
    },
  });
  // One memory budget for every listener: a flood on one protocol cannot starve another of it.
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
    });
    queue.start();
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
    tlsReports.start();
    stops.push(async () => tlsReports.stop());
    const smtpContext = {
      store,
      hostname: config.hostname,
      primaryDomain: config.domain,
      postmaster: config.postmaster,
      maxMessageSize: config.maxMessageSize,
      bareNewline: config.bareNewline,
      maxRecipients: SMTP_LIMITS.maxRecipients,
      maxConnectionsPerIp: config.maxConnectionsPerIp,
      authFailures,
      queue,
      tls,
      plaintextAuth,
      spool,
      memory,
      signOutgoing: mailAuth.signOutgoing,
      signNotice: mailAuth.signNotice,
    };

    let smtp: SmtpListener | undefined;
    if (config.smtpPort !== null) {
      const server = createInboundSmtp({
        ...smtpContext,
        mode: "inbound",
        log: log.child({ proto: "smtp" }),
      });
      smtp = await listen("smtpPort", config.bind, config.smtpPort, () =>
        listenSmtp(server, config.smtpPort!, config.bind, log.child({ proto: "smtp" })),
      );
      stops.push(() => smtp!.close());
      log.info("listening", { proto: "smtp", address: `${config.bind}:${smtp.port}` });
      process.stderr.write(`smtp listening on ${config.bind}:${smtp.port}\n`);
    }

    let submission: SmtpListener | undefined;
    if (config.submissionPort !== null) {
      const server = createInboundSmtp({
        ...smtpContext,
        mode: "submission",
        log: log.child({ proto: "submission" }),
      });
      submission = await listen("submissionPort", config.bind, config.submissionPort, () =>
        listenSmtp(server, config.submissionPort!, config.bind, log.child({ proto: "submission" })),
      );
      stops.push(() => submission!.close());
      log.info("listening", { proto: "submission", address: `${config.bind}:${submission.port}` });
      process.stderr.write(`submission listening on ${config.bind}:${submission.port}\n`);
    }

    // RFC 8314 §3.3: submission with TLS from the first byte.
    let smtps: SmtpListener | undefined;
    if (config.smtpsPort !== null) {
      const server = createInboundSmtp({
        ...smtpContext,
        mode: "submission",
        implicitTls: true,
        log: log.child({ proto: "smtps" }),
      });
      smtps = await listen("smtpsPort", config.bind, config.smtpsPort, () =>
        listenSmtp(server, config.smtpsPort!, config.bind, log.child({ proto: "smtps" })),
      );
      stops.push(() => smtps!.close());
      log.info("listening", { proto: "smtps", address: `${config.bind}:${smtps.port}` });
      process.stderr.write(`smtps listening on ${config.bind}:${smtps.port}\n`);
    }

    const pop3Context = {
      store,
      log: log.child({ proto: "pop3" }),
      hostname: config.hostname,
      primaryDomain: config.domain,
      bind: config.bind,
      authFailures,
      tls,
      plaintextAuth,
      limits: { maxConnectionsPerAddress: config.maxConnectionsPerIp },
      // One count for both POP3 listeners, so [IN-USE] means the same on 110 and 995.
      accountSessions: new AccountSessions(POP3_LIMITS.maxSessionsPerAccount),
    };
    let pop3: Pop3Listener | undefined;
    if (config.pop3Port !== null) {
      pop3 = await listen("pop3Port", config.bind, config.pop3Port, () =>
        startPop3({ ...pop3Context, port: config.pop3Port! }),
      );
      stops.push(() => pop3!.close());
      log.info("listening", { proto: "pop3", address: `${config.bind}:${pop3.port}` });
      process.stderr.write(`pop3 listening on ${config.bind}:${pop3.port}\n`);
    }

    let pop3s: Pop3Listener | undefined;
    if (config.pop3sPort !== null) {
      pop3s = await listen("pop3sPort", config.bind, config.pop3sPort, () =>
        startPop3({
          ...pop3Context,
          log: log.child({ proto: "pop3s" }),
          port: config.pop3sPort!,
          implicitTls: true,
        }),
      );
      stops.push(() => pop3s!.close());
      log.info("listening", { proto: "pop3s", address: `${config.bind}:${pop3s.port}` });
      process.stderr.write(`pop3s listening on ${config.bind}:${pop3s.port}\n`);
    }

    const imapContext = {
      store,
      log: log.child({ proto: "imap" }),
      hostname: config.hostname,
      primaryDomain: config.domain,
      maxMessageSize: config.maxMessageSize,
      bareNewline: config.bareNewline,
      authFailures,
      tls,
      plaintextAuth,
      spool,
      memory,
    };
    let imap: ImapListener | undefined;
    if (config.imapPort !== null) {
      imap = await listen("imapPort", config.bind, config.imapPort, () =>
        startImap(imapContext, {
          port: config.imapPort!,
          host: config.bind,
          limits: { perAddress: config.maxConnectionsPerIp, total: IMAP_LIMITS.maxConnections },
        }),
      );
      stops.push(() => imap!.close());
      log.info("listening", { proto: "imap", address: `${config.bind}:${imap.port}` });
      process.stderr.write(`imap listening on ${config.bind}:${imap.port}\n`);
    }

    let imaps: ImapListener | undefined;
    if (config.imapsPort !== null) {
      imaps = await listen("imapsPort", config.bind, config.imapsPort, () =>
        startImap(
          { ...imapContext, log: log.child({ proto: "imaps" }) },
          {
            port: config.imapsPort!,
            host: config.bind,
            limits: { perAddress: config.maxConnectionsPerIp, total: IMAP_LIMITS.maxConnections },
            implicitTls: true,
          },
        ),
      );
      stops.push(() => imaps!.close());
      log.info("listening", { proto: "imaps", address: `${config.bind}:${imaps.port}` });
      process.stderr.write(`imaps listening on ${config.bind}:${imaps.port}\n`);
    }

    let http: HttpServer | undefined;
    if (config.httpPort !== null) {
      const app = createApp({
        store,
        log: log.child({ proto: "http" }),
        adminToken,
        config,
        openapi: runtime.openapi,
        queue,
        lockouts: authFailures,
        tlsReports,
        deliverability: mailAuth.deliverability({
          submission: submission?.port,
          submissions: smtps?.port,
          imap: imap?.port,
          imaps: imaps?.port,
          pop3: pop3?.port,
          pop3s: pop3s?.port,
        }),
      });
      http = await listen("httpPort", config.httpBind, config.httpPort, () =>
        runtime.serveHttp({
          hostname: config.httpBind,
          port: config.httpPort!,
          fetch: app.fetch,
          maxRequestBodySize: config.maxMessageSize * 4,
        }),
      );
      stops.push(() => http!.stop());
      log.info("listening", { proto: "http", address: `http://${config.httpBind}:${http.port}` });
      process.stderr.write(`admin api listening on http://${config.httpBind}:${http.port}\n`);
    }

    return {
      config,
      store,
      smtpPort: smtp?.port ?? null,
      submissionPort: submission?.port ?? null,
      smtpsPort: smtps?.port ?? null,
      pop3Port: pop3?.port ?? null,
      imapPort: imap?.port ?? null,
      pop3sPort: pop3s?.port ?? null,
      imapsPort: imaps?.port ?? null,
      httpPort: http?.port ?? null,
      adminToken,
      tls,
      dns,
      dkim: mailAuth.keeper,
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

/** Binds a listener, turning "permission denied" and "address in use" into one clear line. */
async function listen<T>(
  setting:
    | "smtpPort"
    | "submissionPort"
    | "smtpsPort"
    | "pop3Port"
    | "imapPort"
    | "pop3sPort"
    | "imapsPort"
    | "httpPort",
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
