/**
 * openapi.yaml against the app: every route Hono knows is documented and every documented operation
 * exists, with the conventions the spec promises (401 on /api/v1, problem+json errors, resolvable refs).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "../../src/api/app.ts";
import * as schemas from "../../src/api/schemas.ts";
import { silentLogger } from "../../src/log.ts";
import type { Store } from "../../src/store/mod.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

const SPEC_TEXT = readFileSync(join(import.meta.dir, "../../openapi.yaml"), "utf8");

interface Operation {
  operationId?: string;
  security?: unknown[];
  parameters?: Array<Record<string, unknown>>;
  responses: Record<string, { $ref?: string; content?: Record<string, unknown> }>;
}
type PathItem = Record<string, unknown> & { parameters?: Array<Record<string, unknown>> };
interface Spec {
  openapi: string;
  paths: Record<string, PathItem>;
  components: Record<string, Record<string, Record<string, unknown>>>;
}

const spec = Bun.YAML.parse(SPEC_TEXT) as Spec;
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function operations(s: Spec): Array<{ method: string; path: string; op: Operation; item: PathItem }> {
  return Object.entries(s.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m] !== undefined).map((method) => ({
      method: method.toUpperCase(),
      path,
      op: item[method] as Operation,
      item,
    })),
  );
}

/** The app's routes as "METHOD /path/{param}" (middleware, registered as ALL, is not a route). */
function appRoutes(routes: ReadonlyArray<{ method: string; path: string }>): string[] {
  const keys = routes
    .filter((r) => r.method !== "ALL")
    .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
  return [...new Set(keys)].sort();
}

function specRoutes(s: Spec): string[] {
  return operations(s)
    .map((o) => `${o.method} ${o.path}`)
    .sort();
}

function routeDiff(app: string[], documented: string[]): { undocumented: string[]; missing: string[] } {
  return {
    undocumented: app.filter((r) => !documented.includes(r)),
    missing: documented.filter((r) => !app.includes(r)),
  };
}

function resolve(ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = spec;
  for (const key of ref.slice(2).split("/"))
    node = (node as Record<string, unknown> | undefined)?.[key.replaceAll("~1", "/").replaceAll("~0", "~")];
  return node;
}

const app = createApp({
  store: {} as Store,
  log: silentLogger,
  adminToken: "token-for-route-listing-only",
  config: { maxMessageSize: 1024, domain: "example.com", hostname: "mx.example.com" },
  openapi: SPEC_TEXT,
});

describe("routes", () => {
  test("every route of the app is documented in openapi.yaml and every documented operation exists", () => {
    const diff = routeDiff(appRoutes(app.routes), specRoutes(spec));
    expect(diff).toEqual({ undocumented: [], missing: [] });
  });

  test("the comparison fails for a route missing from the spec and for an operation missing from the app", () => {
    const withExtraRoute = appRoutes([
      ...app.routes,
      { method: "PUT", path: "/api/v1/accounts/:address/secret" },
    ]);
    expect(routeDiff(withExtraRoute, specRoutes(spec)).undocumented).toEqual([
      "PUT /api/v1/accounts/{address}/secret",
    ]);
    const withExtraOperation: Spec = {
      ...spec,
      paths: { ...spec.paths, "/api/v1/ghosts": { get: { responses: {} } } },
    };
    expect(routeDiff(appRoutes(app.routes), specRoutes(withExtraOperation)).missing).toEqual([
      "GET /api/v1/ghosts",
    ]);
  });

  test("the app has the public routes of the brief", () => {
    const routes = appRoutes(app.routes);
    for (const route of [
      "GET /api/v1/accounts",
      "PATCH /api/v1/accounts/{address}",
      "DELETE /api/v1/aliases/{address}",
      "PATCH /api/v1/accounts/{address}/mailboxes/{mailbox}",
      "GET /api/v1/accounts/{address}/mailboxes/{mailbox}/messages",
      "POST /api/v1/accounts/{address}/mailboxes/{mailbox}/mbox",
      "GET /api/v1/accounts/{address}/messages/{id}/raw",
    ]) {
      expect(routes).toContain(route);
    }
  });
});

describe("operations", () => {
  test("the document is OpenAPI 3.1 with a bearer security scheme applied by default", () => {
    expect(spec.openapi).toStartWith("3.1");
    expect(spec.components.securitySchemes?.bearerAuth).toEqual(
      expect.objectContaining({ type: "http", scheme: "bearer" }),
    );
    expect((spec as unknown as { security: unknown }).security).toEqual([{ bearerAuth: [] }]);
  });

  test("every operation under /api/v1 declares a 401 response; the others need no token", () => {
    for (const { method, path, op } of operations(spec)) {
      if (path.startsWith("/api/v1/")) {
        expect({ route: `${method} ${path}`, has401: "401" in op.responses }).toEqual({
          route: `${method} ${path}`,
          has401: true,
        });
        expect(op.security).toBeUndefined();
      } else {
        expect({ route: `${method} ${path}`, security: op.security }).toEqual({
          route: `${method} ${path}`,
          security: [],
        });
      }
    }
  });

  test("every error response is application/problem+json", () => {
    for (const { method, path, op } of operations(spec)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const resolved = (response.$ref ? resolve(response.$ref) : response) as {
          content?: Record<string, unknown>;
        };
        expect({ route: `${method} ${path} ${status}`, types: Object.keys(resolved.content ?? {}) }).toEqual({
          route: `${method} ${path} ${status}`,
          types: ["application/problem+json"],
        });
      }
    }
  });

  test("every path template parameter is declared as a path parameter", () => {
    for (const { method, path, op, item } of operations(spec)) {
      const declared = [...(item.parameters ?? []), ...(op.parameters ?? [])]
        .map((p) => (typeof p.$ref === "string" ? (resolve(p.$ref) as Record<string, unknown>) : p))
        .filter((p) => p.in === "path")
        .map((p) => p.name)
        .sort();
      const inTemplate = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect({ route: `${method} ${path}`, declared }).toEqual({
        route: `${method} ${path}`,
        declared: inTemplate,
      });
    }
  });

  test("operationIds are unique", () => {
    const ids = operations(spec).map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === "string")).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("every $ref resolves", () => {
    const refs = [...SPEC_TEXT.matchAll(/\$ref:\s*"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(50);
    expect(refs.filter((ref) => resolve(ref) === undefined)).toEqual([]);
  });

  test("every request schema in src/api/schemas.ts has a component of the same name", () => {
    const names = Object.keys(schemas).sort();
    expect(names.filter((name) => spec.components.schemas?.[name] === undefined)).toEqual([]);
  });
});

describe("GET /openapi.yaml", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.close();
  });

  test("GET /openapi.yaml serves this file as YAML without a token", async () => {
    const res = await server.api("/openapi.yaml", { headers: { authorization: "" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/yaml; charset=utf-8");
    expect(await res.text()).toBe(SPEC_TEXT);
  });
});
