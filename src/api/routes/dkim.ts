/**
 * /api/v1/domains/{domain}/dkim and /dns: a local domain's DKIM keys (list, rotate; RFC 6376) and
 * the DNS records it should publish, each with what DNS serves now (src/auth/). Private keys never
 * appear here.
 */

import { Hono } from "hono";
import { z } from "zod";
import type { DkimKeyInfo } from "../../store/mod.ts";
import { type ApiEnv, handedOver } from "../deps.ts";
import { pick } from "../fields.ts";
import { queryParams } from "../params.ts";

const DnsQuery = z.strictObject({
  format: z.enum(["json", "zone"]).default("json"),
});

/** A key as the API shows it (epoch milliseconds, like every administrative record). */
function keyJson(key: DkimKeyInfo) {
  return pick(key, ["selector", "algorithm", "state", "createdAt", "retireAt"]);
}

export const dkimRoutes = new Hono<ApiEnv>()
  .get("/:domain/dkim", async (c) => {
    const keys = await handedOver(c, "deliverability").keys(c.req.param("domain"));
    return c.json({ items: keys.map(keyJson) });
  })
  .post("/:domain/dkim/rotate", async (c) => {
    const keys = await handedOver(c, "deliverability").rotate(c.req.param("domain"));
    return c.json({ items: keys.map(keyJson) });
  })
  .get("/:domain/dns", async (c) => {
    const { format } = queryParams(c, DnsQuery);
    const domain = c.req.param("domain");
    if (format === "zone") {
      return c.body(await handedOver(c, "deliverability").zone(domain), 200, {
        "content-type": "text/plain; charset=utf-8",
      });
    }
    return c.json({ items: await handedOver(c, "deliverability").check(domain) });
  });
