/**
 * Setting \Seen on messages a POP3 client retrieved, so an IMAP client of the same account sees them
 * as read. RETR does not wait for this write: the flag is advisory, and every write is a durable
 * commit. UIDs are collected for `delayMs` (or until `MAX_BATCH`) and written in one transaction, so
 * retrieving a thousand messages costs a few commits rather than a thousand. `settled()` writes what
 * is pending at once and resolves when it is stored: UPDATE calls it so its expunge never races a flag
 * write, and a closing connection calls it so nothing it retrieved stays unmarked.
 */
import type { Logger } from "../log.ts";
import { messagesUpdateFlags, SEEN, type Store } from "../store/mod.ts";

/** Past this many pending UIDs we write without waiting for the timer: bounds one transaction's size. */
const MAX_BATCH = 500;

export class SeenMarker {
  readonly #store: Store;
  readonly #mailboxId: number;
  readonly #log: Logger;
  readonly #delayMs: number;
  #pending: number[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The chain of writes; each starts after the previous one, so flags land in order. */
  #writes: Promise<void> = Promise.resolve();

  constructor(store: Store, mailboxId: number, options: { log: Logger; delayMs: number }) {
    this.#store = store;
    this.#mailboxId = mailboxId;
    this.#log = options.log;
    this.#delayMs = options.delayMs;
  }

  mark(uid: number): void {
    this.#pending.push(uid);
    if (this.#pending.length >= MAX_BATCH) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), this.#delayMs);
  }

  /** Writes whatever is pending now; resolves once every UID marked so far is stored (or its write failed and was logged). */
  settled(): Promise<void> {
    this.#flush();
    return this.#writes;
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const uids = this.#pending;
    this.#pending = [];
    this.#writes = this.#writes.then(() => this.#write(uids));
  }

  async #write(uids: number[]): Promise<void> {
    try {
      await this.#store.write((w) =>
        messagesUpdateFlags(w, this.#mailboxId, uids, { mode: "add", flags: SEEN, keywords: [] }),
      );
    } catch (error) {
      // The client has its bytes; only the IMAP-side flag is lost. Worth an operator's look.
      this.#log.error("pop3.seen_failed", { mailboxId: this.#mailboxId, count: uids.length, error });
    }
  }
}
