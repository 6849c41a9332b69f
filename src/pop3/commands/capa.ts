/**
 * CAPA (RFC 2449 §5): what this server supports. SASL lists the mechanisms of RFC 5034; STLS will join
 * once there are certificates. The list is the same in both states, as RFC 2449 allows.
 */
import { type Reply, reply } from "../protocol/response.ts";
import { SASL_MECHANISMS } from "./sasl.ts";

export const CAPABILITIES: readonly string[] = [
  "TOP",
  "USER",
  "UIDL",
  "RESP-CODES",
  "AUTH-RESP-CODE", // RFC 3206: [AUTH] on credential failures
  "PIPELINING", // RFC 2449 §6.6: commands are answered strictly in order
  "EXPIRE NEVER", // RFC 2449 §6.7: we never delete mail on our own
  `SASL ${SASL_MECHANISMS.join(" ")}`,
  "IMPLEMENTATION Mailroom",
];

export function capa(): Reply {
  return reply.lines("Capability list follows", CAPABILITIES);
}
