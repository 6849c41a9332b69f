/**
 * One re-settable timer for the background jobs that wake at a time of their own: certificate
 * renewal (acme/manager.ts), DKIM key retirement (auth/dkim-keys.ts), namespace expiry
 * (catch/namespaces.ts). It never holds the process open: stopping the server is what ends them.
 */
export class Alarm {
  readonly #ring: () => void;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #at = Number.POSITIVE_INFINITY;

  constructor(ring: () => void, now: () => number = Date.now) {
    this.#ring = ring;
    this.#now = now;
  }

  /** When it rings next (epoch ms), or +Infinity when it is not set. */
  get at(): number {
    return this.#at;
  }

  /** Rings after `delayMs`, in place of any earlier setting. */
  set(delayMs: number): void {
    this.cancel();
    const wait = Math.max(0, delayMs);
    this.#at = this.#now() + wait;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#at = Number.POSITIVE_INFINITY;
      this.#ring();
    }, wait);
    this.#timer.unref?.();
  }

  /** Rings after `delayMs` unless it is already set to ring sooner. */
  setSooner(delayMs: number): void {
    if (this.#now() + Math.max(0, delayMs) < this.#at) this.set(delayMs);
  }

  cancel(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = Number.POSITIVE_INFINITY;
  }
}
