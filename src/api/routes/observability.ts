/**
 * GET /metrics (Prometheus text format 0.0.4, behind the admin token unless MAILROOM_METRICS_PUBLIC)
 * and GET /readyz: 200 when the database takes a write, every configured listener is bound and the
 * queue runner is alive; 503 with the failing checks otherwise (a load balancer stops sending then).
 */
import { Hono } from "hono";
import { bearerAuth } from "../auth.ts";
import type { ApiEnv } from "../deps.ts";
import { problem } from "../problem.ts";

export function observabilityRoutes(adminToken: string, metricsPublic: boolean) {
  const token = bearerAuth(adminToken);
  return new Hono<ApiEnv>()
    .get(
      "/metrics",
      async (c, next) => (metricsPublic ? next() : token(c, next)),
      async (c) => {
        const observability = c.get("deps").observability;
        if (!observability) return problem(c, 404, "Not Found", "metrics are not collected here");
        return c.body(await observability.metrics(), 200, {
          "content-type": "text/plain; version=0.0.4; charset=utf-8",
        });
      },
    )
    .get("/readyz", async (c) => {
      const observability = c.get("deps").observability;
      const checks = observability ? await observability.readiness() : [];
      const failed = checks.filter((check) => !check.ok);
      if (failed.length > 0)
        return problem(
          c,
          503,
          "Service Unavailable",
          failed.map((f) => `${f.check}: ${f.detail ?? "failed"}`).join("; "),
          { checks } as never,
        );
      return c.json({ status: "ready", checks });
    });
}
