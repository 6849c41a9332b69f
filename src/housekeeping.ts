/**
 * The server's periodic database care (src/store/maintenance.ts does the work): every few minutes
 * the QRESYNC history is bounded, free pages go back after large deletions, the planner statistics
 * are refreshed and the WAL is checkpointed and truncated. A failure is logged and retried next time.
 */
import type { Logger } from "./log.ts";
import type { Store } from "./store/mod.ts";

/** How often; short enough that the WAL between two runs stays small, long enough to cost nothing. */
export const HOUSEKEEPING_EVERY_MS = 5 * 60_000;

/** Starts the timer; returns the stop function (waits for a run in progress). */
export function startHousekeeping(
  store: Store,
  log: Logger,
  everyMs = HOUSEKEEPING_EVERY_MS,
): () => Promise<void> {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = store
      .housekeep()
      .then((report) => {
        if (report.expungedPruned > 0 || report.pagesFreed > 0) log.info("housekeeping", { ...report });
      })
      .catch((error) => log.warn("housekeeping.failed", { error: (error as Error).message }))
      .finally(() => {
        running = undefined;
      });
  }, everyMs);
  timer.unref?.();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
