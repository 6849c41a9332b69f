/**
 * The IMAP URLs CATENATE takes (RFC 4469 §3: "only relative IMAP message or message part URLs ...
 * are used"), parsed after RFC 5092 §§ 5-11 as far as naming one message, or one part of it, of
 * the logged-in user needs:
 *
 *   "/" enc-mailbox [";UIDVALIDITY=" nz-number] "/;UID=" nz-number ["/;SECTION=" enc-section] ["/;PARTIAL=" range]
 *   ";UID=" nz-number ["/;SECTION=" ...] ["/;PARTIAL=" ...]        (in the selected mailbox: RFC 4469 §3's base)
 *
 * Keys are case-insensitive (RFC 4469's own examples write ";section="). Anything else (a scheme,
 * a server, URLAUTH, a search) is undefined here, answered NO [BADURL] by the caller. Pure syntax.
 */
import { utf7Decode } from "./utf7.ts";

export interface MessageUrl {
  /** The mailbox name (decoded), or undefined for the selected mailbox. */
  mailbox: string | undefined;
  uidValidity: number | undefined;
  uid: number;
  /** The section as in BODY[section] (e.g. "1.MIME", "HEADER"), or undefined for the whole message. */
  section: string | undefined;
  /** RFC 5092 ipartial: octets from origin, at most length of them. */
  partial: { origin: number; length: number | undefined } | undefined;
}

const NZ_NUMBER = /^[1-9]\d{0,9}$/;

/** Percent-decoding (RFC 3986 §2.1) into UTF-8 text; undefined when malformed. */
function percentDecode(text: string): string | undefined {
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) return undefined;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function uidOf(text: string | undefined): number | undefined {
  if (text === undefined || !NZ_NUMBER.test(text) || Number(text) > 0xffffffff) return undefined;
  return Number(text);
}

/** A message or message-part URL of this server and user, or undefined when it is not one we take. */
export function parseMessageUrl(url: string): MessageUrl | undefined {
  if (url.length === 0 || url.length > 2048) return undefined;
  let mailbox: string | undefined;
  let uidValidity: number | undefined;
  let rest: string;
  if (url.startsWith("/")) {
    const uidAt = url.search(/\/;uid=/i);
    if (uidAt <= 1) return undefined;
    const ref = url.slice(1, uidAt);
    rest = url.slice(uidAt + 1);
    const validity = /;uidvalidity=([^;/]*)$/i.exec(ref);
    const encoded = validity ? ref.slice(0, validity.index) : ref;
    if (validity) {
      uidValidity = uidOf(validity[1]);
      if (uidValidity === undefined) return undefined;
    }
    if (encoded === "" || encoded.includes(";")) return undefined;
    const name = percentDecode(encoded);
    if (name === undefined) return undefined;
    // RFC 5092 §3.2 names are UTF-8; a modified UTF-7 one (RFC 2192's form) is taken too.
    mailbox =
      name.toUpperCase() === "INBOX" ? "INBOX" : name.includes("&") ? (utf7Decode(name) ?? name) : name;
  } else if (/^;uid=/i.test(url)) {
    rest = url;
  } else {
    return undefined;
  }
  const pieces = rest.split("/");
  const uid = uidOf(/^;uid=(.*)$/i.exec(pieces[0]!)?.[1]);
  if (uid === undefined) return undefined;
  let section: string | undefined;
  let partial: MessageUrl["partial"];
  for (const piece of pieces.slice(1)) {
    const sectionMatch = /^;section=(.+)$/i.exec(piece);
    const partialMatch = /^;partial=(\d{1,10})(?:\.([1-9]\d{0,9}))?$/i.exec(piece);
    if (sectionMatch && section === undefined && partial === undefined) {
      section = percentDecode(sectionMatch[1]!);
      if (section === undefined) return undefined;
    } else if (partialMatch && partial === undefined) {
      partial = {
        origin: Number(partialMatch[1]),
        length: partialMatch[2] === undefined ? undefined : Number(partialMatch[2]),
      };
    } else {
      return undefined;
    }
  }
  return { mailbox, uidValidity, uid, section, partial };
}
