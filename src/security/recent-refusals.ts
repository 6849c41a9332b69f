/**
 * Issue 17: the last refusals, for the dashboard (GET /api/v1/refusals): SMTP commands answered
 * 4xx/5xx (fed by the same hook that counts them for /metrics, src/smtp/metrics.ts) and failed
 * logins of every protocol (fed by the shared limiter's listeners, src/main.ts). In memory, a fixed
 * ring: the newest REFUSAL_LIMITS.kept entries, each with its reply cut to `replyChars`; a restart
 * empties it (the counts that outlive a scrape are /metrics' business).
 */

export type Refusal =
  | {
      kind: "smtp";
      /** Epoch ms. */
      at: number;
      /** The listener (smtp, submission, smtps). */
      listener: string;
      client: string | null;
      command: string;
      code: number;
      /** The enhanced status code (RFC 3463) when the reply has one, else the basic code. */
      status: string;
      reply: string;
    }
  | {
      kind: "auth";
      at: number;
      protocol: string;
      client: string;
      login: string;
      lockedOut: boolean;
    };

export const REFUSAL_LIMITS = {
  /**
   * Entries kept. A flood of refused commands (a dictionary attack on RCPT, a guesser) replaces old
   * entries instead of growing memory: the ring's size is fixed whatever the rate.
   */
  kept: 200,
  /** Characters of a reply kept: a long multi-line reply does not make one entry large. */
  replyChars: 200,
} as const;

/** A ring of the newest refusals (oldest overwritten first). */
export class RecentRefusals {
  readonly #ring: Refusal[] = [];
  #next = 0;
  readonly #kept: number;

  constructor(kept: number = REFUSAL_LIMITS.kept) {
    this.#kept = kept;
  }

  add(refusal: Refusal): void {
    const entry =
      refusal.kind === "smtp" && refusal.reply.length > REFUSAL_LIMITS.replyChars
        ? { ...refusal, reply: `${refusal.reply.slice(0, REFUSAL_LIMITS.replyChars)}…` }
        : refusal;
    if (this.#ring.length < this.#kept) this.#ring.push(entry);
    else this.#ring[this.#next] = entry;
    this.#next = (this.#next + 1) % this.#kept;
  }

  /** Newest first, at most `limit`. */
  list(limit: number = this.#kept): Refusal[] {
    const n = this.#ring.length;
    const out: Refusal[] = [];
    for (let i = 1; i <= Math.min(limit, n); i++) out.push(this.#ring[(this.#next - i + n) % n]!);
    return out;
  }
}
