/** /api/v1/domains: the local domains. */
import { Hono } from "hono";
import { dkimKeysCreate, domainCreate, domainDelete, domainList, domainNormalize } from "../../store/mod.ts";
import { jsonBody } from "../body.ts";
import type { ApiEnv } from "../deps.ts";
import { DomainCreate } from "../schemas.ts";

export const domainRoutes = new Hono<ApiEnv>()
  .get("/", async (c) => {
    const { store } = c.get("deps");
    return c.json({ items: await domainList(store.read) });
  })
  .post("/", async (c) => {
    const { store, deliverability, certificates } = c.get("deps");
    const body = await jsonBody(c, DomainCreate);
    domainNormalize(body.name); // a bad name is a 422 before any key is generated
    // Issue 11: the domain gets its DKIM keys in the same commit; generated before it, outside the write.
    const keys = deliverability ? await deliverability.newKeys() : [];
    const domain = await store.write(async (w) => {
      const created = await domainCreate(w, body.name);
      await dkimKeysCreate(w, created.name, keys);
      return created;
    });
    // Its mta-sts. and autoconfig. names belong on the ACME certificate.
    certificates?.domainsChanged();
    return c.json(domain, 201, { location: `/api/v1/domains/${encodeURIComponent(domain.name)}` });
  })
  .delete("/:domain", async (c) => {
    const { store, certificates } = c.get("deps");
    await store.write((w) => domainDelete(w, c.req.param("domain")));
    certificates?.domainsChanged();
    return c.body(null, 204);
  });
