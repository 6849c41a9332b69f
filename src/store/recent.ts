/**
 * Who takes \Recent (RFC 3501 §2.3.2): a message is recent in exactly one session, the first to be
 * told of it: a session that SELECTs the mailbox after the message arrived, or one that has it
 * selected when it arrives and reports it. \Recent is no stored flag but session state; what the
 * sessions share is, per mailbox, a watermark: the highest UID some session has already taken.
 * A read-write session takes the UIDs above it (SELECT, or reporting EXISTS); a read-only one
 * (EXAMINE) only looks (§6.3.2: EXAMINE must not take \Recent away).
 *
 * The claim is decided here, in memory, synchronously (JavaScript runs one claim at a time and one
 * process owns the database), so two sessions never take the same UID; the watermark is then
 * written behind to mailboxes.recent_uid, so that a restart does not make old mail recent again.
 * If that write is lost (a crash), some messages are recent once more, which is what §2.3.2 asks
 * when the server cannot tell ("that message SHOULD be considered recent").
 */
import type { Change } from "./changes.ts";

/** A range of UIDs, both ends included. */
export interface UidRange {
  from: number;
  to: number;
}

/** One session's hold on a mailbox's watermark, from SELECT/EXAMINE until it leaves the mailbox. */
export interface RecentView {
  /** Takes the UIDs above the watermark up to `upTo` (read-write sessions); undefined when none are left. */
  claim(upTo: number): UidRange | undefined;
  /** The UIDs above the watermark up to `upTo`, left for a read-write session to take (EXAMINE). */
  peek(upTo: number): UidRange | undefined;
  /** The session left the mailbox. Safe to call twice. */
  close(): void;
}

interface Entry {
  watermark: number;
  /** What the database holds (or is being told). */
  persisted: number;
  /** The write under way, if any. */
  persisting: Promise<void> | undefined;
  /** Sessions that have the mailbox open. */
  users: number;
}

/**
 * Mailboxes whose watermark is kept in memory after every session left them, at most; beyond, the
 * idle ones already written to the database are dropped (the next SELECT reads the column again).
 * Bounds memory however many mailboxes get selected over the process's life.
 */
const MAX_IDLE_ENTRIES = 10_000;

export class RecentClaims {
  readonly #entries = new Map<number, Entry>();
  readonly #persist: (mailboxId: number, watermark: number) => Promise<void>;

  /** `persist` raises mailboxes.recent_uid to at least the watermark (a write of its own). */
  constructor(persist: (mailboxId: number, watermark: number) => Promise<void>) {
    this.#persist = persist;
  }

  /**
   * A session opens the mailbox; `stored` is mailboxes.recent_uid as read with its snapshot. The
   * watermark in memory wins when there is one: it is never behind the database.
   */
  open(mailboxId: number, stored: number): RecentView {
    let entry = this.#entries.get(mailboxId);
    if (!entry) {
      entry = { watermark: stored, persisted: stored, persisting: undefined, users: 0 };
      this.#entries.set(mailboxId, entry);
      this.#trim();
    } else if (stored > entry.watermark) {
      entry.watermark = stored;
      entry.persisted = Math.max(entry.persisted, stored);
    }
    entry.users++;
    const e = entry;
    let open = true;
    return {
      claim: (upTo) => {
        const range = above(e.watermark, upTo);
        if (range) {
          e.watermark = upTo;
          this.#write(mailboxId, e);
        }
        return range;
      },
      peek: (upTo) => above(e.watermark, upTo),
      close: () => {
        if (!open) return;
        open = false;
        e.users--;
      },
    };
  }

  /** Every watermark ahead of the database, by mailbox: STATUS RECENT counts above these. */
  unwrittenAll(): Map<number, number> {
    const out = new Map<number, number>();
    for (const [id, entry] of this.#entries)
      if (entry.watermark > entry.persisted) out.set(id, entry.watermark);
    return out;
  }

  /**
   * Called for every committed change: a deleted mailbox's watermark goes with it (ids are never
   * reused; those of a deleted account's mailboxes are only dead weight, which #trim() drops).
   */
  apply(change: Change): void {
    if (change.kind === "mailbox-deleted") this.#entries.delete(change.mailboxId);
  }

  /**
   * Waits until every watermark is in the database (Store.close() calls it before the writer
   * stops, so a clean shutdown loses no claim).
   */
  async settle(): Promise<void> {
    for (;;) {
      const pending = [...this.#entries.values()].flatMap((e) => (e.persisting ? [e.persisting] : []));
      if (pending.length === 0) return;
      await Promise.all(pending);
    }
  }

  /** One write at a time per mailbox; claims made meanwhile go out with the next. */
  #write(mailboxId: number, entry: Entry): void {
    if (entry.persisting) return;
    const target = entry.watermark;
    entry.persisting = this.#persist(mailboxId, target)
      .then(
        () => {
          entry.persisted = Math.max(entry.persisted, target);
          return true;
        },
        // The store is closing, or the mailbox is gone: the watermark stays in memory only, and
        // is not retried (the next claim tries again).
        () => false,
      )
      .then((written) => {
        entry.persisting = undefined;
        if (written && entry.watermark > entry.persisted && this.#entries.get(mailboxId) === entry)
          this.#write(mailboxId, entry);
      });
  }

  #trim(): void {
    if (this.#entries.size <= MAX_IDLE_ENTRIES) return;
    for (const [id, entry] of this.#entries) {
      if (this.#entries.size <= MAX_IDLE_ENTRIES) break;
      if (entry.users === 0 && !entry.persisting && entry.persisted >= entry.watermark)
        this.#entries.delete(id);
    }
  }
}

function above(watermark: number, upTo: number): UidRange | undefined {
  return upTo > watermark ? { from: watermark + 1, to: upTo } : undefined;
}
