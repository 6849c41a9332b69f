/**
 * STLS (RFC 2595 §4): after the +OK the connection hands the socket to TLS, dropping anything the
 * client pipelined behind the command (RFC 2595 §3.1, CVE-2011-0411), and the AUTHORIZATION state
 * starts over: a USER given before the handshake is forgotten.
 */
import type { Command } from "../protocol/parser.ts";
import { type Reply, reply } from "../protocol/response.ts";
import type { AuthorizationState, Session } from "../session.ts";

export function stls(session: Session, _state: AuthorizationState, command: Command): Reply {
  if (command.args.length > 0) return reply.err("usage: STLS");
  // RFC 2595 §4: STLS on a connection that is already encrypted is an error.
  if (session.secure) return reply.err("TLS is already active");
  if (!session.canStartTls) return reply.err("STLS is not available");
  session.requestTls();
  return reply.ok("Begin TLS negotiation");
}
