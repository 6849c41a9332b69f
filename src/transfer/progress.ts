/**
 * Progress of a long import or export: a bar with counts, bytes, rate and ETA redrawn in place on a
 * terminal, and one JSON object per line otherwise (for scripts and logs), never both.
 */

export interface ProgressCounts {
  /** Messages done (stored, or written out). */
  messages: number;
  /** Messages to do in all, when known. */
  total: number | undefined;
  bytes: number;
  totalBytes: number | undefined;
  /** Skipped: there already (a re-run), or too large. */
  skipped: number;
  folder: string;
}

export interface ProgressOptions {
  /** A terminal: the bar; otherwise JSON lines. */
  interactive: boolean;
  write: (text: string) => void;
  /** "import" or "export": the JSON lines' event name. */
  event: string;
  now?: () => number;
}

/** Redraws at most this often on a terminal, and writes a JSON line at most this often otherwise. */
const BAR_EVERY_MS = 100;
const LINE_EVERY_MS = 1000;

export class Progress {
  readonly #options: ProgressOptions;
  readonly #started: number;
  #last = 0;
  #counts: ProgressCounts = {
    messages: 0,
    total: undefined,
    bytes: 0,
    totalBytes: undefined,
    skipped: 0,
    folder: "",
  };

  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#started = this.#now();
  }

  #now(): number {
    return this.#options.now?.() ?? performance.now();
  }

  update(counts: Partial<ProgressCounts>): void {
    this.#counts = { ...this.#counts, ...counts };
    const now = this.#now();
    if (now - this.#last < (this.#options.interactive ? BAR_EVERY_MS : LINE_EVERY_MS)) return;
    this.#last = now;
    this.#emit(false);
  }

  /** The last figures (with a line break after the bar); returns them for a summary. */
  done(): ProgressCounts & { seconds: number; rate: number } {
    this.#emit(true);
    const seconds = (this.#now() - this.#started) / 1000;
    return { ...this.#counts, seconds, rate: seconds > 0 ? this.#counts.messages / seconds : 0 };
  }

  #emit(final: boolean): void {
    const c = this.#counts;
    const seconds = Math.max((this.#now() - this.#started) / 1000, 0.001);
    const rate = c.messages / seconds;
    const left = c.total === undefined ? undefined : Math.max(c.total - c.messages, 0);
    const eta = left === undefined || rate === 0 ? undefined : Math.round(left / rate);
    if (!this.#options.interactive) {
      const line = {
        event: `${this.#options.event}.${final ? "done" : "progress"}`,
        folder: c.folder,
        messages: c.messages,
        total: c.total ?? null,
        bytes: c.bytes,
        totalBytes: c.totalBytes ?? null,
        skipped: c.skipped,
        rate: Math.round(rate * 10) / 10,
        etaSeconds: final ? 0 : (eta ?? null),
        elapsedSeconds: Math.round(seconds * 10) / 10,
      };
      this.#options.write(`${JSON.stringify(line)}\n`);
      return;
    }
    const width = 24;
    const share = c.total ? Math.min(c.messages / c.total, 1) : 0;
    const filled = Math.round(share * width);
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
    const count = c.total === undefined ? `${c.messages}` : `${c.messages}/${c.total}`;
    const parts = [
      bar,
      `${count} msgs`,
      mib(c.bytes),
      `${Math.round(rate)} msg/s`,
      `ETA ${eta === undefined ? "?" : clock(final ? 0 : eta)}`,
      c.skipped > 0 ? `${c.skipped} skipped` : "",
      c.folder,
    ].filter(Boolean);
    this.#options.write(`\r\x1b[2K${parts.join("  ")}${final ? "\n" : ""}`);
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}
