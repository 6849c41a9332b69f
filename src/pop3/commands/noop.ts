/** NOOP (RFC 1939 §5): nothing, positively. Clients use it to keep a connection alive. */
import { type Reply, reply } from "../protocol/response.ts";

export function noop(): Reply {
  return reply.ok("");
}
