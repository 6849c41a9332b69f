/**
 * Files embedded into the compiled executable by Bun's text imports: the SQL migrations with their
 * journal, openapi.yaml, and the web interface's bundle. A compiled binary has no migrations/ folder beside it.
 */

import init from "../../migrations/0000_init.sql" with { type: "text" };
import queue from "../../migrations/0001_queue.sql" with { type: "text" };
import outboundTls from "../../migrations/0002_outbound_tls.sql" with { type: "text" };
import dkimKeys from "../../migrations/0003_dkim_keys.sql" with { type: "text" };
import namespaces from "../../migrations/0004_namespaces.sql" with { type: "text" };
import webhooks from "../../migrations/0005_webhooks.sql" with { type: "text" };
import journal from "../../migrations/meta/_journal.json" with { type: "json" };
import openapiText from "../../openapi.yaml" with { type: "text" };
// Issue 17: the web interface as scripts/build-webui.ts built it (committed: see webui/README.md).
import { css as webuiCss, js as webuiJs } from "../../webui/dist/bundle.ts";
import type { EmbeddedMigrations } from "../store/mod.ts";

/** Every migration file, by journal tag. A test fails if the journal names one missing here. */
export const EMBEDDED_SQL: Record<string, string> = {
  "0000_init": init,
  "0001_queue": queue,
  "0002_outbound_tls": outboundTls,
  "0003_dkim_keys": dkimKeys,
  "0004_namespaces": namespaces,
  "0005_webhooks": webhooks,
};

export const embeddedMigrations: EmbeddedMigrations = { journal, sql: EMBEDDED_SQL };
export const openapi: string = openapiText;
export const webui = { js: webuiJs, css: webuiCss };
