/**
 * The fields of a stored record that the API shows, named one by one: a field added to the store
 * (a private key, an internal id) is never published by accident.
 */
export function pick<T, K extends keyof T>(item: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) out[key] = item[key];
  return out;
}

/** Text fields the store keeps as "" when absent, shown as null (as the API shows every absent value). */
export function emptyAsNull<T, K extends keyof T>(
  item: T & Record<K, string>,
  keys: readonly K[],
): Record<K, string | null> {
  const out = {} as Record<K, string | null>;
  for (const key of keys) out[key] = item[key] || null;
  return out;
}
