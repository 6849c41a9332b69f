/**
 * Options with defaults: every component that takes `Partial<Limits>` (tests pass small bounds, the
 * server the defaults) resolves them here, so an option left out — or passed as undefined — always
 * means the documented default.
 */
export function withDefaults<T extends object>(defaults: Readonly<T>, given: Partial<T> | undefined): T {
  const resolved: T = { ...defaults };
  if (given === undefined) return resolved;
  for (const key of Object.keys(given) as (keyof T)[]) {
    const value = given[key];
    if (value !== undefined) resolved[key] = value as T[keyof T];
  }
  return resolved;
}
