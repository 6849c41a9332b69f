/**
 * Waiting for a state the test cannot be told about directly (a row leaving the queue, a message
 * arriving in another server, a log line, a freed connection slot): ask again until the answer is
 * there, with a bounded deadline, so a test waits exactly as long as the server takes and a
 * regression fails with what it waited for instead of hanging until the test timeout.
 */
import { inspect } from "node:util";

export interface EventuallyOptions {
  /** Give up after this long. Default 10 s: far above a passing run, well below the test timeout. */
  timeoutMs?: number;
  /** Ask again after this long. Default 20 ms. */
  intervalMs?: number;
  /**
   * Ask again at once when the server says something changed: called with a wake-up function,
   * returns the function that unsubscribes (e.g. `(wake) => store.changes.subscribe(id, wake)`).
   * The interval still applies as a backstop.
   */
  wakeOn?: (wake: () => void) => () => void;
}

/** What the probe returns while the awaited state is not there yet. */
type NotYet = undefined | null | false;

/**
 * Calls `probe` until it returns something other than undefined, null or false, and resolves with
 * that. Rejects after the deadline naming `what` (a function: called then, to describe the last state
 * seen) and the probe's last answer. An error thrown by the probe is not retried: it fails at once,
 * like any other error in the test.
 */
export async function eventually<T>(
  probe: () => T | NotYet | Promise<T | NotYet>,
  what: string | (() => string),
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const answer = await probe();
    if (answer !== undefined && answer !== null && answer !== false) return answer;
    const left = deadline - performance.now();
    if (left <= 0) {
      const last = answer === undefined ? "" : ` (last answer: ${inspect(answer)})`;
      const described = typeof what === "function" ? what() : what;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${described}${last}`);
    }
    await pause(Math.min(intervalMs, left), options.wakeOn);
  }
}

function pause(ms: number, wakeOn: EventuallyOptions["wakeOn"]): Promise<void> {
  return new Promise<void>((resolve) => {
    let settled = false;
    let stop: (() => void) | undefined;
    const done = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop?.();
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop = wakeOn?.(done);
    if (settled) stop?.(); // woken while subscribing
  });
}
