/**
 * The UIDs that are \Recent in one session (RFC 3501 §2.3.2): the ranges it took, or (read-only)
 * saw untaken, when it selected the mailbox and each time it reported new messages. Ranges only
 * grow at the top, so they stay few; membership and counts are binary searches.
 */
import type { UidRange } from "../store/mod.ts";
import { lowerBound } from "./protocol/sequence.ts";

export class RecentSet {
  /** Ascending, disjoint; adjacent ranges are merged. */
  readonly #ranges: UidRange[] = [];

  add(range: UidRange | undefined): void {
    if (!range) return;
    const last = this.#ranges[this.#ranges.length - 1];
    if (last && range.from <= last.to + 1) last.to = Math.max(last.to, range.to);
    else this.#ranges.push({ ...range });
  }

  has(uid: number): boolean {
    for (let i = this.#ranges.length - 1; i >= 0; i--) {
      const r = this.#ranges[i]!;
      if (uid > r.to) return false;
      if (uid >= r.from) return true;
    }
    return false;
  }

  /** How many of `uids` (ascending) are recent. */
  count(uids: readonly number[]): number {
    let n = 0;
    for (const r of this.#ranges) n += lowerBound(uids, r.to + 1) - lowerBound(uids, r.from);
    return n;
  }
}
