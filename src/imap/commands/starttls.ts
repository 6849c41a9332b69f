/**
 * STARTTLS (RFC 3501 §6.2.1, RFC 2595 §3.1): the tagged OK is the last plain-text line; the session
 * then hands the socket to TLS (ImapSession.#startTls) and drops anything the client pipelined
 * behind the command. The client must ask for CAPABILITY again: it changes (no STARTTLS, no
 * LOGINDISABLED, the AUTH= mechanisms appear).
 */
import { ImapBad } from "../errors.ts";
import type { NotAuthenticatedCommand } from "./handler.ts";

export async function starttls({ session, parser }: NotAuthenticatedCommand): Promise<string> {
  parser.end();
  // RFC 3501 §6.2.1 offers STARTTLS only on a plain connection; a second one is a client error.
  if (session.secure) throw new ImapBad(undefined, "TLS is already active");
  if (!session.canStartTls) throw new ImapBad(undefined, "STARTTLS is not available");
  session.requestTls();
  return "Begin TLS negotiation now";
}
