/**
 * Files embedded into the compiled executable by Bun's text imports: the SQL migrations with their
 * journal, openapi.yaml, and the web interface's bundle. A compiled binary has no migrations/ folder beside it.
 */

import init from "../../migrations/0000_init.sql" with { type: "text" };
import queue from "../../migrations/0001_queue.sql" with { type: "text" };
import outboundTls from "../../migrations/0002_outbound_tls.sql" with { type: "text" };
import dkimKeys from "../../migrations/0003_dkim_keys.sql" with { type: "text" };
import saveDateQuotaMessages from "../../migrations/0004_save_date_quota_messages.sql" with { type: "text" };
import spamDefence from "../../migrations/0005_spam_defence.sql" with { type: "text" };
import acme from "../../migrations/0006_acme.sql" with { type: "text" };
import inboundAuth from "../../migrations/0007_inbound_auth.sql" with { type: "text" };
import housekeeping from "../../migrations/0008_housekeeping.sql" with { type: "text" };
import imapRecentSortSearch from "../../migrations/0009_imap_recent_sort_search.sql" with { type: "text" };
import imapMetadata from "../../migrations/0010_imap_metadata.sql" with { type: "text" };
import namespacesWebhooks from "../../migrations/0011_namespaces_webhooks.sql" with { type: "text" };
import webuiSessionsStats from "../../migrations/0012_webui_sessions_stats.sql" with { type: "text" };
import compactContents from "../../migrations/0013_compact_contents.sql" with { type: "text" };
import contentsSortKeysOut from "../../migrations/0014_contents_sort_keys_out.sql" with { type: "text" };
import searchIndexBehind from "../../migrations/0015_search_index_behind.sql" with { type: "text" };
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
  "0004_save_date_quota_messages": saveDateQuotaMessages,
  "0005_spam_defence": spamDefence,
  "0006_acme": acme,
  "0007_inbound_auth": inboundAuth,
  "0008_housekeeping": housekeeping,
  "0009_imap_recent_sort_search": imapRecentSortSearch,
  "0010_imap_metadata": imapMetadata,
  "0011_namespaces_webhooks": namespacesWebhooks,
  "0012_webui_sessions_stats": webuiSessionsStats,
  "0013_compact_contents": compactContents,
  "0014_contents_sort_keys_out": contentsSortKeysOut,
  "0015_search_index_behind": searchIndexBehind,
};

export const embeddedMigrations: EmbeddedMigrations = { journal, sql: EMBEDDED_SQL };
export const openapi: string = openapiText;
export const webui = { js: webuiJs, css: webuiCss };
