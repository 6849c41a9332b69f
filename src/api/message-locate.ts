/**
 * The message a path names: `/api/v1/messages/{id}` (any account's: ids are global) or
 * `/api/v1/accounts/{address}/messages/{id}` (that account's only: another account's id is a 404,
 * exactly like an id that never existed). `{id}` may be "latest" (params.ts).
 */
import type { Context } from "hono";
import { accountGet, type Message, messageFind, messageGet, StoreError } from "../store/mod.ts";
import type { ApiEnv } from "./deps.ts";
import { messageIdParam } from "./params.ts";

export async function messageOfPath(c: Context<ApiEnv>): Promise<Message> {
  const { store } = c.get("deps");
  const id = await messageIdParam(c, store.read);
  const address = c.req.param("address");
  const message =
    address === undefined
      ? await messageFind(store.read, id)
      : await messageGet(store.read, (await accountGet(store.read, address)).id, id);
  if (!message) throw new StoreError("not_found", `message ${id} not found`);
  return message;
}
