/**
 * Sends the queued spam lessons (store/spam-learns.ts) to rspamd's learnspam/learnham, with the
 * owner as the per-user Bayes key, one at a time in the background. A failure puts the lesson back
 * with a growing wait (30 s doubling to an hour); a lesson that failed SPAM_LIMITS.learnMaxAttempts
 * times, or whose message is gone, is dropped and logged. Nothing here ever holds an IMAP command.
 */
import type { Logger } from "../log.ts";
import {
  contentRaw,
  type SpamLearnJob,
  type Store,
  spamLearnRetry,
  spamLearnsDelete,
  spamLearnsDue,
} from "../store/mod.ts";
import { SPAM_LIMITS } from "./limits.ts";
import type { RspamdClient } from "./rspamd.ts";

export class SpamLearner {
  readonly #store: Store;
  readonly #rspamd: RspamdClient;
  readonly #log: Logger;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: { store: Store; rspamd: RspamdClient; log: Logger }) {
    this.#store = options.store;
    this.#rspamd = options.rspamd;
    this.#log = options.log;
  }

  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#running = this.#round().finally(() => {
        this.#running = undefined;
      });
    }, ms);
    this.#timer.unref?.();
  }

  /** One pass over what is due; then again at once if there was a full batch, else after the poll interval. */
  async #round(): Promise<void> {
    let full = false;
    try {
      const jobs = await spamLearnsDue(this.#store.read, Date.now(), SPAM_LIMITS.learnBatch);
      full = jobs.length === SPAM_LIMITS.learnBatch;
      for (const job of jobs) {
        if (this.#stopped) return;
        await this.#teach(job);
      }
    } catch (error) {
      this.#log.warn("spam.learn_round_failed", { error });
    }
    this.#schedule(full ? 0 : SPAM_LIMITS.learnPollMs);
  }

  async #teach(job: SpamLearnJob): Promise<void> {
    const raw = await contentRaw(this.#store.read, job.contentId);
    if (!raw) {
      this.#log.info("spam.learn_dropped", { id: job.id, account: job.address, reason: "message gone" });
      await this.#forget(job);
      return;
    }
    const outcome = await this.#rspamd.learn(job.kind, raw, job.address);
    if (outcome.kind === "done") {
      this.#log.info("spam.learned", { ...jobFields(job), detail: outcome.detail });
      await this.#forget(job);
      return;
    }
    if (outcome.kind === "drop" || job.attempts + 1 >= SPAM_LIMITS.learnMaxAttempts) {
      this.#log.warn("spam.learn_dropped", { ...jobFields(job), reason: outcome.detail });
      await this.#forget(job);
      return;
    }
    const wait = Math.min(SPAM_LIMITS.learnRetryMaxMs, SPAM_LIMITS.learnRetryBaseMs * 2 ** job.attempts);
    this.#log.info("spam.learn_retry", { ...jobFields(job), reason: outcome.detail, waitMs: wait });
    await this.#store.write((w) => spamLearnRetry(w, job.id, Date.now() + wait, outcome.detail));
  }

  /** The job is done with (learned, or given up on): it leaves the queue. */
  async #forget(job: SpamLearnJob): Promise<void> {
    await this.#store.write((w) => spamLearnsDelete(w, [job.id]));
  }
}

/** What every log line about a learning job names it by. */
function jobFields(job: SpamLearnJob) {
  return { id: job.id, account: job.address, kind: job.kind };
}
