/** Bearer-token check for /api/v1, in constant time so response timing leaks nothing about the token. */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "./deps.ts";
import { problem } from "./problem.ts";

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * Issue 16: the event stream also takes the token as `?access_token=` (RFC 6750 §2.3), because a
 * browser's (and Deno's) EventSource cannot send an Authorization header. Only there: elsewhere a
 * token in a URL would end up in logs and histories for no reason.
 */
const QUERY_TOKEN_PATHS = new Set(["/api/v1/events"]);

export function bearerAuth(token: string): MiddlewareHandler<ApiEnv> {
  const expected = digest(token);
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const presented =
      match?.[1]?.trim() ??
      (c.req.method === "GET" && QUERY_TOKEN_PATHS.has(c.req.path) ? c.req.query("access_token") : undefined);
    // Comparing digests keeps the comparison constant-time whatever the presented length.
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      c.header("WWW-Authenticate", 'Bearer realm="mailroom"');
      return problem(
        c,
        401,
        "Unauthorized",
        "a valid admin token is required: Authorization: Bearer <token>",
      );
    }
    await next();
  };
}
