/**
 * /api/v1/namespaces (issue 16): throwaway domains for parallel test runs. Each accepts mail for
 * any address (the first message creates the account) and is deleted, with all its mail, when its
 * `ttl` runs out or on DELETE. Times are epoch milliseconds, as elsewhere in the API.
 */
import { type Context, Hono } from "hono";
import { NAMESPACE_LIMITS } from "../../catch/limits.ts";
import { parseDuration } from "../../config.ts";
import { MAX_JSON_BODY, rawBody } from "../body.ts";
import { type ApiEnv, handedOver } from "../deps.ts";
import { ApiError } from "../problem.ts";
import { NamespaceCreate } from "../schemas.ts";

/** "30m" -> ms within NAMESPACE_LIMITS; a 422 naming the field otherwise. */
function ttlOf(text: string | undefined): number {
  if (text === undefined) return NAMESPACE_LIMITS.defaultTtlMs;
  const ms = parseDuration(text.trim());
  const bad = (why: string) => new ApiError(422, "Unprocessable Content", `ttl: ${why}`);
  if (ms === undefined) throw bad("must be a duration like 30m (units s, m, h, d)");
  if (ms < NAMESPACE_LIMITS.minTtlMs || ms > NAMESPACE_LIMITS.maxTtlMs)
    throw bad(
      `must be between ${NAMESPACE_LIMITS.minTtlMs / 1000}s and ${NAMESPACE_LIMITS.maxTtlMs / 86_400_000}d`,
    );
  return ms;
}

/** The JSON body, or {} when there is none (`curl -X POST .../namespaces` takes the defaults). */
async function optionalJson(c: Context<ApiEnv>): Promise<unknown> {
  const bytes = await rawBody(c, MAX_JSON_BODY, "a JSON body");
  if (bytes.length === 0) return {};
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ApiError(400, "Bad Request", "the request body is not valid JSON");
  }
}

export const namespaceRoutes = new Hono<ApiEnv>()
  .get("/", async (c) => c.json({ items: await handedOver(c, "namespaces").list() }))
  .post("/", async (c) => {
    const namespaces = handedOver(c, "namespaces");
    const body = NamespaceCreate.parse(await optionalJson(c));
    const created = await namespaces.create(ttlOf(body.ttl));
    return c.json(created, 201, { location: `/api/v1/namespaces/${encodeURIComponent(created.domain)}` });
  })
  .delete("/:domain", async (c) => {
    await handedOver(c, "namespaces").remove(c.req.param("domain"));
    return c.body(null, 204);
  });
