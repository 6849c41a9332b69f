/**
 * /api/v1/lockouts: the failed-login limiter's keys (client addresses and accounts), so the operator
 * can see who is being slowed down or locked out and lift a lockout by hand (the owner locked out by
 * somebody else's guessing, a NAT shared with a guesser). Read from and cleared in the limiter the
 * protocols share (src/security/auth-failures.ts), handed over as `deps.lockouts`; nothing is stored.
 */
import { Hono } from "hono";
import { z } from "zod";
import { type ApiEnv, handedOver } from "../deps.ts";
import { queryParams } from "../params.ts";
import { ApiError } from "../problem.ts";

const LockoutListQuery = z.strictObject({
  /** Only keys locked out now. */
  locked: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
});

export const lockoutRoutes = new Hono<ApiEnv>()
  .get("/", (c) => {
    const { locked } = queryParams(c, LockoutListQuery);
    const items = handedOver(c, "lockouts")
      .entries()
      .filter((e) => !locked || e.lockedUntil !== null)
      // Most recently active first: that is what an operator looking at a lockout wants to see.
      .reverse();
    return c.json({ items });
  })
  .delete("/:key", (c) => {
    // Hono percent-decodes the segment: an IPv6 key "2001:db8:1:2::/64" arrives from ".../2001:db8:1:2::%2F64".
    const key = c.req.param("key");
    if (!handedOver(c, "lockouts").clear(key))
      throw new ApiError(404, "Not Found", `no failed logins are held for ${key}`);
    return c.body(null, 204);
  });
