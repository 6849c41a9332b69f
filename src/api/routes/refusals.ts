/**
 * /api/v1/refusals: the most recent SMTP refusals (commands answered 4xx or 5xx) and failed logins
 * of every protocol, newest first, from the in-memory ring the server keeps
 * (src/security/recent-refusals.ts; empty after a restart). For the dashboard.
 */
import { Hono } from "hono";
import { z } from "zod";
import { REFUSAL_LIMITS } from "../../security/recent-refusals.ts";
import { type ApiEnv, handedOver } from "../deps.ts";
import { queryParams } from "../params.ts";

const RefusalQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(REFUSAL_LIMITS.kept).default(50),
  kind: z.enum(["smtp", "auth"]).optional(),
});

export const refusalRoutes = new Hono<ApiEnv>().get("/", (c) => {
  const { limit, kind } = queryParams(c, RefusalQuery);
  const all = handedOver(c, "refusals").list();
  const items = (kind ? all.filter((r) => r.kind === kind) : all).slice(0, limit);
  return c.json({ items });
});
