/** /api/v1/accounts: mailbox owners. Password hashes never leave the store; responses carry none. */
import { Hono } from "hono";
import {
  type Account,
  accountCreate,
  accountDelete,
  accountGet,
  accountList,
  accountPrepare,
  accountUpdate,
  passwordHash,
} from "../../store/mod.ts";
import { jsonBody } from "../body.ts";
import type { ApiEnv } from "../deps.ts";
import { AccountListQuery, queryParams } from "../params.ts";
import { AccountCreate, AccountUpdate } from "../schemas.ts";

/** The public shape: an explicit pick, so a column added to the store is not exposed by accident. */
export function accountJson(a: Account) {
  return {
    address: a.address,
    quota: a.quota,
    quotaMessages: a.quotaMessages,
    usedBytes: a.usedBytes,
    disabled: a.disabled,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

const location = (address: string) => `/api/v1/accounts/${encodeURIComponent(address)}`;

export const accountRoutes = new Hono<ApiEnv>()
  .get("/", async (c) => {
    const { store } = c.get("deps");
    const { domain } = queryParams(c, AccountListQuery);
    const accounts = await accountList(store.read, domain ? { domain } : {});
    return c.json({ items: accounts.map(accountJson) });
  })
  .post("/", async (c) => {
    const { store } = c.get("deps");
    const body = await jsonBody(c, AccountCreate);
    // scrypt runs here, outside the write: it takes tens of milliseconds the write lock must not wait for.
    const prepared = await accountPrepare(body);
    const account = await store.write((w) => accountCreate(w, prepared));
    return c.json(accountJson(account), 201, { location: location(account.address) });
  })
  .get("/:address", async (c) => {
    const { store } = c.get("deps");
    return c.json(accountJson(await accountGet(store.read, c.req.param("address"))));
  })
  .patch("/:address", async (c) => {
    const { store } = c.get("deps");
    const body = await jsonBody(c, AccountUpdate);
    // Hashed before the write for the same reason as on create.
    const hash = body.password === undefined ? undefined : await passwordHash(body.password);
    const account = await store.write((w) =>
      accountUpdate(w, c.req.param("address"), {
        passwordHash: hash,
        quota: body.quota,
        quotaMessages: body.quotaMessages,
        disabled: body.disabled,
      }),
    );
    // Issue 17: a new password or a disabled account ends the account's web sessions.
    if (body.password !== undefined || body.disabled === true)
      await c.get("deps").sessions?.endAccount(account.address);
    return c.json(accountJson(account));
  })
  .delete("/:address", async (c) => {
    const { store } = c.get("deps");
    const account = await accountGet(store.read, c.req.param("address"));
    await store.write((w) => accountDelete(w, account.address));
    return c.body(null, 204);
  });
