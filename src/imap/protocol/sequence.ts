/**
 * Sequence sets (RFC 3501 §9 sequence-set, RFC 9051 §9): "1:4,7,9:*". Parsed once into ranges;
 * "*" stays symbolic until resolved against a mailbox (the largest number in use).
 */

export interface SequenceRange {
  /** null stands for "*". */
  from: number | null;
  to: number | null;
}

export interface SequenceSet {
  ranges: SequenceRange[];
  /** "$": the result of the last SEARCH with SAVE (RFC 5182) — not supported, kept for clear errors. */
  saved?: boolean;
}

/** Parses a sequence-set; returns undefined when malformed (a 0, a stray character). */
export function parseSequenceSet(text: string): SequenceSet | undefined {
  const ranges: SequenceRange[] = [];
  for (const part of text.split(",")) {
    const m = /^(\d+|\*)(?::(\d+|\*))?$/.exec(part);
    if (!m) return undefined;
    const from = m[1] === "*" ? null : Number(m[1]);
    const to = m[2] === undefined ? from : m[2] === "*" ? null : Number(m[2]);
    if (
      from === 0 ||
      to === 0 ||
      (from !== null && !Number.isSafeInteger(from)) ||
      (to !== null && !Number.isSafeInteger(to))
    )
      return undefined;
    if (from !== null && from > 0xffffffff) return undefined;
    if (to !== null && to > 0xffffffff) return undefined;
    ranges.push({ from, to });
  }
  return ranges.length > 0 ? { ranges } : undefined;
}

/** Whether n is in the set, with "*" meaning `max` (RFC 3501 §6.4.8: "*" is the largest in use). */
export function sequenceContains(set: SequenceSet, n: number, max: number): boolean {
  for (const r of set.ranges) {
    const a = r.from ?? max;
    const b = r.to ?? max;
    if (n >= Math.min(a, b) && n <= Math.max(a, b)) return true;
  }
  return false;
}

/**
 * The members of `sorted` (ascending numbers in use: UIDs, or 1..n) that are in the set.
 * Linear in the set's ranges times log n, so "1:*" over 100k messages is cheap.
 */
export function sequenceSelect(set: SequenceSet, sorted: readonly number[]): number[] {
  if (sorted.length === 0) return [];
  const max = sorted[sorted.length - 1]!;
  const picked = new Set<number>();
  for (const r of set.ranges) {
    const a = r.from ?? max;
    const b = r.to ?? max;
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    for (let i = lowerBound(sorted, lo); i < sorted.length && sorted[i]! <= hi; i++) picked.add(sorted[i]!);
  }
  return [...picked].sort((x, y) => x - y);
}

export function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Compact form of ascending numbers, "1:3,7" (for COPYUID, ESEARCH ALL, VANISHED). */
export function sequenceFormat(sorted: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return out.join(",");
}

/**
 * The numbers in 1..last that are not in `sorted` (ascending), restricted to `within` when given
 * ("*" = `star`), in compact form: the VANISHED (EARLIER) a server sends when it no longer knows which
 * UIDs went away after the client's MODSEQ (RFC 7162 §3.2.5.2). Linear in the gaps times the ranges.
 */
export function sequenceGaps(
  sorted: readonly number[],
  last: number,
  within?: { set: SequenceSet; star: number },
): string {
  const gaps: Array<[number, number]> = [];
  let previous = 0;
  for (const n of sorted) {
    if (n > last) break;
    if (n > previous + 1) gaps.push([previous + 1, n - 1]);
    previous = n;
  }
  if (last > previous) gaps.push([previous + 1, last]);
  let picked = gaps;
  if (within) {
    const bounds = within.set.ranges.map((r) => {
      const a = r.from ?? within.star;
      const b = r.to ?? within.star;
      return [Math.min(a, b), Math.max(a, b)] as const;
    });
    picked = [];
    for (const [lo, hi] of gaps)
      for (const [a, b] of bounds)
        if (Math.max(lo, a) <= Math.min(hi, b)) picked.push([Math.max(lo, a), Math.min(hi, b)]);
    picked.sort((x, y) => x[0] - y[0]);
  }
  const merged: Array<[number, number]> = [];
  for (const [lo, hi] of picked) {
    const top = merged[merged.length - 1];
    if (top && lo <= top[1] + 1) top[1] = Math.max(top[1], hi);
    else merged.push([lo, hi]);
  }
  return merged.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}:${hi}`)).join(",");
}
