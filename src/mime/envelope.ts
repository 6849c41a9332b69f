/**
 * IMAP ENVELOPE (RFC 3501 §7.4.2) from a header block. Values stay raw
 * (unfolded, not RFC 2047-decoded) because IMAP hands them to clients as-is.
 */

import { parseAddressList } from "./address.ts";
import { clip, type HeaderField } from "./headers.ts";
import type { Address, Envelope } from "./types.ts";

const ENVELOPE_FIELDS = new Set([
  "date",
  "subject",
  "from",
  "sender",
  "reply-to",
  "to",
  "cc",
  "bcc",
  "in-reply-to",
  "message-id",
]);

/** First value of each envelope field, in one pass (a hostile header can have millions of fields). */
function firstValues(fields: readonly HeaderField[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const f of fields) {
    if (f.name.length > 11) continue;
    const name = f.name.toLowerCase();
    if (ENVELOPE_FIELDS.has(name) && !found.has(name)) found.set(name, f.value);
  }
  return found;
}

function text(values: Map<string, string>, name: string): string | null {
  const value = values.get(name);
  return value === undefined ? null : clip(value);
}

function addresses(values: Map<string, string>, name: string): Address[] | null {
  const value = values.get(name);
  if (value === undefined) return null;
  const list = parseAddressList(clip(value));
  return list.length > 0 ? list : null;
}

export function emptyEnvelope(): Envelope {
  return {
    date: null,
    subject: null,
    from: null,
    sender: null,
    replyTo: null,
    to: null,
    cc: null,
    bcc: null,
    inReplyTo: null,
    messageId: null,
  };
}

export function buildEnvelope(fields: readonly HeaderField[]): Envelope {
  const values = firstValues(fields);
  const from = addresses(values, "from");
  return {
    date: text(values, "date"),
    subject: text(values, "subject"),
    from,
    // §7.4.2: "If the Sender or Reply-To lines are absent in the [RFC-2822]
    // header, or are present but empty, the server sets the corresponding
    // member of the envelope to be the same value as the from member."
    sender: addresses(values, "sender") ?? from,
    replyTo: addresses(values, "reply-to") ?? from,
    to: addresses(values, "to"),
    cc: addresses(values, "cc"),
    bcc: addresses(values, "bcc"),
    inReplyTo: text(values, "in-reply-to"),
    messageId: text(values, "message-id"),
  };
}
