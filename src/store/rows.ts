/**
 * Row shapes the store hands out, apart from the functions that read them: modules that only name a
 * shape (copy, expunge) import it from here, not from the module that reads it, so no store module
 * imports itself through another.
 */

/** A mailbox row as every protocol sees it (RFC 3501 §2.3.1.1 UIDVALIDITY/UIDNEXT, RFC 7162 MODSEQ). */
export interface Mailbox {
  id: number;
  accountId: number;
  name: string;
  specialUse: string | null;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  /** Whether the account's subscription list has this name (subscriptions.ts). */
  subscribed: boolean;
}
