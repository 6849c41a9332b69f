/**
 * /api/v1/stats/hourly: mail per hour for the dashboard's chart, the last `hours` UTC hours (the
 * current one last): messages stored (received) and recipients delivered or bounced by the queue
 * (sent). From the store (store/traffic.ts), so it survives a restart.
 */
import { Hono } from "hono";
import { z } from "zod";
import { trafficHourly } from "../../store/mod.ts";
import type { ApiEnv } from "../deps.ts";
import { queryParams } from "../params.ts";

const HourlyQuery = z.strictObject({
  // Two days at most: what the chart shows, and a bound on the scan of recent message rows.
  hours: z.coerce.number().int().min(1).max(48).default(24),
});

export const statsRoutes = new Hono<ApiEnv>().get("/hourly", async (c) => {
  const { hours } = queryParams(c, HourlyQuery);
  const items = await trafficHourly(c.get("deps").store.read, { now: Date.now(), hours });
  return c.json({ items });
});
