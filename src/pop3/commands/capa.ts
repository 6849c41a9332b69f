/**
 * CAPA (RFC 2449 §5): what this server supports, on this connection. SASL lists the mechanisms of
 * RFC 5034. USER and SASL are left out where a password would travel in the clear (RFC 2595 §4,
 * RFC 8314 §5.4); STLS is listed in the AUTHORIZATION state until TLS is active (RFC 2595 §4).
 */
import { type Reply, reply } from "../protocol/response.ts";
import type { Session, SessionState } from "../session.ts";
import { SASL_MECHANISMS } from "./sasl.ts";

export function capabilities(session: Session, state: SessionState): string[] {
  const passwords = session.plaintextAuthAllowed;
  return [
    "TOP",
    ...(passwords ? ["USER"] : []),
    "UIDL",
    "RESP-CODES",
    "AUTH-RESP-CODE", // RFC 3206: [AUTH] on credential failures
    "PIPELINING", // RFC 2449 §6.6: commands are answered strictly in order
    "EXPIRE NEVER", // RFC 2449 §6.7: we never delete mail on our own
    ...(passwords ? [`SASL ${SASL_MECHANISMS.join(" ")}`] : []),
    ...(state.kind === "authorization" && session.canStartTls ? ["STLS"] : []),
    "IMPLEMENTATION Mailroom",
  ];
}

export function capa(session: Session, state: SessionState): Reply {
  return reply.lines("Capability list follows", capabilities(session, state));
}
