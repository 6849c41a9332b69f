/** What the API handlers get from the composition root, and the Hono environment carrying it. */
import type { Deliverability } from "../auth/mod.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { QueueItem, Store } from "../store/mod.ts";

export interface ApiDeps {
  store: Store;
  log: Logger;
  adminToken: string;
  config: Pick<Config, "maxMessageSize" | "domain" | "hostname">;
  /** Text of openapi.yaml. */
  openapi: string;
  /** The delivery queue runner's controls (src/smtp/queue/runner.ts); absent where no runner runs. */
  queue?: QueueControl;
  /** DKIM keys and the DNS records to publish (src/auth/); absent only in route-listing tests. */
  deliverability?: Deliverability;
}

/** What the queue routes ask of the runner: the API never imports the SMTP code, it is handed this. */
export interface QueueControl {
  /** Makes an item due now and wakes the runner; false when there is no such item. */
  retryNow(id: number): Promise<boolean>;
  /** Removes an item; with `bounce` its sender gets a DSN in the same commit. */
  remove(id: number, options: { bounce: boolean }): Promise<QueueItem | undefined>;
}

export type ApiEnv = { Variables: { deps: ApiDeps } };
