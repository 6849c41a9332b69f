/**
 * SMTP's share of /metrics: per-command latency (command line in, reply out), refusals by enhanced
 * status code, and messages accepted per listener. smtp-server has no hook per command or per reply,
 * so `smtpMetricsPatch` (installed from patches.ts) wraps `_onCommand` and `send`. The DATA latency
 * runs from the end of the message (the final dot) to the reply: the time spent storing it.
 * Issue 17: each refusal counted here is also kept, with its client and reply, in the listener's
 * ring of recent refusals (src/security/recent-refusals.ts) for the dashboard.
 */
import {
  type CommandEntry,
  type CommandTimer,
  commandTimer,
  connectionCounts,
  metrics,
  since,
} from "../metrics/mod.ts";
import type { RecentRefusals } from "../security/recent-refusals.ts";
import type { ConnectionPatch } from "./connection-patch.ts";

const SMTP_COMMANDS = [
  "EHLO",
  "HELO",
  "LHLO",
  "MAIL",
  "RCPT",
  "DATA",
  "BDAT",
  "RSET",
  "NOOP",
  "QUIT",
  "VRFY",
  "EXPN",
  "HELP",
  "STARTTLS",
  "AUTH",
] as const;

let timer: CommandTimer | undefined;

/** Per-listener counters, attached to its SMTPServer by `smtpListenerMetrics()`. */
const LISTENER = Symbol("mailroom.metrics");

interface ListenerMetrics {
  name: string;
  received: { inc(): void };
  connections: { opened(): void; closed(): void };
  refusals: RecentRefusals | undefined;
}

/** Per connection: the command waiting for its reply, and when it arrived (NaN: data still coming). */
interface Pending {
  entry: CommandEntry | undefined;
  started: number;
}

interface Connection {
  _server: { [LISTENER]?: ListenerMetrics };
  _dataStream: { once(event: "end", listener: () => void): unknown } | false | undefined;
  _nextHandler: unknown;
  session: { remoteAddress?: string } | undefined;
  [PENDING]?: Pending;
}
const PENDING = Symbol("mailroom.pending");

/**
 * Counts connections on one SMTP listener and names its accepted messages (and keeps its refusals
 * in `refusals`, when given); call once per listener.
 */
export function smtpListenerMetrics(
  server: object,
  listener: string,
  refusals?: RecentRefusals,
): ListenerMetrics["connections"] {
  const own: ListenerMetrics = {
    name: listener,
    received: metrics.receivedCounter(listener),
    connections: connectionCounts(listener),
    refusals,
  };
  (server as { [LISTENER]?: ListenerMetrics })[LISTENER] = own;
  return own.connections;
}

export const smtpMetricsPatch: ConnectionPatch = {
  name: "metrics",
  wraps: { _onCommand: 2, send: 3 },
  fields: ["_server", "_dataStream", "_nextHandler", "session"],
  install(target) {
    const proto = target as {
      _onCommand(this: Connection, command: Buffer, callback?: () => void): void;
      send(this: Connection, code: number, data?: string | string[], context?: string | false): void;
    };
    timer ??= commandTimer("smtp", SMTP_COMMANDS);
    const data = timer.named("DATA");
    const { _onCommand: onCommand, send } = proto;
    proto._onCommand = function (command, callback) {
      this[PENDING] ??= { entry: undefined, started: 0 };
      const pending = this[PENDING];
      // A continuation line (AUTH LOGIN's base64) belongs to the command it continues.
      if (!this._nextHandler || !pending.entry) pending.entry = timer!.ofLine(command ?? Buffer.alloc(0));
      pending.started = performance.now();
      return onCommand.call(this, command, callback);
    };
    proto.send = function (code, text, context) {
      const pending = this[PENDING];
      const entry = pending?.entry;
      if (pending && entry) {
        if (code === 354 && entry === data) {
          // RFC 5321 §4.1.1.4: the message follows; its reply is timed from the final dot.
          pending.started = Number.NaN;
          const stream = this._dataStream;
          if (stream)
            stream.once("end", () => {
              pending.started = performance.now();
            });
        } else if (code !== 334) {
          // 334 is an AUTH challenge: the exchange goes on, the reply to time is the last one.
          if (!Number.isNaN(pending.started)) entry.histogram.observe(since(pending.started));
          pending.entry = undefined;
          if (code >= 400) {
            const status = reasonOf(code, text);
            metrics.smtpRejected(entry.name, status);
            const own = this._server[LISTENER];
            own?.refusals?.add({
              kind: "smtp",
              at: Date.now(),
              listener: own.name,
              client: this.session?.remoteAddress ?? null,
              command: entry.name,
              code,
              status,
              reply: (Array.isArray(text) ? text.join(" ") : (text ?? "")).trim(),
            });
          } else if (entry === data && code === 250) this._server[LISTENER]?.received.inc();
        }
      }
      return send.call(this, code, text, context);
    };
  },
};

/** The enhanced status code at the start of the reply (ours all carry one), else the basic code. */
function reasonOf(code: number, text: string | string[] | undefined): string {
  const first = Array.isArray(text) ? text[0] : text;
  const match = typeof first === "string" ? /^([245]\.\d{1,3}\.\d{1,3}) /.exec(first) : null;
  return match ? match[1]! : String(code);
}
