/**
 * The server's metrics: one process-wide registry (one server per process in production; tests that
 * run several read differences) and the one-line hooks the protocol code calls. Counters and
 * histograms live in memory and cost a few additions per event; values that are state rather than
 * events (queue depth, database size, lockouts held) are read when /metrics is scraped (scrape.ts).
 */
import { CommandTimer } from "./commands.ts";
import { type CounterChild, type GaugeChild, Registry } from "./registry.ts";

export { type CommandEntry, CommandTimer, commandKey } from "./commands.ts";
export { Registry, scrapeGauge } from "./registry.ts";

export const registry = new Registry();

/** Seconds: sub-millisecond commands to multi-second ones (a large APPEND, a slow fsync). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const connectionsOpen = registry.gauge("mailroom_connections_open", "Connections open now, by listener.", [
  "listener",
]);
const connectionsTotal = registry.counter(
  "mailroom_connections_total",
  "Connections accepted since start, by listener (refused ones included).",
  ["listener"],
);
const httpRequests = registry.counter("mailroom_http_requests_total", "Requests answered by the admin API.", [
  "listener",
]);
const commandSeconds = registry.histogram(
  "mailroom_command_duration_seconds",
  "Time from a command's arrival to its reply, by protocol and command (the count is the number of commands).",
  ["protocol", "command"],
  LATENCY_BUCKETS,
);
const rejections = registry.counter(
  "mailroom_smtp_rejections_total",
  "SMTP commands refused with a 4xx or 5xx reply, by command and enhanced status code (RFC 3463).",
  ["command", "reason"],
);
const received = registry.counter(
  "mailroom_messages_received_total",
  "Messages accepted over SMTP (250 after DATA, i.e. durably stored or queued), by listener.",
  ["listener"],
);
const deliveries = registry.counter(
  "mailroom_deliveries_total",
  "Outbound delivery attempts per recipient, by result (delivered, deferred, bounced).",
  ["result"],
);
const bounces = registry.counter(
  "mailroom_bounces_total",
  "Delivery status notifications (bounces) generated.",
);
const authFailures = registry.counter(
  "mailroom_auth_failures_total",
  "Failed logins, every protocol together.",
);
const lockouts = registry.counter(
  "mailroom_auth_lockouts_total",
  "Lockouts started, by kind (address, account).",
  ["kind"],
);
const commitGroup = registry.histogram(
  "mailroom_commit_group_size",
  "Writes sharing one database transaction (and one fsync) in the group-committing writer.",
  [],
  [1, 2, 4, 8, 16, 32, 64, 128, 256],
);
const commitSeconds = registry.histogram(
  "mailroom_commit_duration_seconds",
  "Time of COMMIT (the WAL fsync, synchronous=FULL) per group.",
  [],
  LATENCY_BUCKETS,
);
const commitFailures = registry.counter("mailroom_commit_failures_total", "Groups whose transaction failed.");
const loopDelay = registry.histogram(
  "mailroom_event_loop_delay_seconds",
  "How late a 500 ms timer fired: time the event loop was blocked.",
  [],
  [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
);

const deliveryResults = {
  delivered: deliveries.labels("delivered"),
  deferred: deliveries.labels("deferred"),
  bounced: deliveries.labels("bounced"),
};
const lockoutKinds = { address: lockouts.labels("address"), account: lockouts.labels("account") };
const groupSize = commitGroup.labels();
const commitTime = commitSeconds.labels();
const commitFailed = commitFailures.labels();
const bounce = bounces.labels();
const authFailure = authFailures.labels();
const delay = loopDelay.labels();
const adminRequests = httpRequests.labels("http");

/** Seconds since `startedMs` (a performance.now() reading). */
export const since = (startedMs: number) => (performance.now() - startedMs) / 1000;

/** A listener's connection counts, resolved once when it starts. */
export interface ConnectionCounts {
  opened(): void;
  closed(): void;
}

export function connectionCounts(listener: string): ConnectionCounts {
  const open: GaugeChild = connectionsOpen.labels(listener);
  const total: CounterChild = connectionsTotal.labels(listener);
  return {
    opened() {
      open.inc();
      total.inc();
    },
    closed() {
      open.dec();
    },
  };
}

/** The command timer of a protocol over its known command names. */
export function commandTimer(protocol: string, names: readonly string[]): CommandTimer {
  return new CommandTimer(commandSeconds, protocol, names);
}

/** Distinct reasons kept apart at most; beyond, "other" (the codes are ours, this is a backstop). */
const MAX_REASONS = 64;
const reasonChildren = new Map<string, CounterChild>();

/** The rest of the hooks, one call each from the code they count. */
export const metrics = {
  /** An IMAP command answered; `startedMs` from performance.now() at its arrival. */
  commandDone(timer: CommandTimer, name: string, startedMs: number): void {
    timer.named(name).histogram.observe(since(startedMs));
  },
  commandLineDone(timer: CommandTimer, line: Uint8Array, startedMs: number): void {
    timer.ofLine(line).histogram.observe(since(startedMs));
  },
  smtpRejected(command: string, reason: string): void {
    const key = `${command} ${reason}`;
    let child = reasonChildren.get(key);
    if (!child) {
      child = rejections.labels(command, reasonChildren.size < MAX_REASONS ? reason : "other");
      if (reasonChildren.size < MAX_REASONS) reasonChildren.set(key, child);
    }
    child.inc();
  },
  /** The counter of messages accepted on an SMTP listener, resolved once per listener. */
  receivedCounter(listener: string): CounterChild {
    return received.labels(listener);
  },
  /** What one delivery attempt's results were (per recipient), and the bounces it made. */
  deliveries(
    delivered: number,
    deferred: number,
    bounced: number,
    notices: ReadonlyArray<{ result: string }> | undefined,
  ): void {
    deliveryResults.delivered.inc(delivered);
    deliveryResults.deferred.inc(deferred);
    deliveryResults.bounced.inc(bounced);
    for (const notice of notices ?? []) if (notice.result !== "suppressed") bounce.inc();
  },
  authFailed(): void {
    authFailure.inc();
  },
  lockedOut(kind: "address" | "account"): void {
    lockoutKinds[kind].inc();
  },
  committed(size: number, commitStartedMs: number): void {
    groupSize.observe(size);
    commitTime.observe(since(commitStartedMs));
  },
  commitFailed(): void {
    commitFailed.inc();
  },
  /** A request to the admin API (the runtimes' HTTP servers do not show their connections). */
  httpRequest(_listener: "http"): void {
    adminRequests.inc();
  },
  loopDelay(seconds: number): void {
    delay.observe(seconds);
  },
};
