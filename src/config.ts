/**
 * Configuration: command-line flags and MAILROOM_* environment variables, validated with zod.
 * Flags win over the environment. The names below are a public contract (README, issues): keep them.
 */
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import { z } from "zod";

/** A listener port: a number (0 = any free port, for tests) or "off" to disable the listener. */
const port = z.union([z.literal("off").transform(() => null), z.coerce.number().int().min(0).max(65535)]);

const byteSize = z.coerce
  .number()
  .int()
  .min(1024)
  .max(2 ** 31);

/** One row per setting: where it comes from, how it is validated, what `--help` says. */
const SETTINGS = {
  dataDir: {
    env: "MAILROOM_DATA_DIR",
    flag: "--data-dir",
    schema: z.string().min(1),
    help: "directory for mailroom.db and admin-token",
    def: "./data",
  },
  databaseUrl: {
    env: "MAILROOM_DATABASE_URL",
    flag: "--database-url",
    schema: z
      .string()
      .regex(/^(file:|libsql:|https?:|wss?:)/, "must start with file:, libsql:, http(s): or ws(s):"),
    help: "libSQL database URL",
    def: "file:<data-dir>/mailroom.db",
  },
  hostname: {
    env: "MAILROOM_HOSTNAME",
    flag: "--hostname",
    schema: z.string().regex(/^[A-Za-z0-9.-]+$/, "must be a host name"),
    help: "host name used in greetings and Received headers",
    def: "the machine's host name",
  },
  domain: {
    env: "MAILROOM_DOMAIN",
    flag: "--domain",
    schema: z.string().regex(/^[A-Za-z0-9.-]+$/, "must be a domain name"),
    help: "primary local domain, created on start if missing",
    def: "the host name",
  },
  bind: {
    env: "MAILROOM_BIND",
    flag: "--bind",
    schema: z.string().min(1),
    help: "address the mail listeners bind to",
    def: "0.0.0.0",
  },
  smtpPort: {
    env: "MAILROOM_SMTP_PORT",
    flag: "--smtp-port",
    schema: port,
    help: "SMTP port, or off",
    def: "25",
  },
  pop3Port: {
    env: "MAILROOM_POP3_PORT",
    flag: "--pop3-port",
    schema: port,
    help: "POP3 port, or off",
    def: "110",
  },
  imapPort: {
    env: "MAILROOM_IMAP_PORT",
    flag: "--imap-port",
    schema: port,
    help: "IMAP port, or off",
    def: "143",
  },
  httpBind: {
    env: "MAILROOM_HTTP_BIND",
    flag: "--http-bind",
    schema: z.string().min(1),
    help: "address the admin API binds to",
    def: "127.0.0.1",
  },
  httpPort: {
    env: "MAILROOM_HTTP_PORT",
    flag: "--http-port",
    schema: port,
    help: "admin API port, or off",
    def: "8080",
  },
  adminToken: {
    env: "MAILROOM_ADMIN_TOKEN",
    flag: "--admin-token",
    schema: z.string().min(16, "must be at least 16 characters"),
    help: "bearer token for /api/v1",
    def: "generated into <data-dir>/admin-token",
  },
  maxMessageSize: {
    env: "MAILROOM_MAX_MESSAGE_SIZE",
    flag: "--max-message-size",
    schema: byteSize,
    help: "largest accepted message in bytes",
    def: "26214400",
  },
  maxConnectionsPerIp: {
    env: "MAILROOM_MAX_CONNECTIONS_PER_IP",
    flag: "--max-connections-per-ip",
    schema: z.coerce.number().int().min(1).max(100_000),
    help: "connections one client address may hold on each mail listener",
    def: "50",
  },
  logLevel: {
    env: "MAILROOM_LOG_LEVEL",
    flag: "--log-level",
    schema: z.enum(["debug", "info", "warn", "error"]),
    help: "debug, info, warn or error",
    def: "info",
  },
} as const;

type SettingName = keyof typeof SETTINGS;

export interface Config {
  dataDir: string;
  databaseUrl: string;
  hostname: string;
  domain: string;
  bind: string;
  smtpPort: number | null;
  pop3Port: number | null;
  imapPort: number | null;
  httpBind: string;
  httpPort: number | null;
  /** Undefined until main() reads or generates the token file. */
  adminToken: string | undefined;
  maxMessageSize: number;
  /** Per mail listener (POP3, IMAP): one host cannot take every slot. */
  maxConnectionsPerIp: number;
  logLevel: "debug" | "info" | "warn" | "error";
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface ParsedArgs {
  command: string;
  flags: Map<string, string>;
}

const COMMANDS = ["serve", "migrate", "version", "help"] as const;

/** Splits argv (without the executable) into a subcommand and `--flag value` / `--flag=value` pairs. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const flags = new Map<string, string>();
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      command = "help";
    } else if (arg === "--version" || arg === "-v") {
      command = "version";
    } else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg : arg.slice(0, eq);
      if (!Object.values(SETTINGS).some((s) => s.flag === name))
        throw new ConfigError(`unknown flag ${name}`);
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new ConfigError(`${name} needs a value`);
      flags.set(name, value);
    } else if (command === undefined) {
      if (!(COMMANDS as readonly string[]).includes(arg))
        throw new ConfigError(`unknown command "${arg}" (try --help)`);
      command = arg;
    } else {
      throw new ConfigError(`unexpected argument "${arg}"`);
    }
  }
  return { command: command ?? "serve", flags };
}

/** Resolves every setting from flags, then environment, then defaults; throws ConfigError naming the bad one. */
export function loadConfig(flags: Map<string, string>, env: Record<string, string | undefined>): Config {
  const raw = (name: SettingName): string | undefined => {
    const s = SETTINGS[name];
    return flags.get(s.flag) ?? (env[s.env] === "" ? undefined : env[s.env]);
  };
  const value = <N extends SettingName>(
    name: N,
    fallback: string | undefined,
  ): z.output<(typeof SETTINGS)[N]["schema"]> | undefined => {
    const input = raw(name) ?? fallback;
    if (input === undefined) return undefined;
    const result = SETTINGS[name].schema.safeParse(input);
    if (!result.success) {
      const s = SETTINGS[name];
      const source = flags.has(s.flag) ? s.flag : s.env;
      throw new ConfigError(
        `invalid ${source}=${JSON.stringify(input)}: ${result.error.issues[0]?.message ?? "invalid"}`,
      );
    }
    return result.data as z.output<(typeof SETTINGS)[N]["schema"]>;
  };

  const dataDir = value("dataDir", "./data")!;
  const host = value("hostname", osHostname() || "localhost")!.toLowerCase();
  return {
    dataDir,
    databaseUrl: value("databaseUrl", `file:${join(dataDir, "mailroom.db")}`)!,
    hostname: host,
    domain: value("domain", host)!.toLowerCase(),
    bind: value("bind", "0.0.0.0")!,
    smtpPort: value("smtpPort", "25")!,
    pop3Port: value("pop3Port", "110")!,
    imapPort: value("imapPort", "143")!,
    httpBind: value("httpBind", "127.0.0.1")!,
    httpPort: value("httpPort", "8080")!,
    adminToken: value("adminToken", undefined),
    maxMessageSize: value("maxMessageSize", "26214400")!,
    maxConnectionsPerIp: value("maxConnectionsPerIp", "50")!,
    logLevel: value("logLevel", "info")!,
  };
}

/** The flag or variable to mention when a setting's value is the problem (e.g. a privileged port). */
export function settingSource(name: SettingName): string {
  const s = SETTINGS[name];
  return `${s.flag} / ${s.env}`;
}

export function helpText(version: string): string {
  const rows = Object.values(SETTINGS).map(
    (s) => `  ${s.flag.padEnd(20)} ${s.env.padEnd(27)} ${s.help} (default: ${s.def})`,
  );
  return [
    `mailroom ${version}: SMTP, POP3, IMAP and an admin REST API in one executable`,
    "",
    "Usage: mailroom [command] [flags]",
    "",
    "Commands:",
    "  serve      run the server (default)",
    "  migrate    apply database migrations and exit",
    "  version    print the version",
    "  help       print this text (also --help)",
    "",
    "Flags and environment variables (flags win):",
    ...rows,
    "",
  ].join("\n");
}
