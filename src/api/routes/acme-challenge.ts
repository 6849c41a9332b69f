/**
 * RFC 8555 §8.3: HTTP-01 validation. The CA fetches
 * http://<name>/.well-known/acme-challenge/<token> on port 80 and expects the key authorization as
 * the body. Served by the public HTTP listener only, while an order is in progress.
 */
import { Hono } from "hono";
import type { ApiEnv } from "../deps.ts";
import { problem } from "../problem.ts";

export const acmeChallengeRoutes = new Hono<ApiEnv>().get("/:token", (c) => {
  const token = c.req.param("token");
  // RFC 8555 §8.1: a token is base64url; anything else is not one of ours.
  const answer = /^[A-Za-z0-9_-]{1,256}$/.test(token)
    ? c.get("deps").acmeChallenges?.http01(token)
    : undefined;
  if (answer === undefined)
    return problem(c, 404, "Not Found", "no ACME challenge with this token is in progress");
  return c.body(answer, 200, { "content-type": "application/octet-stream" });
});
