/**
 * IMAP's error vocabulary, one-to-one with the wire: ImapNo is a tagged NO, ImapBad a tagged BAD,
 * each with an optional response code (RFC 5530). Store errors are translated in `fromStoreError()`,
 * the one boundary between the store's vocabulary and IMAP's.
 */
import { StoreError } from "../store/mod.ts";

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
export function fromStoreError(error: unknown): ImapNo | undefined {
  if (!(error instanceof StoreError)) return undefined;
  switch (error.code) {
    case "not_found":
      return new ImapNo("NONEXISTENT", error.message);
    case "conflict":
      return new ImapNo("ALREADYEXISTS", error.message);
    case "invalid":
      return new ImapNo("CANNOT", error.message);
    case "over_quota":
      return new ImapNo("OVERQUOTA", error.message);
    case "forbidden":
      return new ImapNo("CANNOT", error.message);
  }
}
