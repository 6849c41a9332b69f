/**
 * The store's error vocabulary. Each protocol translates these at one boundary
 * (SMTP reply codes, IMAP NO responses, HTTP problem+json) and treats anything else as a server fault.
 */

export type StoreErrorCode =
  | "not_found" // the named thing does not exist (or belongs to another account)
  | "conflict" // it exists already, or the change would break a uniqueness rule
  | "invalid" // the input breaks a rule the store enforces (bad name, bad address)
  | "over_quota" // the account's quota would be exceeded
  | "limit" // a per-account limit would be exceeded (number of mailboxes)
  | "forbidden"; // the operation is never allowed on this object (e.g. deleting INBOX)

export class StoreError extends Error {
  override name = "StoreError";
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new StoreError("not_found", `${what} not found`);
export const conflict = (what: string) => new StoreError("conflict", `${what} already exists`);
export const invalid = (why: string) => new StoreError("invalid", why);

/**
 * Whether a write failed because the disk is full: SQLite's SQLITE_FULL (or ENOSPC), also when
 * wrapped as another error's `cause`. Nothing was committed, and the same write succeeds once space
 * returns, so each protocol answers it as a temporary condition (SMTP 452 4.3.1, IMAP NO
 * [OVERQUOTA], HTTP 507).
 */
export function isStorageFull(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === "object" && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === "SQLITE_FULL" || code === "ENOSPC") return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
