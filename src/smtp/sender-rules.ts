/**
 * Who an authenticated client may send as (RFC 6409 §6.1, the "no spoofing" rule): the
 * envelope sender and every From/Sender header address must be the account's own address or one of
 * its aliases, compared case-insensitively; "+tag" sub-addresses of those are the same mailbox.
 * Pure functions: the caller looks the addresses up (store `accountSendAddresses`).
 */
import { parseAddressList, parseHeaders } from "../mime/mod.ts";

/** Whether `address` is one of `own` (lower-case), or a "+tag" form of one. */
export function senderAllowed(address: string, own: readonly string[]): boolean {
  const lower = address.trim().toLowerCase();
  if (own.includes(lower)) return true;
  const at = lower.lastIndexOf("@");
  const plus = lower.indexOf("+");
  // RFC 5233 sub-addressing: "user+tag@domain" is user@domain's mailbox.
  if (at <= 0 || plus <= 0 || plus > at) return false;
  return own.includes(`${lower.slice(0, plus)}${lower.slice(at)}`);
}

export type HeaderSenderCheck =
  | { ok: true }
  /** No From header, or one without a single mailbox in it (RFC 5322 §3.6 requires one). */
  | { ok: false; reason: "missing" }
  /** The first From/Sender address that the user does not own. */
  | { ok: false; reason: "not-owned"; address: string };

/**
 * Checks the From and Sender fields of the header block at the start of `message` (every
 * occurrence: a second From must not slip past). Group markers are not mailboxes and are skipped.
 */
export function checkHeaderSenders(message: Uint8Array, own: readonly string[]): HeaderSenderCheck {
  let mailboxes = 0;
  for (const field of parseHeaders(message, 0, message.length)) {
    const name = field.name.toLowerCase();
    if (name !== "from" && name !== "sender") continue;
    for (const a of parseAddressList(field.value)) {
      if (a.host === null) continue;
      const address = `${a.mailbox ?? ""}@${a.host}`;
      if (!senderAllowed(address, own)) return { ok: false, reason: "not-owned", address };
      if (name === "from") mailboxes++;
    }
  }
  return mailboxes > 0 ? { ok: true } : { ok: false, reason: "missing" };
}
