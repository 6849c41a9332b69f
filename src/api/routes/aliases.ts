/** /api/v1/aliases: addresses on local domains that deliver to one or more accounts. */
import { Hono } from "hono";
import { aliasCreate, aliasDelete, aliasList } from "../../store/mod.ts";
import { jsonBody } from "../body.ts";
import type { ApiEnv } from "../deps.ts";
import { AliasCreate } from "../schemas.ts";

export const aliasRoutes = new Hono<ApiEnv>()
  .get("/", async (c) => {
    const { store } = c.get("deps");
    return c.json({ items: await aliasList(store.read) });
  })
  .post("/", async (c) => {
    const { store } = c.get("deps");
    const body = await jsonBody(c, AliasCreate);
    const alias = await store.write((w) => aliasCreate(w, body.address, body.targets));
    return c.json(alias, 201, { location: `/api/v1/aliases/${encodeURIComponent(alias.address)}` });
  })
  .delete("/:address", async (c) => {
    const { store } = c.get("deps");
    await store.write((w) => aliasDelete(w, c.req.param("address")));
    return c.body(null, 204);
  });
