/**
 * IMAP's error vocabulary, one-to-one with the wire: ImapNo is a tagged NO, ImapBad a tagged BAD,
 * each with an optional response code (RFC 5530). Store errors are translated in `fromStoreError()`,
 * the one boundary between the store's vocabulary and IMAP's.
 */
import { isStorageFull, StoreError } from "../store/mod.ts";

export class ImapNo extends Error {
  override name = "ImapNo";
  constructor(
    readonly code: string | undefined,
    text: string,
  ) {
    super(text);
  }
}

export class ImapBad extends Error {
  override name = "ImapBad";
  constructor(
    readonly code: string | undefined,
    text: string,
  ) {
    super(text);
  }
}

/** RFC 5530 response codes for store errors. */
const STORE_CODES: Record<StoreError["code"], string> = {
  not_found: "NONEXISTENT",
  conflict: "ALREADYEXISTS",
  invalid: "CANNOT",
  over_quota: "OVERQUOTA",
  // RFC 5530 §3: "an implementation limit of some kind".
  limit: "LIMIT",
  forbidden: "CANNOT",
};

/** The NO a store error is answered with (RFC 5530 code, the store's text); undefined for other errors. */
export function fromStoreError(error: unknown): ImapNo | undefined {
  // A full disk: nothing was written, and the command works again once space returns. OVERQUOTA is
  // what Dovecot answers to ENOSPC too ("Not enough disk space"): clients show it as "no space".
  if (isStorageFull(error))
    return new ImapNo("OVERQUOTA", "Not enough disk space on the server, try again later");
  if (!(error instanceof StoreError)) return undefined;
  return new ImapNo(STORE_CODES[error.code], error.message);
}
