/**
 * What /metrics and /readyz (src/api/routes/observability.ts) are answered from, put together from a
 * running server's parts: the registry's counters plus the state read at each scrape (scrape.ts), and
 * the three readiness checks. main.ts hands the parts over; nothing here starts or stops anything.
 */
import type { CertificateManager } from "./acme/mod.ts";
import type { ObservabilityControl } from "./api/deps.ts";
import type { Config } from "./config.ts";
import { renderMetrics } from "./metrics/scrape.ts";
import type { AuthFailures } from "./security/auth-failures.ts";
import type { QueueRunner } from "./smtp/queue/runner.ts";
import { databaseFileSizes, queueStats, readinessMark, type Store } from "./store/mod.ts";
import type { TlsProvider } from "./tls/mod.ts";

export interface ObservedServer {
  config: Pick<Config, "databaseUrl" | "metricsPublic">;
  version: string;
  runtime: { name: string; version: string };
  startedAt: number;
  store: Store;
  authFailures: AuthFailures;
  tls: TlsProvider;
  certificates: CertificateManager | undefined;
  queue: QueueRunner;
  /** Every configured listener has bound. */
  listenersBound(): boolean;
}

/** /readyz answers within this even when the database hangs (a load balancer's probe times out too). */
const READINESS_TIMEOUT_MS = 5_000;

export function observabilityOf(server: ObservedServer): ObservabilityControl {
  const { store, config } = server;
  return {
    metricsPublic: config.metricsPublic,
    metrics: () =>
      renderMetrics({
        version: server.version,
        runtime: `${server.runtime.name} ${server.runtime.version}`,
        startedAt: server.startedAt,
        queue: () => queueStats(store.read),
        databaseFiles: () => databaseFileSizes(config.databaseUrl),
        lockouts() {
          const locked = server.authFailures.entries().filter((e) => e.lockedUntil !== null);
          return {
            address: locked.filter((e) => e.kind === "address").length,
            account: locked.filter((e) => e.kind === "account").length,
          };
        },
        certificate: () => ({
          notAfter: Date.parse(server.tls.certificate.validTo),
          origin: server.tls.origin,
        }),
        ...(server.certificates ? { acmeFailures: () => server.certificates!.status().failures } : {}),
      }),
    async readiness() {
      // A real write through the group-committing writer: proves the disk, the lock and the writer.
      const database = await withTimeout(
        store.write((w) => readinessMark(w, Date.now())),
        READINESS_TIMEOUT_MS,
      ).then(
        () => ({ check: "database", ok: true }),
        (error: Error) => ({
          check: "database",
          ok: false,
          detail: `a write did not commit: ${error.message}`,
        }),
      );
      const listeners = server.listenersBound()
        ? { check: "listeners", ok: true }
        : { check: "listeners", ok: false, detail: "a configured listener is not bound" };
      const queue = server.queue.alive()
        ? { check: "queue", ok: true }
        : { check: "queue", ok: false, detail: "the queue runner has not scanned the queue lately" };
      return [database, listeners, queue];
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
