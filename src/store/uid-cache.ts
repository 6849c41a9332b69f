/**
 * The UIDs of recently selected mailboxes, kept in memory and in step with every committed change,
 * so that SELECT of a large mailbox copies an array instead of reading 100k index entries
 * (measured: 8 ms of SQL plus 6 ms of parsing for 100k UIDs; a copy is ~0.1 ms). Dovecot keeps the
 * same map in its index files.
 *
 * Correctness: the list for a mailbox changes only through `apply()`, which the Writer calls for
 * every change right after it commits, in commit order. A list loaded from the database is kept
 * only if no change to that mailbox was applied while it was being read (the version check).
 * Another process writing the same file (`mailroom import` beside the server) publishes nothing
 * here, so each list also remembers the mailbox's HIGHESTMODSEQ it reflects: every add and expunge
 * raises it, and a list whose MODSEQ is not the row's is read again.
 */
import type { Change } from "./changes.ts";

/** Mailboxes kept at most (least recently used dropped first): bounds memory at a few MB per large mailbox. */
const MAX_MAILBOXES = 256;

export class UidCache {
  readonly #lists = new Map<number, number[]>();
  readonly #versions = new Map<number, number>();
  /** The mailbox's HIGHESTMODSEQ each list reflects. */
  readonly #modseqs = new Map<number, number>();

  /** A counter that moves whenever the mailbox's UID set changes. */
  version(mailboxId: number): number {
    return this.#versions.get(mailboxId) ?? 0;
  }

  /** A private copy of the cached UIDs, or undefined on a miss (none, or not of this HIGHESTMODSEQ). */
  get(mailboxId: number, highestModseq: number): number[] | undefined {
    const list = this.#lists.get(mailboxId);
    if (!list) return undefined;
    if (this.#modseqs.get(mailboxId) !== highestModseq) {
      this.#lists.delete(mailboxId);
      return undefined;
    }
    this.#lists.delete(mailboxId);
    this.#lists.set(mailboxId, list); // most recently used last
    return list.slice();
  }

  /** Keeps a list read from the database, unless the mailbox changed since `versionBeforeRead`. */
  set(mailboxId: number, uids: number[], versionBeforeRead: number, highestModseq: number): void {
    if (this.version(mailboxId) !== versionBeforeRead) return;
    this.#lists.set(mailboxId, uids.slice());
    this.#modseqs.set(mailboxId, highestModseq);
    if (this.#lists.size > MAX_MAILBOXES) {
      const oldest = this.#lists.keys().next().value;
      if (oldest !== undefined) this.#lists.delete(oldest);
    }
  }

  apply(change: Change): void {
    if (change.kind === "account-deleted" || !("mailboxId" in change)) {
      if (change.kind === "account-deleted") this.#lists.clear();
      return;
    }
    const id = change.mailboxId;
    if ("modseq" in change && this.#lists.has(id))
      this.#modseqs.set(id, Math.max(this.#modseqs.get(id) ?? 0, change.modseq));
    if (
      change.kind !== "message-added" &&
      change.kind !== "messages-expunged" &&
      change.kind !== "mailbox-deleted"
    )
      return;
    this.#versions.set(id, this.version(id) + 1);
    const list = this.#lists.get(id);
    if (!list) return;
    if (change.kind === "mailbox-deleted") {
      this.#lists.delete(id);
    } else if (change.kind === "message-added") {
      if (list.length === 0 || list[list.length - 1]! < change.uid) list.push(change.uid);
      else this.#lists.delete(id); // out of order: rare, reload rather than sort
    } else {
      const gone = new Set(change.uids);
      this.#lists.set(
        id,
        list.filter((u) => !gone.has(u)),
      );
    }
  }
}

/** Parses group_concat's "1,2,3" without split/map garbage: about 4x faster on 100k UIDs. */
export function parseUidList(text: string): number[] {
  const out: number[] = [];
  let n = 0;
  let inNumber = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      inNumber = true;
    } else if (inNumber) {
      out.push(n);
      n = 0;
      inNumber = false;
    }
  }
  if (inNumber) out.push(n);
  return out;
}
