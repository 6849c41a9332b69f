/**
 * A bounded number of queries on the wire at once, with a bounded line of lookups waiting for a
 * slot: a flood of lookups neither opens unbounded sockets nor queues unbounded promises.
 */
export class Gate {
  #active = 0;
  readonly #waiting: Array<(entered: boolean) => void> = [];

  constructor(
    private readonly maxActive: number,
    private readonly maxWaiting: number,
  ) {}

  /** Resolves true once a slot is held (call leave() after), false when the line is full or closed. */
  enter(): Promise<boolean> {
    if (this.#active < this.maxActive) {
      this.#active++;
      return Promise.resolve(true);
    }
    if (this.#waiting.length >= this.maxWaiting) return Promise.resolve(false);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  leave(): void {
    const next = this.#waiting.shift();
    if (next) next(true);
    else this.#active--;
  }

  /** Turns away everyone still waiting. */
  close(): void {
    for (const waiter of this.#waiting.splice(0)) waiter(false);
  }
}
