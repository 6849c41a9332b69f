/**
 * Configuration: command-line flags and MAILROOM_* environment variables, validated with zod.
 * Flags win over the environment. The names below are a public contract (README, issues): keep them.
 */
import { isIPv4, isIPv6 } from "node:net";
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import { parseArgs as parseArgv } from "node:util";
import { z } from "zod";
import { parseDnsServers } from "./dns/servers.ts";
import type { BareNewlinePolicy } from "./mime/line-endings.ts";

/** A listener port: a number (0 = any free port, for tests) or "off" to disable the listener. */
const port = z.union([z.literal("off").transform(() => null), z.coerce.number().int().min(0).max(65535)]);

/**
 * Whether the default ports are the standard ones (25, 587, 110, ...): only root may bind them. Any
 * other user gets the unprivileged defaults (2525, 2587, 1110, ...), so a first start just works.
 */
export function privilegedPorts(): boolean {
  return typeof process.getuid !== "function" || process.getuid() === 0;
}

/** The port settings that took their unprivileged default (for the one-line note at start). */
export function unprivilegedDefaults(
  flags: Map<string, string>,
  env: Record<string, string | undefined>,
): string[] {
  if (privilegedPorts()) return [];
  return Object.values(SETTINGS)
    .filter((s) => "defaultHelp" in s && s.defaultHelp?.includes("when not root"))
    .filter((s) => !flags.has(s.flag) && (env[s.env] ?? "") === "")
    .map((s) => s.env);
}

/** A yes/no setting: true/false, yes/no, on/off or 1/0. */
const flag = z
  .string()
  .toLowerCase()
  .refine((v) => /^(true|false|yes|no|on|off|1|0)$/.test(v), "must be true or false")
  .transform((v) => /^(true|yes|on|1)$/.test(v));

const byteSize = z.coerce
  .number()
  .int()
  .min(1024)
  .max(2 ** 31);

/** The ACME directories MAILROOM_ACME_DIRECTORY may name instead of giving a URL. */
export const ACME_DIRECTORIES: Readonly<Record<string, string>> = {
  letsencrypt: "https://acme-v02.api.letsencrypt.org/directory",
  "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
};

/** Text read by `parse`, which throws with a readable message (that message is the one reported). */
function parsedBy<T>(parse: (text: string) => T) {
  return z.string().transform((text, ctx) => {
    try {
      return parse(text);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });
}

/** The settings resolved so far (rows above), for a default that depends on them. */
type Earlier = Readonly<Record<string, unknown>>;

/** A row of SETTINGS. */
type Setting = {
  env: `MAILROOM_${string}`;
  flag: `--${string}`;
  /** Reads the text of the flag, the variable or the default into the value Config holds. */
  schema: z.ZodType;
  help: string;
  /** A yes/no setting whose flag may stand alone (`--catch`), meaning true; `--catch=false` also works. */
  switch?: true;
} & (
  | {
      /** The text used when neither flag nor variable is given; it goes through `schema` like theirs. */
      default: string;
      /** What --help shows instead of `default`, where that text alone would not say it. */
      defaultHelp?: string;
    }
  | { default: (earlier: Earlier) => string; defaultHelp: string }
  /** No default: the setting is optional (undefined in Config until given). */
  | { default?: undefined; defaultHelp: string }
);

/**
 * Every setting, one row each: flag and environment variable (a public contract, keep the names),
 * zod schema, default and --help text. `Config` is inferred from the rows, `loadConfig()` resolves
 * them in this order (flag, then variable, then default) and `helpText()` prints them; no other code
 * lists the settings (loadConfig() names two, for the rule that --tls-cert and --tls-key come
 * together). Adding a setting is adding one row here, with a doc comment on what its value means,
 * and its line in README.md's configuration table.
 */
const SETTINGS = {
  dataDir: {
    env: "MAILROOM_DATA_DIR",
    flag: "--data-dir",
    schema: z.string().min(1),
    help: "directory for mailroom.db and admin-token",
    default: "./data",
  },
  databaseUrl: {
    env: "MAILROOM_DATABASE_URL",
    flag: "--database-url",
    schema: z
      .string()
      .regex(/^(file:|libsql:|https?:|wss?:)/, "must start with file:, libsql:, http(s): or ws(s):"),
    help: "libSQL database URL",
    default: (earlier) => `file:${join(String(earlier.dataDir), "mailroom.db")}`,
    defaultHelp: "file:<data-dir>/mailroom.db",
  },
  hostname: {
    env: "MAILROOM_HOSTNAME",
    flag: "--hostname",
    schema: dnsName("host name"),
    help: "host name used in greetings and Received headers",
    default: () => osHostname() || "localhost",
    defaultHelp: "the machine's host name",
  },
  domain: {
    env: "MAILROOM_DOMAIN",
    flag: "--domain",
    schema: dnsName("domain name"),
    help: "primary local domain, created on start if missing",
    default: (earlier) => String(earlier.hostname),
    defaultHelp: "the host name",
  },
  /** Where postmaster mail goes for domains without a postmaster account or alias; undefined: the default. */
  postmaster: {
    env: "MAILROOM_POSTMASTER",
    flag: "--postmaster",
    // RFC 5321 §4.5.1: postmaster@ every local domain, and bare "postmaster", must be accepted.
    schema: z
      .string()
      .regex(/^[^\s@<>]+@[^\s@<>]+$/, "must be an e-mail address")
      .transform((v) => v.toLowerCase()),
    help: "account or alias that gets postmaster mail of domains without their own postmaster",
    defaultHelp: "each domain's first account, else the server's first account",
  },
  bind: {
    env: "MAILROOM_BIND",
    flag: "--bind",
    schema: z.string().min(1),
    help: "address the mail listeners bind to",
    default: "0.0.0.0",
  },
  smtpPort: {
    env: "MAILROOM_SMTP_PORT",
    flag: "--smtp-port",
    schema: port,
    help: "SMTP port, or off",
    default: () => (privilegedPorts() ? "25" : "2525"),
    defaultHelp: "25 (2525 when not root)",
  },
  submissionPort: {
    env: "MAILROOM_SUBMISSION_PORT",
    flag: "--submission-port",
    schema: port,
    help: "message submission port (RFC 6409, AUTH required), or off",
    default: () => (privilegedPorts() ? "587" : "2587"),
    defaultHelp: "587 (2587 when not root)",
  },
  /** Static routes by recipient domain ("*" for everything else); empty means DNS MX lookups. */
  routes: {
    env: "MAILROOM_ROUTES",
    flag: "--routes",
    schema: parsedBy(parseRoutes),
    help: "static routes overriding DNS: domain=host:port or domain=smtp[s]://user:pass@host:port, ...; *=smarthost",
    default: "",
    defaultHelp: "none (MX lookups)",
  },
  /** Recursive resolvers for every DNS lookup; empty means the system's (src/dns/servers.ts). */
  dnsServers: {
    env: "MAILROOM_DNS_SERVERS",
    flag: "--dns-servers",
    schema: parsedBy(parseDnsServers),
    help: "recursive DNS servers to ask: host[:port],... ([IPv6]:port)",
    default: "",
    defaultHelp: "the system's, from /etc/resolv.conf",
  },
  /** Extra trusted CAs (PEM path) for outbound verification: MTA-STS fetches, verified SMTP TLS. */
  tlsCaFile: {
    env: "MAILROOM_TLS_CA_FILE",
    flag: "--tls-ca-file",
    schema: z.string().min(1),
    help: "PEM file of extra CAs trusted when verifying peers (MTA-STS policy fetch, SMTP TLS)",
    defaultHelp: "none (the system's CAs)",
  },
  /** Port of the MTA-STS policy host (443 but in tests). */
  mtaStsPort: {
    env: "MAILROOM_MTA_STS_PORT",
    flag: "--mta-sts-port",
    schema: z.coerce.number().int().min(1).max(65535),
    help: "HTTPS port MTA-STS policies are fetched from (RFC 8461 §3.3; tests use another)",
    default: "443",
  },
  /** Retry intervals in ms after temporary failures; the last one repeats. */
  queueRetry: {
    env: "MAILROOM_QUEUE_RETRY",
    flag: "--queue-retry",
    schema: z.string().transform((text, ctx) => {
      const list = text.split(",").map((d) => parseDuration(d.trim()));
      if (list.length === 0 || list.some((d) => d === undefined || d <= 0)) {
        ctx.addIssue({ code: "custom", message: "must be durations like 1m,5m,1h (units s, m, h, d)" });
        return z.NEVER;
      }
      return list as number[];
    }),
    help: "retry intervals after temporary failures; the last one repeats",
    default: "1m,5m,15m,30m,1h,2h,4h",
  },
  /** Queue lifetime in ms before a message bounces. */
  queueMaxAge: {
    env: "MAILROOM_QUEUE_MAX_AGE",
    flag: "--queue-max-age",
    schema: duration({ example: "5d" }),
    help: "how long a message may wait in the queue before it bounces",
    default: "5d",
  },
  dkimGrace: {
    env: "MAILROOM_DKIM_GRACE",
    flag: "--dkim-grace",
    schema: duration({ example: "7d" }),
    help: "how long a rotated-out DKIM key stays published before it is retired",
    default: "7d",
  },
  pop3Port: {
    env: "MAILROOM_POP3_PORT",
    flag: "--pop3-port",
    schema: port,
    help: "POP3 port, or off",
    default: () => (privilegedPorts() ? "110" : "1110"),
    defaultHelp: "110 (1110 when not root)",
  },
  imapPort: {
    env: "MAILROOM_IMAP_PORT",
    flag: "--imap-port",
    schema: port,
    help: "IMAP port, or off",
    default: () => (privilegedPorts() ? "143" : "1143"),
    defaultHelp: "143 (1143 when not root)",
  },
  /** Implicit TLS listeners (RFC 8314 §3.3). */
  pop3sPort: {
    env: "MAILROOM_POP3S_PORT",
    flag: "--pop3s-port",
    schema: port,
    help: "POP3 over implicit TLS port (RFC 8314), or off",
    default: () => (privilegedPorts() ? "995" : "1995"),
    defaultHelp: "995 (1995 when not root)",
  },
  imapsPort: {
    env: "MAILROOM_IMAPS_PORT",
    flag: "--imaps-port",
    schema: port,
    help: "IMAP over implicit TLS port (RFC 8314), or off",
    default: () => (privilegedPorts() ? "993" : "1993"),
    defaultHelp: "993 (1993 when not root)",
  },
  smtpsPort: {
    env: "MAILROOM_SMTPS_PORT",
    flag: "--smtps-port",
    schema: port,
    help: "message submission over implicit TLS port (RFC 8314), or off",
    default: () => (privilegedPorts() ? "465" : "2465"),
    defaultHelp: "465 (2465 when not root)",
  },
  /** PEM files; both or neither. Neither: a self-signed pair in <data-dir>/tls/. */
  tlsCert: {
    env: "MAILROOM_TLS_CERT",
    flag: "--tls-cert",
    schema: z.string().min(1),
    help: "PEM certificate chain for TLS; reread on SIGHUP",
    defaultHelp: "self-signed, generated into <data-dir>/tls/",
  },
  tlsKey: {
    env: "MAILROOM_TLS_KEY",
    flag: "--tls-key",
    schema: z.string().min(1),
    help: "PEM private key of --tls-cert; reread on SIGHUP",
    defaultHelp: "generated with the certificate",
  },
  /** Passwords over connections without TLS from addresses outside `trustedNetworks`. */
  allowPlaintextAuth: {
    env: "MAILROOM_ALLOW_PLAINTEXT_AUTH",
    flag: "--allow-plaintext-auth",
    schema: flag,
    help: "accept passwords without TLS from clients outside --trusted-networks",
    default: "false",
  },
  /** SPF fail without a DMARC record: refuse (550 5.7.23) instead of delivering with the result recorded. */
  spfReject: {
    env: "MAILROOM_SPF_REJECT",
    flag: "--spf-reject",
    // RFC 7208 §8.4: a receiver may reject on SPF "fail"; by default it is recorded and delivered
    // (DMARC decides where the author domain has a record).
    schema: flag,
    help: "refuse mail whose SPF fails (-all) when its From domain has no DMARC record (550 5.7.23)",
    default: "false",
  },
  /**
   * Networks (CIDR) whose connections may send passwords without TLS: by default the loopback
   * addresses themselves, where nobody can listen in. Not all of 127.0.0.0/8: a local proxy or port
   * forwarder on another 127.x address would make the remote clients it forwards look local.
   */
  trustedNetworks: {
    env: "MAILROOM_TRUSTED_NETWORKS",
    flag: "--trusted-networks",
    schema: parsedBy(parseNetworks),
    help: "networks (CIDR, comma-separated, or none) that may send passwords without TLS",
    default: "127.0.0.1/32,::1/128",
  },
  httpBind: {
    env: "MAILROOM_HTTP_BIND",
    flag: "--http-bind",
    schema: z.string().min(1),
    help: "address the admin API binds to",
    default: "127.0.0.1",
  },
  httpPort: {
    env: "MAILROOM_HTTP_PORT",
    flag: "--http-port",
    schema: port,
    help: "admin API port, or off",
    default: "8080",
  },
  /**
   * Issue 16: "auto" binds every listener that is not off to a free port (port 0), whatever its own
   * setting says; the chosen ports are in the `{"event":"ready","ports":{...}}` line on stdout, so a
   * test in any language can start the server and find it without picking ports itself.
   */
  ports: {
    env: "MAILROOM_PORTS",
    flag: "--ports",
    schema: z.enum(["auto", "fixed"]),
    help: "auto: every listener on a free port, printed in the ready line on stdout; fixed: the port settings",
    default: "fixed",
  },
  /**
   * The public web listeners (ACME challenges, MTA-STS policy, client autoconfiguration), bound on
   * --bind like the mail listeners; they never serve the admin API.
   */
  publicHttpPort: {
    env: "MAILROOM_PUBLIC_HTTP_PORT",
    flag: "--public-http-port",
    schema: port,
    help: "public HTTP port (ACME HTTP-01, autoconfig, autodiscover; never the admin API), or off",
    default: () => (privilegedPorts() ? "80" : "8081"),
    defaultHelp: "80 (8081 when not root)",
  },
  publicHttpsPort: {
    env: "MAILROOM_PUBLIC_HTTPS_PORT",
    flag: "--public-https-port",
    schema: port,
    help: "public HTTPS port (ACME TLS-ALPN-01, MTA-STS policy, autoconfig, autodiscover), or off",
    default: () => (privilegedPorts() ? "443" : "8443"),
    defaultHelp: "443 (8443 when not root)",
  },
  /** An RFC 8555 directory URL; undefined: no automatic certificates. */
  acmeDirectory: {
    env: "MAILROOM_ACME_DIRECTORY",
    flag: "--acme-directory",
    schema: z
      .string()
      .transform((v) => ACME_DIRECTORIES[v.toLowerCase()] ?? v)
      .pipe(
        z.url({ protocol: /^https$/, error: "must be an https:// URL, letsencrypt or letsencrypt-staging" }),
      ),
    help: "ACME directory (an https:// URL, letsencrypt or letsencrypt-staging) for automatic certificates",
    defaultHelp: "none (no automatic certificates)",
  },
  acmeEmail: {
    env: "MAILROOM_ACME_EMAIL",
    flag: "--acme-email",
    schema: z.string().regex(/^[^\s@<>,]+@[^\s@<>,]+$/, "must be an e-mail address"),
    help: "contact address given to the ACME certificate authority (expiry notices)",
    defaultHelp: "none",
  },
  /** Extra trusted CAs (PEM) for the ACME server's own HTTPS certificate (a private ACME server). */
  acmeCaFile: {
    env: "MAILROOM_ACME_CA_FILE",
    flag: "--acme-ca-file",
    schema: z.string().min(1),
    help: "PEM file of CAs trusted for the ACME server's HTTPS (a private ACME server)",
    defaultHelp: "none (the system's CAs)",
  },
  /** Undefined until main() reads or generates the token file. */
  adminToken: {
    env: "MAILROOM_ADMIN_TOKEN",
    flag: "--admin-token",
    schema: z.string().min(16, "must be at least 16 characters"),
    help: "bearer token for /api/v1",
    defaultHelp: "generated into <data-dir>/admin-token",
  },
  /** /metrics without the admin token (for a scraper on a trusted network). */
  metricsPublic: {
    env: "MAILROOM_METRICS_PUBLIC",
    flag: "--metrics-public",
    schema: flag,
    help: "serve /metrics on the admin listener without the admin token",
    default: "false",
  },
  maxMessageSize: {
    env: "MAILROOM_MAX_MESSAGE_SIZE",
    flag: "--max-message-size",
    schema: byteSize,
    help: "largest accepted message in bytes",
    default: "26214400",
  },
  /** A bare CR or LF in received mail: refuse the message, or turn it into CRLF first. */
  bareNewline: {
    env: "MAILROOM_BARE_NEWLINE",
    flag: "--bare-newline",
    // RFC 5322 §2.3: CR and LF only as CRLF. A bare one reads as a line end to some programs and not
    // to others, which lets a message show one From to our check and another to the next hop.
    schema: z.enum(["reject", "normalize"]) satisfies z.ZodType<BareNewlinePolicy>,
    help: "a bare CR or LF in SMTP DATA or IMAP APPEND: reject (554 5.6.0 / NO) or normalize to CRLF",
    default: "reject",
  },
  /** The rspamd controller (its /checkv2 and learn endpoints, issue 14); no filter when absent. */
  rspamdUrl: {
    env: "MAILROOM_RSPAMD_URL",
    flag: "--rspamd-url",
    schema: z
      .string()
      .url("must be a URL like http://127.0.0.1:11334")
      .refine((v) => /^https?:\/\//i.test(v), "must be an http:// or https:// URL")
      .transform((v) => v.replace(/\/+$/, "")),
    help: "rspamd controller URL (e.g. http://127.0.0.1:11334): spam scoring at the end of DATA, learning from Junk",
    defaultHelp: "off",
  },
  /** The controller's password (its `password`/`enable_password`); sent as rspamd's Password header. */
  rspamdPassword: {
    env: "MAILROOM_RSPAMD_PASSWORD",
    flag: "--rspamd-password",
    schema: z.string().min(1),
    help: "password of the rspamd controller",
    defaultHelp: "none",
  },
  /** Milliseconds a scan may take before the message is treated as an rspamd outage. */
  rspamdTimeout: {
    env: "MAILROOM_RSPAMD_TIMEOUT",
    flag: "--rspamd-timeout",
    schema: duration({ example: "5s", max: ["2m", 120_000] }),
    help: "how long a scan may take before rspamd counts as unavailable",
    default: "5s",
  },
  /** rspamd unreachable, slow or answering nonsense: deliver on the built-in score ("open") or 451 ("closed"). */
  rspamdFail: {
    env: "MAILROOM_RSPAMD_FAIL",
    flag: "--rspamd-fail",
    schema: z.enum(["open", "closed"]),
    help: "when rspamd is unavailable: open (deliver with the built-in score, and log) or closed (451 4.7.1)",
    default: "open",
  },
  /** DNS block and allow lists of client addresses; a negative weight makes a zone an allow list (DNSWL). */
  dnsbl: {
    env: "MAILROOM_DNSBL",
    flag: "--dnsbl",
    schema: parsedBy(parseListZones),
    help: "DNSBL/DNSWL zones for the client address: zone[:weight],... (negative weight: allow list)",
    default: "",
    defaultHelp: "none",
  },
  /** Domain block lists asked for the HELO name and the MAIL FROM domain (RHSBL). */
  rhsbl: {
    env: "MAILROOM_RHSBL",
    flag: "--rhsbl",
    schema: parsedBy(parseListZones),
    help: "RHSBL zones for the HELO and MAIL FROM domains: zone[:weight],...",
    default: "",
    defaultHelp: "none",
  },
  /** What a block list listing does: refuse the client (554 5.7.1) or add its weight to the score. */
  dnsblAction: {
    env: "MAILROOM_DNSBL_ACTION",
    flag: "--dnsbl-action",
    schema: z.enum(["reject", "score"]),
    help: "a DNSBL/RHSBL listing: reject (554 5.7.1 at connect or RCPT) or score (adds the zone's weight)",
    default: "reject",
  },
  /** Milliseconds to hold the greeting back, watching for clients that talk first (0: off). */
  greetDelay: {
    env: "MAILROOM_GREET_DELAY",
    flag: "--greet-delay",
    schema: duration({ example: "2s", max: ["60s", 60_000], off: true }),
    help: "delay before the SMTP greeting on port 25, during which a client that talks is refused (554)",
    default: "off",
  },
  /** RFC 6647 greylisting of unknown (client network, sender, recipient) triplets on port 25. */
  greylist: {
    env: "MAILROOM_GREYLIST",
    flag: "--greylist",
    schema: flag,
    help: "greylist new senders on port 25 (451 4.7.1 for 5 minutes; remembered 36 days)",
    default: "false",
  },
  /** Built-in score (without rspamd) at which a message goes to Junk. */
  spamJunkScore: {
    env: "MAILROOM_SPAM_JUNK_SCORE",
    flag: "--spam-junk-score",
    schema: z.coerce.number().min(-1000).max(1000),
    help: "built-in spam score from which mail is delivered to Junk",
    default: "5",
  },
  /** Built-in score (without rspamd) at which a message is refused. */
  spamRejectScore: {
    env: "MAILROOM_SPAM_REJECT_SCORE",
    flag: "--spam-reject-score",
    schema: z.coerce.number().min(-1000).max(1000),
    help: "built-in spam score from which mail is refused (550 5.7.1)",
    default: "10",
  },
  /** New connections one client address may open per minute on port 25 (0: no limit). */
  rateConnections: {
    env: "MAILROOM_RATE_CONNECTIONS",
    flag: "--rate-connections",
    schema: z.coerce.number().int().min(0).max(1_000_000),
    help: "SMTP connections per minute from one client address on port 25, 0 for no limit (421 4.7.0 past it)",
    default: "600",
  },
  /** Messages one client address may send per minute on port 25 (0: no limit). */
  rateMessages: {
    env: "MAILROOM_RATE_MESSAGES",
    flag: "--rate-messages",
    schema: z.coerce.number().int().min(0).max(1_000_000),
    help: "messages per minute from one client address on port 25, 0 for no limit (421 4.7.0 past it)",
    default: "3000",
  },
  /** Per mail listener (SMTP, POP3, IMAP): one host cannot take every slot. */
  maxConnectionsPerIp: {
    env: "MAILROOM_MAX_CONNECTIONS_PER_IP",
    flag: "--max-connections-per-ip",
    schema: z.coerce.number().int().min(1).max(100_000),
    help: "connections one client address may hold on each mail listener",
    default: "50",
  },
  /** Mailboxes per account: each one costs every LIST of its account (one user stalling the server). */
  maxMailboxes: {
    env: "MAILROOM_MAX_MAILBOXES",
    flag: "--max-mailboxes",
    // At least room for the six mailboxes every account starts with, and a few of its own.
    schema: z.coerce.number().int().min(10).max(1_000_000),
    help: "mailboxes one account may have (IMAP CREATE beyond: NO [LIMIT])",
    default: "1000",
  },
  /**
   * Issue 16, catch mode (for testing): SMTP takes mail for every address at every domain, the first
   * message to an address creating its account; nothing is relayed; any SMTP AUTH credentials and,
   * for existing addresses, any IMAP/POP3 password are accepted. Never on a server facing real mail.
   */
  catch: {
    env: "MAILROOM_CATCH",
    flag: "--catch",
    switch: true,
    schema: flag,
    help: "catch mode for testing: keep all mail for any address, relay nothing, accept any password",
    default: "false",
  },
  /**
   * Issue 16: webhooks may go to private, loopback and link-local addresses. Off by default: a
   * webhook URL must not make the server a probe of its own network (SSRF). Tests turn it on.
   */
  webhooksAllowPrivate: {
    env: "MAILROOM_WEBHOOKS_ALLOW_PRIVATE",
    flag: "--webhooks-allow-private",
    switch: true,
    schema: flag,
    help: "let webhooks go to private and loopback addresses (tests, a receiver on this host)",
    default: "false",
  },
  /**
   * Issue 16: fault injection (PUT /api/v1/chaos) for testing clients' retry logic. Off by default,
   * and the API refuses rules with 403: a server facing real mail must not be made to fail on purpose.
   */
  chaos: {
    env: "MAILROOM_CHAOS",
    flag: "--chaos",
    switch: true,
    schema: flag,
    help: "allow fault injection rules (PUT /api/v1/chaos) in SMTP, IMAP, POP3 and delivery",
    default: "false",
  },
  /** RFC 7888 §5: a server advertises LITERAL+ or LITERAL-, never both. */
  imapLiteral: {
    env: "MAILROOM_IMAP_LITERAL",
    flag: "--imap-literal",
    schema: z.enum(["plus", "minus"]),
    help: "non-synchronizing literals: plus (LITERAL+, any size) or minus (LITERAL-, at most 4096 octets)",
    default: "plus",
  },
  /** RFC 8437 §8: behind a proxy that checks only the first login, UNAUTHENTICATE would bypass it. */
  imapUnauthenticate: {
    env: "MAILROOM_IMAP_UNAUTHENTICATE",
    flag: "--imap-unauthenticate",
    schema: flag,
    help: "offer IMAP UNAUTHENTICATE (RFC 8437), which lets one connection log in again as another user",
    default: "true",
  },
  /** RFC 9738: one command works on at most this many messages (a command over a huge mailbox holds the server). */
  imapMessageLimit: {
    env: "MAILROOM_IMAP_MESSAGE_LIMIT",
    flag: "--imap-message-limit",
    // RFC 9738 §3: "SHOULD NOT be lower than 1000".
    schema: z.coerce.number().int().min(1000).max(0xffffffff),
    help: "messages one IMAP command may work on (MESSAGELIMIT, RFC 9738)",
    default: "1000000",
  },
  /** RFC 9738 §3: MESSAGELIMIT (every command) or SAVELIMIT (only COPY and APPEND), never both. */
  imapMessageLimitScope: {
    env: "MAILROOM_IMAP_MESSAGE_LIMIT_SCOPE",
    flag: "--imap-message-limit-scope",
    schema: z.enum(["all", "save"]),
    help: "all: MESSAGELIMIT covers FETCH, STORE, SEARCH, MOVE, UID EXPUNGE, COPY, APPEND; save: SAVELIMIT, only COPY and APPEND",
    default: "all",
  },
  /** Bytes of the disk reserve (0: none): given back when the disk fills, so deletions still work. */
  diskReserve: {
    env: "MAILROOM_DISK_RESERVE",
    flag: "--disk-reserve",
    schema: z.coerce
      .number()
      .int()
      .min(0)
      .max(2 ** 40),
    help: "bytes kept free in <database>.reserve and given back when the disk fills, so deletions still work (0: none; at most 5% of the file system)",
    default: String(32 * 1024 * 1024),
    defaultHelp: "33554432 (32 MiB)",
  },
  /** Where scheduled backups go; undefined: no schedule (POST /api/v1/backups then uses <data-dir>/backups). */
  backupDir: {
    env: "MAILROOM_BACKUP_DIR",
    flag: "--backup-dir",
    schema: z.string().min(1),
    help: "directory for scheduled backups (and POST /api/v1/backups); setting it turns the schedule on",
    defaultHelp: "no schedule; POST /api/v1/backups writes to <data-dir>/backups",
  },
  /** How many backups the schedule keeps in the backup directory (older ones are removed). */
  backupKeep: {
    env: "MAILROOM_BACKUP_KEEP",
    flag: "--backup-keep",
    schema: z.coerce.number().int().min(1).max(10_000),
    help: "backups kept in the backup directory; older ones are removed after each backup",
    default: "7",
  },
  /** Milliseconds between scheduled backups. */
  backupInterval: {
    env: "MAILROOM_BACKUP_INTERVAL",
    flag: "--backup-interval",
    schema: duration({ example: "1d", min: ["1m", 60_000] }),
    help: "time between scheduled backups",
    default: "1d",
  },
  logLevel: {
    env: "MAILROOM_LOG_LEVEL",
    flag: "--log-level",
    schema: z.enum(["debug", "info", "warn", "error"]),
    help: "debug, info, warn or error",
    default: "info",
  },
} satisfies Record<string, Setting>;

type Settings = typeof SETTINGS;
type SettingName = keyof Settings;

/** The resolved settings, one field per row of SETTINGS: the schema's output, `| undefined` without a default. */
export type Config = {
  [K in SettingName]: Settings[K] extends { default: string | ((earlier: Earlier) => string) }
    ? z.output<Settings[K]["schema"]>
    : z.output<Settings[K]["schema"]> | undefined;
} & TestOnlySettings;

/** Knobs that are not public settings (no flag, no variable): tests set them on the Config object. */
interface TestOnlySettings {
  /** MTA-STS fetch timeout in ms (tests shorten it). */
  mtaStsTimeoutMs?: number;
  /** Port of MX hosts (25): tests cannot listen on 25. */
  mxPort?: number;
  /** Longest wait-for-message in ms (WAIT_LIMITS.maxTimeoutMs; tests shorten it to see the cap). */
  waitMaxTimeoutMs?: number;
  /** Concurrent waits-for-message (WAIT_LIMITS.maxWaits; tests make it small). */
  maxWaits?: number;
  /** Webhook retry delays in ms (WEBHOOK_LIMITS.retryMs; tests shorten them). */
  webhookRetryMs?: number[];
  /** The inbound defence's clock (greylisting, rate windows): tests move it instead of waiting. */
  spamClock?: () => number;
}

/** A DNS list zone and the weight a listing adds to the built-in score (negative: an allow list). */
export interface ListZone {
  zone: string;
  weight: number;
}

/** Weight of a zone written without one: enough on its own to send a message to Junk. */
const DEFAULT_ZONE_WEIGHT = 5;

/** "zen.spamhaus.org, list.dnswl.org:-5" -> zones with weights; throws naming the bad entry. */
export function parseListZones(text: string): ListZone[] {
  if (text.trim() === "") return [];
  return text.split(",").map((entry) => {
    const m = /^\s*([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+)\.?\s*(?::\s*(-?\d+(?:\.\d+)?))?\s*$/.exec(entry);
    if (!m)
      throw new Error(`bad zone "${entry.trim()}" (expected zone or zone:weight, e.g. zen.spamhaus.org:5)`);
    return { zone: m[1]!.toLowerCase(), weight: m[2] === undefined ? DEFAULT_ZONE_WEIGHT : Number(m[2]) };
  });
}

export interface Route {
  /** Lower-case domain, or "*" for every domain without its own route. */
  domain: string;
  host: string;
  port: number;
  /**
   * "opportunistic": STARTTLS when offered, as for MX hosts (the old `host:port` form, `smtp://` without
   * credentials); "starttls": STARTTLS required (`smtp://` with credentials); "implicit": TLS from the
   * first byte (`smtps://`, RFC 8314 §3.3). Absent means "opportunistic".
   */
  tls?: "opportunistic" | "starttls" | "implicit";
  /** AUTH credentials for a smarthost (RFC 4954); the password never reaches a log line. */
  auth?: RouteCredentials;
}

/** A smarthost login whose password stays out of JSON, logs and inspection (it is a private field). */
export class RouteCredentials {
  readonly user: string;
  readonly #pass: string;
  constructor(user: string, pass: string) {
    this.user = user;
    this.#pass = pass;
  }
  get pass(): string {
    return this.#pass;
  }
  toJSON(): { user: string; pass: string } {
    return { user: this.user, pass: "***" };
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `RouteCredentials { user: ${JSON.stringify(this.user)}, pass: *** }`;
  }
}

const ROUTE_HOST = String.raw`(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?`;

/**
 * "example.org=127.0.0.1:2526,*=smtp://user:pass@relay.example:587" -> routes; throws with a readable
 * message (passwords redacted). In a URL, user and password are percent-encoded (RFC 3986 §3.2.1).
 */
export function parseRoutes(text: string): Route[] {
  if (text.trim() === "") return [];
  return text.split(",").map((entry, index) => {
    // Errors never echo what follows "=": it may hold a password (or a piece of one cut at a ",").
    const named = /^\s*([*]|[A-Za-z0-9.-]+)\s*=/.exec(entry);
    const shown = `route ${index + 1}${named ? ` (${named[1]})` : ""}`;
    const m = /^\s*([*]|[A-Za-z0-9.-]+)\s*=\s*(.+?)\s*$/.exec(entry);
    if (!m)
      throw new Error(
        `bad ${shown}: expected domain=host[:port] or domain=smtp[s]://[user:pass@]host[:port]`,
      );
    const domain = m[1]!.toLowerCase();
    const url = new RegExp(`^(smtps?)://(?:([^:@/]*)(?::([^@/]*))?@)?${ROUTE_HOST}/?$`, "i").exec(m[2]!);
    const plain = new RegExp(`^${ROUTE_HOST}$`).exec(m[2]!);
    if (!url && !plain)
      throw new Error(
        `bad ${shown}: expected domain=host[:port] or domain=smtp[s]://[user:pass@]host[:port] (a "," in a password must be written %2C)`,
      );
    const implicit = url !== null && url[1]!.toLowerCase() === "smtps";
    const host = (url ? url[4]! : plain![1]!).replace(/^\[|\]$/g, "");
    const portText = url ? url[5] : plain![2];
    const port = portText === undefined ? (implicit ? 465 : 25) : Number(portText);
    if (port < 1 || port > 65535) throw new Error(`bad port in ${shown}`);
    let auth: RouteCredentials | undefined;
    if (url && url[2] !== undefined && url[2] !== "") {
      try {
        auth = new RouteCredentials(decodeURIComponent(url[2]), decodeURIComponent(url[3] ?? ""));
      } catch {
        throw new Error(`bad percent-encoding in ${shown}`);
      }
    }
    // RFC 4954 §4 / RFC 8314 §5.4: credentials only ever travel over TLS.
    const tls: NonNullable<Route["tls"]> = implicit ? "implicit" : auth ? "starttls" : "opportunistic";
    return { domain, host, port, tls, ...(auth ? { auth } : {}) };
  });
}

/**
 * "10.0.0.0/8, 192.0.2.7, ::1" -> ["10.0.0.0/8", "192.0.2.7/32", "::1/128"] (a bare address is one
 * host; IPv6 lower-cased); "none" -> []. Throws with a readable message naming the bad entry.
 */
export function parseNetworks(text: string): string[] {
  if (text.trim().toLowerCase() === "none") return [];
  return text.split(",").map((entry) => {
    const m = /^\s*([0-9A-Fa-f:.]+)(?:\/(\d{1,3}))?\s*$/.exec(entry);
    const address = m?.[1] ?? "";
    const bits = isIPv4(address) ? 32 : isIPv6(address) ? 128 : 0;
    if (!m || bits === 0)
      throw new Error(`bad network "${entry.trim()}" (expected an address or address/prefix)`);
    const prefix = m[2] === undefined ? bits : Number(m[2]);
    if (prefix > bits) throw new Error(`bad prefix length in "${entry.trim()}" (at most ${bits})`);
    return `${address.toLowerCase()}/${prefix}`;
  });
}

/** A host or domain name setting, lower-cased (DNS names compare without case, RFC 4343). */
function dnsName(what: string) {
  return z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/, `must be a ${what}`)
    .transform((v) => v.toLowerCase());
}

/**
 * A duration setting ("90s", "5m", "1h", "7d") read as milliseconds, within the bounds given (each
 * with the text the error names); `off` also takes "off" or "0" as 0 (the feature is off).
 */
function duration(rules: {
  example: string;
  min?: readonly [text: string, ms: number];
  max?: readonly [text: string, ms: number];
  off?: boolean;
}) {
  const bounds = [rules.min && `at least ${rules.min[0]}`, rules.max && `at most ${rules.max[0]}`].filter(
    Boolean,
  );
  const message = `must be ${rules.off ? "off or " : ""}a duration like ${rules.example} (units s, m, h, d)${
    bounds.length ? `, ${bounds.join(", ")}` : ""
  }`;
  return z.string().transform((text, ctx) => {
    const t = text.trim().toLowerCase();
    if (rules.off && (t === "off" || t === "0")) return 0;
    const ms = parseDuration(t);
    if (
      ms === undefined ||
      (ms === 0 && !rules.off) ||
      ms < (rules.min?.[1] ?? 0) ||
      ms > (rules.max?.[1] ?? Number.POSITIVE_INFINITY)
    ) {
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    }
    return ms;
  });
}

/** "90s", "5m", "1h", "5d" -> milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)(s|m|h|d)$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "s" | "m" | "h" | "d"];
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface ParsedArgs {
  command: string;
  /** Value by flag as written ("--smtp-port" -> "2525"). */
  flags: Map<string, string>;
  /** Arguments after the command that are not flags (`mailroom dns example.org`). */
  args: string[];
  /** The command's own options, which are not settings (`--format zone`). */
  options: Map<string, string>;
}

const COMMANDS = [
  "serve",
  "migrate",
  "dns",
  "backup",
  "restore",
  "import",
  "export",
  "version",
  "help",
] as const;

/** Per command: its own options, and how many plain arguments it takes. */
const COMMAND_SYNTAX: Record<string, { options: readonly string[]; args: number }> = {
  dns: { options: ["--format"], args: 1 },
  backup: { options: ["--format"], args: 1 },
  restore: { options: [], args: 1 },
  import: { options: ["--account", "--mailbox"], args: 1 },
  export: { options: ["--account", "--format"], args: 1 },
};

/**
 * node:util's parser is told every setting flag (a string), the commands' own options (strings) and
 * --help/-h, --version/-v.
 */
const ARGV_OPTIONS: Record<string, { type: "string" | "boolean"; short?: string }> = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
  ...Object.fromEntries(
    Object.values(SETTINGS).map((s: Setting) => [
      s.flag.slice(2),
      { type: s.switch ? ("boolean" as const) : ("string" as const) },
    ]),
  ),
  ...Object.fromEntries(
    Object.values(COMMAND_SYNTAX).flatMap((c) =>
      c.options.map((o) => [o.slice(2), { type: "string" as const }]),
    ),
  ),
};

const SETTING_FLAGS = new Set<string>(Object.values(SETTINGS).map((s) => s.flag));

/**
 * Splits argv (without the executable) into a subcommand and `--flag value` / `--flag=value` pairs,
 * with node:util's parseArgs (Bun and Deno both have it). It runs non-strict so that every mistake is
 * reported here in one line naming the flag, the way loadConfig() reports a bad value.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const { tokens = [] } = parseArgv({
    args: [...argv],
    options: ARGV_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const flags = new Map<string, string>();
  const options = new Map<string, string>();
  const args: string[] = [];
  let command: string | undefined;
  for (const token of tokens) {
    if (token.kind === "option-terminator") throw new ConfigError('unexpected argument "--"');
    if (token.kind === "positional") {
      if (command !== undefined) {
        if (args.length >= (COMMAND_SYNTAX[command]?.args ?? 0))
          throw new ConfigError(`unexpected argument "${token.value}"`);
        args.push(token.value);
        continue;
      }
      if (!(COMMANDS as readonly string[]).includes(token.value))
        throw new ConfigError(`unknown command "${token.value}" (try --help)`);
      command = token.value;
      continue;
    }
    const option = Object.hasOwn(ARGV_OPTIONS, token.name) ? ARGV_OPTIONS[token.name] : undefined;
    if (!option) throw new ConfigError(`unknown flag ${token.rawName}`);
    if (option.type === "boolean" && SETTING_FLAGS.has(token.rawName)) {
      // A switch setting: alone it means true, `--catch=false` says so explicitly.
      flags.set(token.rawName, token.value ?? "true");
      continue;
    }
    if (option.type === "boolean") {
      if (token.value !== undefined) throw new ConfigError(`${token.rawName} takes no value`);
      command = token.name;
      continue;
    }
    if (token.value === undefined) throw new ConfigError(`${token.rawName} needs a value`);
    if (SETTING_FLAGS.has(token.rawName)) {
      flags.set(token.rawName, token.value);
      continue;
    }
    // A command's own option (`mailroom dns --format zone`), only after that command.
    if (command === undefined || !COMMAND_SYNTAX[command]?.options.includes(token.rawName))
      throw new ConfigError(`unknown flag ${token.rawName}`);
    options.set(token.rawName, token.value);
  }
  return { command: command ?? "serve", flags, args, options };
}

/** Resolves every setting from flags, then environment, then defaults; throws ConfigError naming the bad one. */
export function loadConfig(flags: Map<string, string>, env: Record<string, string | undefined>): Config {
  const config: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(SETTINGS) as Array<[SettingName, Setting]>) {
    const given = flags.get(s.flag) ?? (env[s.env] === "" ? undefined : env[s.env]);
    const input = given ?? (typeof s.default === "function" ? s.default(config) : s.default);
    if (input === undefined) {
      config[name] = undefined;
      continue;
    }
    const result = s.schema.safeParse(input);
    if (!result.success) {
      const source = flags.has(s.flag) ? s.flag : s.env;
      const why = result.error.issues[0]?.message ?? "invalid";
      // Routes may carry smarthost passwords: their value is never echoed.
      if (name === "routes") throw new ConfigError(`invalid ${source}: ${why}`);
      throw new ConfigError(`invalid ${source}=${JSON.stringify(input)}: ${why}`);
    }
    config[name] = result.data;
  }
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    const [set, missing] = config.tlsCert === undefined ? ["tlsKey", "tlsCert"] : ["tlsCert", "tlsKey"];
    throw new ConfigError(
      `${settingSource(set as SettingName)} must be set together with ${settingSource(missing as SettingName)}`,
    );
  }
  if (config.ports === "auto") for (const name of LISTENER_PORTS) if (config[name] !== null) config[name] = 0;
  // Every row was resolved above; the test-only knobs are absent until a test sets them.
  return config as unknown as Config;
}

/** The settings of the ports this server listens on (MAILROOM_PORTS=auto makes them all 0). */
const LISTENER_PORTS = [
  "smtpPort",
  "submissionPort",
  "smtpsPort",
  "pop3Port",
  "pop3sPort",
  "imapPort",
  "imapsPort",
  "publicHttpPort",
  "publicHttpsPort",
  "httpPort",
] as const satisfies readonly SettingName[];

/** The flag or variable to mention when a setting's value is the problem (e.g. a privileged port). */
export function settingSource(name: SettingName): string {
  const s = SETTINGS[name];
  return `${s.flag} / ${s.env}`;
}

export function helpText(version: string): string {
  const rows = Object.values(SETTINGS).map((s: Setting) => {
    const shown = s.defaultHelp ?? s.default;
    return `  ${s.flag.padEnd(20)} ${s.env.padEnd(27)} ${s.help} (default: ${shown})`;
  });
  return [
    `mailroom ${version}: SMTP, POP3, IMAP and an admin REST API in one executable`,
    "",
    "Usage: mailroom [command] [flags]",
    "",
    "Commands:",
    "  serve      run the server (default)",
    "  migrate    apply database migrations and exit",
    "  dns DOMAIN print the DNS records DOMAIN needs and whether DNS serves them",
    "             (--format table|zone|json; table by default)",
    "  backup FILE   write a verified, consistent copy of the database to FILE (the server may run)",
    "                (--format text|json; json: the result as one line)",
    "  restore FILE  replace a stopped server's database with the backup FILE (the old one is kept)",
    "  import --account ADDRESS SOURCE",
    "             import a Maildir, an mbox file or imap://user:pass@host:port (all folders);",
    "             re-running skips what is there (--mailbox NAME: the target for an mbox file)",
    "  export --account ADDRESS --format maildir|mbox DEST",
    "             write every mailbox of the account as a Maildir tree or mbox files under DEST",
    "  version    print the version",
    "  help       print this text (also --help)",
    "",
    "Flags and environment variables (flags win):",
    ...rows,
    "",
  ].join("\n");
}
