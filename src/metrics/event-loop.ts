/**
 * Event-loop lag: a timer that should fire every 500 ms records how late it fired, which is how long
 * something held the loop (a long synchronous parse, a big synchronous database statement). The
 * latest value is a gauge, every value goes to the histogram. Portable (no perf_hooks monitor, which
 * Bun and Deno do not all have); the timer is unref'd so it never keeps the process alive.
 */
import { metrics } from "./mod.ts";

const INTERVAL_MS = 500;

let users = 0;
let timer: ReturnType<typeof setInterval> | undefined;
let latestSeconds = 0;

/** Starts the sampler (shared: every server in the process counts as one user); returns the stop. */
export function startLoopMonitor(): () => void {
  users++;
  if (!timer) {
    let expected = performance.now() + INTERVAL_MS;
    timer = setInterval(() => {
      const now = performance.now();
      latestSeconds = Math.max(0, now - expected) / 1000;
      metrics.loopDelay(latestSeconds);
      expected = now + INTERVAL_MS;
    }, INTERVAL_MS);
    timer.unref?.();
  }
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    users--;
    if (users === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** The lag of the latest sample, in seconds. */
export function loopLagSeconds(): number {
  return latestSeconds;
}
