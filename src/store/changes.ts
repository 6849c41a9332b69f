/**
 * Change notifications: the store publishes what a committed write changed, so that IMAP sessions
 * (IDLE, NOOP), POP3 and other readers learn of it without polling. Published only after commit,
 * never from inside a transaction (a commit can still fail).
 */

/**
 * What a new message's event shows, as stored (the contents row's subject, from and to), carried by
 * the ingest that stored it so that the event feed need not read it back after the commit: that
 * read cost one SMTP session ~8 % of its messages per second (bench/README.md, round 7).
 */
export interface AddedSummary {
  id: number;
  subject: string;
  from: string;
  to: string;
  size: number;
  internalDate: number;
}

export type Change =
  | {
      kind: "message-added";
      accountId: number;
      mailboxId: number;
      uid: number;
      modseq: number;
      /** Set by the ingest; COPY and MOVE leave it out (the feed reads those). */
      summary?: AddedSummary;
    }
  | {
      kind: "flags-changed";
      accountId: number;
      mailboxId: number;
      uid: number;
      modseq: number;
      flags: number;
      keywords: string[];
    }
  | { kind: "messages-expunged"; accountId: number; mailboxId: number; uids: number[]; modseq: number }
  | { kind: "mailbox-created"; accountId: number; mailboxId: number; name: string }
  | { kind: "mailbox-renamed"; accountId: number; mailboxId: number; name: string; oldName: string }
  | { kind: "mailbox-deleted"; accountId: number; mailboxId: number; name: string }
  /** The account's row changed (password, quota, disabled): what was derived from it must be checked again. */
  | { kind: "account-updated"; accountId: number }
  | { kind: "account-deleted"; accountId: number }
  /** A name subscribed or unsubscribed (NOTIFY SubscriptionChange, RFC 5465 §5.5). */
  | { kind: "subscription-changed"; accountId: number; name: string; subscribed: boolean }
  /** METADATA annotations set or removed (RFC 5464); `mailboxId` null for server annotations. */
  | { kind: "metadata-changed"; accountId: number; mailboxId: number | null; names: string[] };

export type ChangeListener = (change: Change) => void;

/**
 * Fan-out of changes by account: listeners for one account never see another's changes. Listeners
 * of every account (`subscribeAll`) are for server-wide readers such as the REST wait-for-message.
 */
export class ChangeHub {
  readonly #byAccount = new Map<number, Set<ChangeListener>>();
  readonly #all = new Set<ChangeListener>();

  subscribe(accountId: number, listener: ChangeListener): () => void {
    let set = this.#byAccount.get(accountId);
    if (!set) {
      set = new Set();
      this.#byAccount.set(accountId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#byAccount.delete(accountId);
    };
  }

  /** Every account's changes; returns the unsubscribe. */
  subscribeAll(listener: ChangeListener): () => void {
    this.#all.add(listener);
    return () => {
      this.#all.delete(listener);
    };
  }

  publish(change: Change): void {
    const set = this.#byAccount.get(change.accountId);
    if (set) for (const listener of [...set]) notify(listener, change);
    if (this.#all.size > 0) for (const listener of [...this.#all]) notify(listener, change);
  }
}

function notify(listener: ChangeListener, change: Change): void {
  try {
    listener(change);
  } catch {
    // A listener's failure is its session's problem; the write has committed regardless.
  }
}
