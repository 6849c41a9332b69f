/**
 * The admin REST API (Hono): `createApp(deps)` builds it; the runtime serves `app.fetch`.
 * Everything under /api/v1 needs `Authorization: Bearer <admin token>` or a web session cookie
 * (issue 17: `/` serves the web interface, `/ui/session` signs it in); errors are problem+json.
 */
import { Hono } from "hono";
import { metrics } from "../metrics/mod.ts";
import { AuthFailures } from "../security/auth-failures.ts";
import { apiAuth } from "./auth.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { errorToProblem, problem } from "./problem.ts";
import { accountRoutes } from "./routes/accounts.ts";
import { aliasRoutes } from "./routes/aliases.ts";
import { autoconfigRoutes } from "./routes/autoconfig.ts";
import { backupRoutes } from "./routes/backups.ts";
import { chaosRoutes } from "./routes/chaos.ts";
import { dkimRoutes } from "./routes/dkim.ts";
import { domainRoutes } from "./routes/domains.ts";
import { eventRoutes } from "./routes/events.ts";
import { listenerRoutes } from "./routes/listeners.ts";
import { lockoutRoutes } from "./routes/lockouts.ts";
import { mailboxRoutes } from "./routes/mailboxes.ts";
import { messageContentRoutes } from "./routes/message-content.ts";
import { messageGlobalRoutes } from "./routes/message-global.ts";
import { accountWaitRoutes, messageSearchRoutes } from "./routes/message-search.ts";
import { messageRoutes } from "./routes/messages.ts";
import { mobileconfigRoutes } from "./routes/mobileconfig.ts";
import { namespaceRoutes } from "./routes/namespaces.ts";
import { observabilityRoutes } from "./routes/observability.ts";
import { queueRoutes } from "./routes/queue.ts";
import { refusalRoutes } from "./routes/refusals.ts";
import { reportRoutes } from "./routes/reports.ts";
import { statsRoutes } from "./routes/stats.ts";
import { webhookRoutes } from "./routes/webhooks.ts";
import { wellKnownRoutes } from "./routes/well-known.ts";
import { SseClients } from "./sse-clients.ts";
import { assetRoutes } from "./ui/asset-routes.ts";
import { sessionRoutes } from "./ui/session-routes.ts";
import { SessionStore } from "./ui/sessions.ts";
import { WaitHub } from "./wait-hub.ts";

export function createApp(given: ApiDeps): Hono<ApiEnv> {
  // One wait hub per app: every wait-for-message shares its one subscription to the change feed.
  const deps: ApiDeps = {
    ...given,
    waits: given.waits ?? new WaitHub({ store: given.store, log: given.log }),
    sse: given.sse ?? new SseClients({}),
    sessions: given.sessions ?? new SessionStore({ store: given.store, adminToken: given.adminToken }),
    authFailures: given.authFailures ?? new AuthFailures({ log: given.log }),
  };
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
  // Issue 17: the web interface, and its sign-in, on the same listener and the same API.
  app.route("/", assetRoutes(deps.webui));
  app.route("/ui/session", sessionRoutes);

  const v1 = new Hono<ApiEnv>();
  v1.use(apiAuth(deps.adminToken, deps.sessions!));
  v1.route("/domains", domainRoutes);
  v1.route("/domains", dkimRoutes);
  v1.route("/accounts", accountRoutes);
  v1.route("/aliases", aliasRoutes);
  v1.route("/accounts", mailboxRoutes);
  // Issue 16: ".../messages/wait" before ".../messages/{id}" of messageRoutes, which would take it.
  v1.route("/accounts", accountWaitRoutes);
  v1.route("/accounts", messageRoutes);
  v1.route("/accounts/:address/messages/:id", messageContentRoutes);
  // Issue 16: messages across accounts; "/messages/wait" before "/messages/{id}".
  v1.route("/messages", messageSearchRoutes);
  v1.route("/messages", messageGlobalRoutes);
  v1.route("/messages/:id", messageContentRoutes);
  v1.route("/namespaces", namespaceRoutes);
  v1.route("/events", eventRoutes);
  v1.route("/webhooks", webhookRoutes);
  v1.route("/chaos", chaosRoutes);
  v1.route("/accounts", mobileconfigRoutes);
  v1.route("/queue", queueRoutes);
  v1.route("/lockouts", lockoutRoutes);
  v1.route("/reports", reportRoutes);
  v1.route("/backups", backupRoutes);
  // Issue 17: the dashboard's listeners, hourly chart and recent refusals.
  v1.route("/listeners", listenerRoutes);
  v1.route("/stats", statsRoutes);
  v1.route("/refusals", refusalRoutes);
  app.route("/api/v1", v1);

  app.notFound((c) => problem(c, 404, "Not Found", `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => errorToProblem(error, c, deps.log));
  return app;
}
