/** /api/v1/domains: the local domains. */
import { Hono } from "hono";
import { domainCreate, domainDelete, domainList } from "../../store/mod.ts";
import { jsonBody } from "../body.ts";
import type { ApiEnv } from "../deps.ts";
import { DomainCreate } from "../schemas.ts";

export const domainRoutes = new Hono<ApiEnv>()
  .get("/", async (c) => {
    const { store } = c.get("deps");
    return c.json({ items: await domainList(store.read) });
  })
  .post("/", async (c) => {
    const { store } = c.get("deps");
    const body = await jsonBody(c, DomainCreate);
    const domain = await store.write((w) => domainCreate(w, body.name));
    return c.json(domain, 201, { location: `/api/v1/domains/${encodeURIComponent(domain.name)}` });
  })
  .delete("/:domain", async (c) => {
    const { store } = c.get("deps");
    await store.write((w) => domainDelete(w, c.req.param("domain")));
    return c.body(null, 204);
  });
