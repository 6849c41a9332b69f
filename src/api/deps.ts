/** What the API handlers get from the composition root, and the Hono environment carrying it. */
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Store } from "../store/mod.ts";

export interface ApiDeps {
  store: Store;
  log: Logger;
  adminToken: string;
  config: Pick<Config, "maxMessageSize" | "domain" | "hostname">;
  /** Text of openapi.yaml. */
  openapi: string;
}

export type ApiEnv = { Variables: { deps: ApiDeps } };
