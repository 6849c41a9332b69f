/**
 * Finding messages across accounts (issue 16): `GET /api/v1/messages` searches, newest first, in
 * pages; `GET /api/v1/messages/wait` (and `/api/v1/accounts/{address}/messages/wait`) answers with
 * the first message meeting the criteria, waiting for it to arrive (wait-hub.ts) until `timeout`
 * (capped at WAIT_LIMITS.maxTimeoutMs) passes: then 408. The criteria are literal substrings.
 */
import { type Context, Hono } from "hono";
import { accountGet, messageFind, messagesFind } from "../../store/mod.ts";
import type { ApiEnv } from "../deps.ts";
import { criteriaOf, messageQuery, SearchQuery, WaitQuery, waitTimeoutOf } from "../message-query.ts";
import { messageViewWithAccount } from "../message-view.ts";
import { beforeIdCursor } from "../params.ts";
import { problem } from "../problem.ts";
import { TooManyWaits, type WaitHub } from "../wait-hub.ts";
import { messageSummaryJson } from "./messages.ts";

/** The hub createApp made (or was given); one per app, shared by every wait. */
function hubOf(c: Context<ApiEnv>): WaitHub {
  const { waits } = c.get("deps");
  if (!waits) throw new Error("createApp sets deps.waits");
  return waits;
}

async function waitHandler(c: Context<ApiEnv>): Promise<Response> {
  const { store } = c.get("deps");
  const hub = hubOf(c);
  const query = messageQuery(c, WaitQuery);
  const address = c.req.param("address");
  const account = address === undefined ? undefined : await accountGet(store.read, address);
  const criteria = await criteriaOf(store.read, query, account?.id);
  const asked = waitTimeoutOf(query);
  const timeoutMs = Math.min(asked, hub.limits.maxTimeoutMs);
  const deadline = Date.now() + timeoutMs;
  // A long poll sends nothing until it has its answer: the server's idle timeout must not cut it.
  c.env?.keepOpen?.(c.req.raw);
  for (;;) {
    let found: Awaited<ReturnType<WaitHub["wait"]>>;
    try {
      found = await hub.wait(criteria, {
        timeoutMs: Math.max(0, deadline - Date.now()),
        signal: c.req.raw.signal,
      });
    } catch (error) {
      if (!(error instanceof TooManyWaits)) throw error;
      c.header("retry-after", "1");
      return problem(c, 503, "Service Unavailable", error.message);
    }
    if (!found) {
      const capped =
        asked > timeoutMs
          ? ` (timeout=${query.timeout} asked for more: waits are capped at ${timeoutMs / 1000} s)`
          : "";
      return problem(c, 408, "Request Timeout", `no message matched within ${timeoutMs / 1000} s${capped}`);
    }
    const message = await messageFind(store.read, found.id);
    const view = message && (await messageViewWithAccount(store.read, message));
    if (view) return c.json(view);
    // Deleted between the match and the read: the next match (or the timeout) answers instead.
    criteria.sinceId = Math.max(criteria.sinceId ?? 0, found.id);
  }
}

/** GET /api/v1/messages/wait and GET /api/v1/messages. */
export const messageSearchRoutes = new Hono<ApiEnv>()
  .get("/", async (c) => {
    const { store } = c.get("deps");
    const query = messageQuery(c, SearchQuery);
    const criteria = await criteriaOf(store.read, query);
    if (query.cursor !== undefined) {
      const below = beforeIdCursor.decode(query.cursor);
      criteria.beforeId = Math.min(criteria.beforeId ?? Number.MAX_SAFE_INTEGER, below);
    }
    const found = await messagesFind(store.read, criteria, { order: "desc", limit: query.limit + 1 });
    const items = found.slice(0, query.limit);
    return c.json({
      items: items.map((m) => ({ ...messageSummaryJson(m), account: m.account, mailbox: m.mailbox })),
      next: found.length > query.limit ? beforeIdCursor.encode(items[items.length - 1]!.id) : null,
    });
  })
  .get("/wait", waitHandler);

/** GET /api/v1/accounts/{address}/messages/wait: mounted before the account's message routes. */
export const accountWaitRoutes = new Hono<ApiEnv>().get("/:address/messages/wait", waitHandler);
