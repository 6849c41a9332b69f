/**
 * /api/v1/chaos (issue 16): PUT replaces the fault-injection rules, GET shows them (with how often
 * each applied), DELETE clears them. 403 unless the server runs with MAILROOM_CHAOS=true.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { ChaosRules } from "../../chaos/rules.ts";
import { jsonBody } from "../body.ts";
import type { ApiEnv } from "../deps.ts";
import { ApiError } from "../problem.ts";
import { ChaosUpdate } from "../schemas.ts";

function rulesOf(c: Context<ApiEnv>): ChaosRules {
  const { chaos } = c.get("deps");
  if (!chaos?.enabled)
    throw new ApiError(
      403,
      "Forbidden",
      "fault injection is off; start the server with MAILROOM_CHAOS=true (or --chaos)",
    );
  return chaos;
}

export const chaosRoutes = new Hono<ApiEnv>()
  .get("/", (c) => c.json({ rules: rulesOf(c).list() }))
  .put("/", async (c) => {
    const chaos = rulesOf(c);
    // Parsed once and kept as given, so GET shows "delay": "2s" rather than milliseconds.
    const given = (await jsonBody(c, z.unknown())) as { rules?: unknown[] };
    const body = ChaosUpdate.parse(given);
    chaos.set(body.rules.map((rule, i) => ({ rule, input: given.rules![i] })));
    return c.json({ rules: chaos.list() });
  })
  .delete("/", (c) => {
    rulesOf(c).clear();
    return c.body(null, 204);
  });
