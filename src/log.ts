/**
 * Structured logging: one JSON object per line on stdout, or a readable line when stdout is a TTY.
 * Callers pass an event name and fields; never message bodies or passwords (RFC-level data such as
 * envelope addresses is fine and useful for operators).
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level?: LogLevel;
  /** Readable lines instead of JSON; the default follows whether stdout is a terminal. */
  pretty?: boolean;
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const min = LEVELS[options.level ?? "info"];
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY);
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));

  function emit(level: LogLevel, event: string, fields?: LogFields): void {
    if (LEVELS[level] < min) return;
    const record = { time: new Date().toISOString(), level, event, ...bound, ...fields };
    write(pretty ? formatPretty(record) : JSON.stringify(record, errorReplacer));
  }

  return {
    debug: (event, fields) => emit("debug", event, fields),
    info: (event, fields) => emit("info", event, fields),
    warn: (event, fields) => emit("warn", event, fields),
    error: (event, fields) => emit("error", event, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

/** A logger that drops everything: for tests and tools that want silence. */
export const silentLogger: Logger = createLogger({ write: () => {}, level: "error" });

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

function formatPretty(record: Record<string, unknown>): string {
  const { time, level, event, ...rest } = record;
  const pairs = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v, errorReplacer)}`)
    .join(" ");
  return `${String(time).slice(11, 23)} ${String(level).toUpperCase().padEnd(5)} ${event}${pairs ? ` ${pairs}` : ""}`;
}
