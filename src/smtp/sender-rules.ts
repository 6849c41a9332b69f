/**
 * Who an authenticated client may send as (RFC 6409 §6.1, the "no spoofing" rule): the
 * envelope sender and every From/Sender header address must be the account's own address or one of
 * its aliases, compared case-insensitively; "+tag" sub-addresses of those are the same mailbox,
 * unless the tagged address is itself an account or an alias (someone else's: issue 9).
 * Pure functions: the caller looks the addresses up (store `accountSendAddresses`, `addressesInUse`).
 */
import { parseAddressList, parseHeaders } from "../mime/mod.ts";

const NONE: ReadonlySet<string> = new Set();

/** "user+tag@domain" -> "user@domain" (lower-case); undefined when `lower` has no tag. */
function untagged(lower: string): string | undefined {
  const at = lower.lastIndexOf("@");
  const plus = lower.indexOf("+");
  if (at <= 0 || plus <= 0 || plus > at) return undefined;
  return `${lower.slice(0, plus)}${lower.slice(at)}`;
}

/**
 * Whether `address` is one of `own` (lower-case), or a "+tag" form of one that is not in `inUse`
 * (the exact addresses that are accounts or aliases, whoever's: RFC 5233 sub-addressing applies only
 * to addresses that do not exist in their own right).
 */
export function senderAllowed(
  address: string,
  own: readonly string[],
  inUse: ReadonlySet<string> = NONE,
): boolean {
  const lower = address.trim().toLowerCase();
  if (own.includes(lower)) return true;
  if (inUse.has(lower)) return false;
  const base = untagged(lower);
  return base !== undefined && own.includes(base);
}

/** Of `addresses`, the ones whose answer depends on `inUse`: tagged forms of an own address. */
export function senderLookups(addresses: readonly string[], own: readonly string[]): string[] {
  const out = new Set<string>();
  for (const address of addresses) {
    const lower = address.trim().toLowerCase();
    const base = untagged(lower);
    if (!own.includes(lower) && base !== undefined && own.includes(base)) out.add(lower);
  }
  return [...out];
}

export type HeaderSenderCheck =
  | { ok: true }
  /** No From header, or one without a single mailbox in it (RFC 5322 §3.6 requires one). */
  | { ok: false; reason: "missing" }
  /** The first From/Sender address that the user does not own. */
  | { ok: false; reason: "not-owned"; address: string };

/** The mailboxes of the From and Sender fields of a header block, in order. */
export interface HeaderSenders {
  addresses: string[];
  /** How many of them came from From fields. */
  fromCount: number;
}

/**
 * The From and Sender addresses of the header block at the start of `message` (every occurrence:
 * a second From must not slip past). Group markers are not mailboxes and are skipped.
 */
export function headerSenders(message: Uint8Array): HeaderSenders {
  const addresses: string[] = [];
  let fromCount = 0;
  for (const field of parseHeaders(message, 0, message.length)) {
    const name = field.name.toLowerCase();
    if (name !== "from" && name !== "sender") continue;
    for (const a of parseAddressList(field.value)) {
      if (a.host === null) continue;
      addresses.push(`${a.mailbox ?? ""}@${a.host}`);
      if (name === "from") fromCount++;
    }
  }
  return { addresses, fromCount };
}

/** Checks header senders found by `headerSenders()` (or the message itself) against the user's addresses. */
export function checkHeaderSenders(
  message: Uint8Array | HeaderSenders,
  own: readonly string[],
  inUse: ReadonlySet<string> = NONE,
): HeaderSenderCheck {
  const senders = message instanceof Uint8Array ? headerSenders(message) : message;
  for (const address of senders.addresses)
    if (!senderAllowed(address, own, inUse)) return { ok: false, reason: "not-owned", address };
  return senders.fromCount > 0 ? { ok: true } : { ok: false, reason: "missing" };
}
