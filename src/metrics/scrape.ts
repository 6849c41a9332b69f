/**
 * The metrics that are state, not events: read from the running server at each scrape and rendered
 * after the registry's counters. Nothing here is kept between scrapes.
 */
import { loopLagSeconds } from "./event-loop.ts";
import { registry, scrapeGauge } from "./mod.ts";

export interface ServerState {
  version: string;
  runtime: string;
  startedAt: number;
  queue(): Promise<{ depth: number; oldestAt: number | null }>;
  databaseFiles(): { database: number | null; wal: number | null };
  /** Addresses and accounts locked out now. */
  lockouts(): { address: number; account: number };
  /** The certificate every TLS listener presents, and where it came from ("files", "acme"). */
  certificate(): { notAfter: number; origin: string };
  /** ACME only: failed attempts in a row (0 after a success). */
  acmeFailures?(): number;
}

export async function renderMetrics(state: ServerState, now = Date.now()): Promise<string> {
  const families = [];
  const gauge = (name: string, help: string, value: number | null, labels: Record<string, string> = {}) => {
    const family = scrapeGauge(name, help, Object.keys(labels));
    if (value !== null) family.labels(...Object.values(labels)).set(value);
    families.push(family);
    return family;
  };
  gauge("mailroom_info", "Always 1; the labels say which Mailroom runs.", 1, {
    version: state.version,
    runtime: state.runtime,
  });
  gauge(
    "process_start_time_seconds",
    "When the server started, in seconds since the epoch.",
    state.startedAt / 1000,
  );
  const memory = process.memoryUsage();
  gauge("process_resident_memory_bytes", "Resident set size of the process.", memory.rss);
  gauge("process_heap_used_bytes", "JavaScript heap in use.", memory.heapUsed);
  gauge("mailroom_event_loop_lag_seconds", "How late the latest 500 ms timer fired.", loopLagSeconds());
  const queue = await state.queue();
  gauge("mailroom_queue_depth", "Recipients waiting in the outbound queue.", queue.depth);
  gauge(
    "mailroom_queue_oldest_age_seconds",
    "Age of the oldest queued recipient (0 for an empty queue).",
    queue.oldestAt === null ? 0 : Math.max(0, (now - queue.oldestAt) / 1000),
  );
  const files = state.databaseFiles();
  gauge("mailroom_database_bytes", "Size of the database file.", files.database);
  gauge("mailroom_database_wal_bytes", "Size of the database's write-ahead log.", files.wal);
  const locked = state.lockouts();
  const lockouts = scrapeGauge("mailroom_auth_locked", "Keys locked out now, by kind.", ["kind"]);
  lockouts.labels("address").set(locked.address);
  lockouts.labels("account").set(locked.account);
  families.push(lockouts);
  const certificate = state.certificate();
  gauge(
    "mailroom_tls_certificate_expiry_timestamp_seconds",
    "When the certificate the TLS listeners present expires, by where it came from.",
    certificate.notAfter / 1000,
    { origin: certificate.origin },
  );
  if (state.acmeFailures)
    gauge(
      "mailroom_acme_failures",
      "Failed ACME attempts in a row (0 after a success).",
      state.acmeFailures(),
    );
  return registry.render(families);
}
