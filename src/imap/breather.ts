/**
 * Gives the event loop a turn during long work. The server has one JavaScript thread, and libSQL's
 * local driver answers queries synchronously, so a command looping over many items (LIST over every
 * mailbox, FETCH or SEARCH over a large mailbox) would otherwise hold it from start to finish: every
 * other connection, /healthz included, waits. `breathe()` is cheap to call per item; once the work
 * has run `sliceMs` without a pause it waits for one macrotask turn (setImmediate), so timers and
 * socket events queued meanwhile run before the work goes on.
 */

/** Continuous work before a pause: short enough that others wait at most this, long enough to stay cheap. */
export const WORK_SLICE_MS = 5;

export class Breather {
  readonly #sliceMs: number;
  #since = performance.now();

  constructor(sliceMs = WORK_SLICE_MS) {
    this.#sliceMs = sliceMs;
  }

  /** Resolves at once while the slice lasts; after it, on the next turn of the event loop. */
  breathe(): Promise<void> | undefined {
    if (performance.now() - this.#since < this.#sliceMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        this.#since = performance.now();
        resolve();
      }),
    );
  }
}
