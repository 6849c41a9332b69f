/**
 * /.well-known/mta-sts.txt (RFC 8461 §3.3): our MTA-STS policy for the domain named by the Host
 * header (`mta-sts.<domain>`), without the admin token — senders fetch it anonymously. Any other
 * host, or a domain that is not local, is a 404. (Senders fetch it over HTTPS only; a TLS front or
 * the automatic-certificates listener serves this route.)
 */
import { Hono } from "hono";
import type { ApiEnv } from "../deps.ts";
import { problem } from "../problem.ts";

export const wellKnownRoutes = new Hono<ApiEnv>().get("/mta-sts.txt", async (c) => {
  const host = (c.req.header("host") ?? "").toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
  const domain = host.startsWith("mta-sts.") ? host.slice("mta-sts.".length) : "";
  const policy = domain ? await c.get("deps").deliverability?.mtaStsPolicy(domain) : null;
  if (!policy) return problem(c, 404, "Not Found", `no MTA-STS policy for host "${host}"`);
  return c.body(policy, 200, { "content-type": "text/plain; charset=utf-8" });
});
