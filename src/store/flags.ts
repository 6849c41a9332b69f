/**
 * System flags (RFC 3501 §2.3.2) as a bit set in messages.flags, so that "unseen" and "deleted"
 * counts run on an index instead of string matching. Keywords are kept apart as a JSON array.
 */

export const FLAG_BITS = {
  "\\Seen": 1,
  "\\Answered": 2,
  "\\Flagged": 4,
  "\\Deleted": 8,
  "\\Draft": 16,
} as const;

export type SystemFlag = keyof typeof FLAG_BITS;
export const SEEN = FLAG_BITS["\\Seen"];
export const DELETED = FLAG_BITS["\\Deleted"];

const BY_LOWER = new Map(
  Object.entries(FLAG_BITS).map(([name, bit]) => [name.toLowerCase(), [name, bit] as const]),
);

/** Splits a client's flag list into the bit set and the keywords (system flags are case-insensitive). */
export function flagsFromNames(names: readonly string[]): { flags: number; keywords: string[] } {
  let flags = 0;
  const keywords: string[] = [];
  for (const name of names) {
    const system = BY_LOWER.get(name.toLowerCase());
    if (system) flags |= system[1];
    else if (!name.startsWith("\\") && !keywords.includes(name)) keywords.push(name);
  }
  return { flags, keywords };
}

export function flagNames(flags: number, keywords: readonly string[] = []): string[] {
  const names: string[] = [];
  for (const [name, bit] of Object.entries(FLAG_BITS)) if (flags & bit) names.push(name);
  return names.concat(keywords);
}

export function parseKeywords(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((k): k is string => typeof k === "string") : [];
  } catch {
    return [];
  }
}
