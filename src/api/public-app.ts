/**
 * What the public web listeners serve (MAILROOM_PUBLIC_HTTP_PORT, MAILROOM_PUBLIC_HTTPS_PORT): ACME
 * HTTP-01 answers (plain HTTP only, RFC 8555 §8.3), the MTA-STS policy (HTTPS only, RFC 8461 §3.3),
 * Thunderbird autoconfig and Autodiscover. Never the admin API: nothing here takes a token, and
 * everything else is a 404.
 */
import { Hono } from "hono";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { errorToProblem, problem } from "./problem.ts";
import { acmeChallengeRoutes } from "./routes/acme-challenge.ts";
import { autoconfigRoutes } from "./routes/autoconfig.ts";
import { wellKnownRoutes } from "./routes/well-known.ts";

export function createPublicApp(deps: ApiDeps, options: { secure: boolean }): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use(async (c, next) => {
    c.set("deps", deps);
    await next();
  });
  if (options.secure) app.route("/.well-known", wellKnownRoutes);
  else app.route("/.well-known/acme-challenge", acmeChallengeRoutes);
  app.route("/", autoconfigRoutes);
  app.notFound((c) => problem(c, 404, "Not Found", `no public resource at ${c.req.path}`));
  app.onError((error, c) => errorToProblem(error, c, deps.log));
  return app;
}
