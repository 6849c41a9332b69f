/**
 * UIDONLY (RFC 9586): once a session ENABLEs it, no message sequence number crosses the wire either
 * way. Commands that take them (FETCH, STORE, SEARCH, COPY, MOVE, REPLACE, and UID SEARCH's message
 * number keys) are BAD [UIDREQUIRED] (§3.1); FETCH responses become UIDFETCH responses keyed by UID
 * (§3.3), removals are reported as VANISHED (§3.2), and SELECT leaves out the UNSEEN code.
 */
import { ImapBad } from "./errors.ts";

/** RFC 9586 §3.1: the answer to a command that uses message numbers in a UIDONLY session. */
export function uidRequired(): ImapBad {
  return new ImapBad("UIDREQUIRED", "Message sequence numbers are not allowed after ENABLE UIDONLY");
}

/**
 * The start of a message-data response: `seq FETCH`, or `uid UIDFETCH` under UIDONLY (RFC 9586 §3.3,
 * where the UID stands in front and needs no UID item of its own).
 */
export function fetchHead(seq: number, uid: number, uidOnly: boolean): string {
  return uidOnly ? `${uid} UIDFETCH` : `${seq} FETCH`;
}
