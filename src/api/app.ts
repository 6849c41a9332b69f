/**
 * The admin REST API (Hono): `createApp(deps)` builds it; the runtime serves `app.fetch`.
 * Everything under /api/v1 needs `Authorization: Bearer <admin token>`; errors are problem+json.
 */
import { Hono } from "hono";
import { metrics } from "../metrics/mod.ts";
import { bearerAuth } from "./auth.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { errorToProblem, problem } from "./problem.ts";
import { accountRoutes } from "./routes/accounts.ts";
import { aliasRoutes } from "./routes/aliases.ts";
import { autoconfigRoutes } from "./routes/autoconfig.ts";
import { backupRoutes } from "./routes/backups.ts";
import { dkimRoutes } from "./routes/dkim.ts";
import { domainRoutes } from "./routes/domains.ts";
import { lockoutRoutes } from "./routes/lockouts.ts";
import { mailboxRoutes } from "./routes/mailboxes.ts";
import { messageRoutes } from "./routes/messages.ts";
import { mobileconfigRoutes } from "./routes/mobileconfig.ts";
import { observabilityRoutes } from "./routes/observability.ts";
import { queueRoutes } from "./routes/queue.ts";
import { reportRoutes } from "./routes/reports.ts";
import { wellKnownRoutes } from "./routes/well-known.ts";

export function createApp(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use(async (c, next) => {
    c.set("deps", deps);
    metrics.httpRequest("http");
    await next();
  });

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/openapi.yaml", (c) =>
    c.body(deps.openapi, 200, { "content-type": "application/yaml; charset=utf-8" }),
  );
  app.route("/.well-known", wellKnownRoutes);
  app.route("/", observabilityRoutes(deps.adminToken, deps.observability?.metricsPublic ?? false));
  // Client autoconfiguration answers here too (an admin testing it; a proxy in front of this port).
  app.route("/", autoconfigRoutes);

  const v1 = new Hono<ApiEnv>();
  v1.use(bearerAuth(deps.adminToken));
  v1.route("/domains", domainRoutes);
  v1.route("/domains", dkimRoutes);
  v1.route("/accounts", accountRoutes);
  v1.route("/aliases", aliasRoutes);
  v1.route("/accounts", mailboxRoutes);
  v1.route("/accounts", messageRoutes);
  v1.route("/accounts", mobileconfigRoutes);
  v1.route("/queue", queueRoutes);
  v1.route("/lockouts", lockoutRoutes);
  v1.route("/reports", reportRoutes);
  v1.route("/backups", backupRoutes);
  app.route("/api/v1", v1);

  app.notFound((c) => problem(c, 404, "Not Found", `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => errorToProblem(error, c, deps.log));
  return app;
}
