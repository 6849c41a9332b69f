/**
 * GET /api/v1/accounts/{address}/mobileconfig: an Apple configuration profile (.mobileconfig) that
 * sets the account up in Apple Mail; the admin hands it to the user (it holds no password).
 */
import { Hono } from "hono";
import { appleMailProfile } from "../../autoconfig/mod.ts";
import { accountGet } from "../../store/mod.ts";
import { type ApiEnv, clientSettingsOf } from "../deps.ts";

export const mobileconfigRoutes = new Hono<ApiEnv>().get("/:address/mobileconfig", async (c) => {
  const deps = c.get("deps");
  const account = await accountGet(deps.store.read, c.req.param("address"));
  const settings = clientSettingsOf(deps);
  const file = `${account.address.replace(/[^A-Za-z0-9@._-]/g, "_")}.mobileconfig`;
  return c.body(appleMailProfile(account.address, settings), 200, {
    "content-type": "application/x-apple-aspen-config",
    "content-disposition": `attachment; filename="${file}"`,
  });
});
