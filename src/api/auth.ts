/** Bearer-token check for /api/v1, in constant time so response timing leaks nothing about the token. */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "./deps.ts";
import { problem } from "./problem.ts";

const digest = (s: string) => createHash("sha256").update(s).digest();

export function bearerAuth(token: string): MiddlewareHandler<ApiEnv> {
  const expected = digest(token);
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    // Comparing digests keeps the comparison constant-time whatever the presented length.
    if (!match || !timingSafeEqual(digest(match[1]!.trim()), expected)) {
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
