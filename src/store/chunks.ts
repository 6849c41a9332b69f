/**
 * Long id lists in slices. A statement binds at most SQLite's variable limit (32,766 since 3.32,
 * 999 before), and a huge IN (...) list is slow to build and plan: every store function that takes
 * a caller's list of UIDs or ids runs it through here, one statement per slice.
 */

/** Values bound in one IN (...) list: far below SQLite's variable limit, with room for a few more. */
export const IN_LIST_MAX = 500;

/** `items` cut into consecutive slices of at most `size` (the last one may be shorter). */
export function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Runs `fn` on each slice of `items` in turn (never in parallel: the slices share one transaction)
 * and concatenates what the calls return.
 */
export async function inChunks<T, R>(
  items: readonly T[],
  size: number,
  fn: (chunk: T[]) => Promise<readonly R[]> | Promise<void>,
): Promise<R[]> {
  const out: R[] = [];
  for (const chunk of chunksOf(items, size)) {
    const rows = await fn(chunk);
    if (rows) out.push(...rows);
  }
  return out;
}

/** "?, ?, ?" for a raw statement's IN list of `n` values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}
