/**
 * openapi.yaml against the app: the file is valid OpenAPI 3.1 read by a real YAML parser, every
 * route Hono knows is documented and every documented operation exists, with the conventions the
 * spec promises (401 on /api/v1, problem+json errors, resolvable refs).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parseDocument } from "yaml";
import { createApp } from "../../src/api/app.ts";
import { createPublicApp } from "../../src/api/public-app.ts";
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

/** YAML 1.2 as the `yaml` package reads it: a duplicate key, a bad indent or a stray token is an error. */
function parseSpec(text: string): Spec {
  const doc = parseDocument(text, { prettyErrors: true, strict: true, uniqueKeys: true });
  const problems = [...doc.errors, ...doc.warnings].map((e) => e.message);
  if (problems.length > 0) throw new Error(`openapi.yaml does not parse:\n${problems.join("\n")}`);
  return doc.toJS() as Spec;
}

const spec = parseSpec(SPEC_TEXT);
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** RFC 6901: a JSON pointer to `path` inside the document. */
function pointer(path: readonly string[]): string {
  return path.map((key) => `/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/**
 * Every Schema Object of the document as a JSON pointer: the named components, and the `schema` of
 * each parameter, header and media type (OAS 3.1 §4.8.12, §4.8.14, §4.8.21).
 */
function schemaPointers(s: Spec): string[] {
  const found = Object.keys(s.components.schemas ?? {}).map((name) =>
    pointer(["components", "schemas", name]),
  );
  const walk = (node: unknown, path: string[]): void => {
    if (node === null || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "schema") found.push(pointer([...path, key]));
      else if (!(path.length === 1 && path[0] === "components" && key === "schemas"))
        walk(value, [...path, key]);
    }
  };
  walk(s, []);
  return found;
}

/**
 * Compiles every Schema Object with Ajv in strict mode, which refuses a keyword that is neither JSON
 * Schema 2020-12 nor one of the four OAS 3.1 adds (§4.8.24.1). The official OAS 3.1 schema cannot
 * catch this: JSON Schema allows unknown keywords, so `{ description: A, b. }` - a description cut
 * at an unquoted comma, leaving a stray key "b." - passes it.
 */
function schemaKeywordProblems(s: Spec): string[] {
  const ajv = new Ajv2020({ strictTypes: false, strictTuples: false, validateFormats: false });
  for (const keyword of ["discriminator", "xml", "externalDocs", "example"]) ajv.addKeyword(keyword);
  // The document is added whole so that "#/components/..." refs resolve; Ajv reads its root as a
  // schema too, so the root's fields (§4.8.1) are declared as keywords it neither checks nor enters.
  const rootFields = ["openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks", "components"];
  for (const field of [...rootFields, "security", "tags"]) ajv.addKeyword(field);
  const id = "urn:mailroom:openapi";
  ajv.addSchema({ ...s, $id: id });
  const problems: string[] = [];
  for (const at of schemaPointers(s)) {
    try {
      ajv.compile({ $ref: `${id}#${encodeURI(at)}` });
    } catch (err) {
      problems.push(`${at}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** All `$ref` values of the document, wherever they sit. */
function refsOf(node: unknown): string[] {
  if (node === null || typeof node !== "object") return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === "$ref" && typeof value === "string" ? [value] : refsOf(value),
  );
}

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

const deps = {
  store: {} as Store,
  log: silentLogger,
  adminToken: "token-for-route-listing-only",
  config: { maxMessageSize: 1024, domain: "example.com", hostname: "mx.example.com" },
  openapi: SPEC_TEXT,
};
const app = createApp(deps);
/** The public web listeners' apps (plain and TLS): every route they serve is documented too. */
const publicRoutes = [false, true].flatMap((secure) => createPublicApp(deps, { secure }).routes);

describe("document", () => {
  test("openapi.yaml is valid against the official OpenAPI 3.1 schema", async () => {
    const result = await new Validator().validate(
      structuredClone(spec) as unknown as Record<string, unknown>,
    );
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  test("the official schema refuses a stray key outside a Schema Object", async () => {
    const broken = parseSpec(
      [
        "openapi: 3.1.0",
        'info: { title: t, version: "1" }',
        "paths:",
        "  /items:",
        "    get:",
        "      parameters:",
        "        - { name: limit, in: query, schema: { type: integer }, description: Items, at most 500. }",
        '      responses: { "200": { description: The items. } }',
        "",
      ].join("\n"),
    );
    const result = await new Validator().validate(broken as unknown as Record<string, unknown>);
    expect(result.valid).toBe(false);
    expect(result.errors).toContainEqual(
      expect.objectContaining({ params: { unevaluatedProperty: "at most 500." } }),
    );
  });

  test("every Schema Object uses only JSON Schema and OpenAPI keywords", () => {
    expect(schemaPointers(spec).length).toBeGreaterThan(50);
    expect(schemaKeywordProblems(spec)).toEqual([]);
  });

  test("the keyword check refuses a flow-mapping description cut at an unquoted comma", () => {
    const broken = parseSpec(
      [
        "openapi: 3.1.0",
        'info: { title: t, version: "1" }',
        "paths: {}",
        "components:",
        "  schemas:",
        "    Page:",
        "      type: object",
        "      properties:",
        '        next: { type: [string, "null"], description: Cursor of the next page, or null on the last. }',
        "",
      ].join("\n"),
    );
    expect(schemaKeywordProblems(broken)).toEqual([
      '/components/schemas/Page: strict mode: unknown keyword: "or null on the last."',
    ]);
  });

  test("a duplicate key is a parse error, not a silently overwritten value", () => {
    expect(() => parseSpec("openapi: 3.1.0\nopenapi: 3.0.0\n")).toThrow("openapi.yaml does not parse");
  });
});

describe("routes", () => {
  test("every route of the app is documented in openapi.yaml and every documented operation exists", () => {
    const diff = routeDiff(appRoutes([...app.routes, ...publicRoutes]), specRoutes(spec));
    expect(diff).toEqual({ undocumented: [], missing: [] });
  });

  test("the public listeners serve no route under /api/v1, nor the metrics", () => {
    const routes = appRoutes(publicRoutes);
    expect(
      routes.filter((r) => r.includes("/api/") || r.includes("/metrics") || r.includes("/readyz")),
    ).toEqual([]);
    expect(routes).toContain("GET /.well-known/acme-challenge/{token}");
    expect(routes).toContain("POST /autodiscover/autodiscover.xml");
  });

  test("the comparison fails for a route missing from the spec and for an operation missing from the app", () => {
    const withExtraRoute = appRoutes([
      ...app.routes,
      ...publicRoutes,
      { method: "PUT", path: "/api/v1/accounts/:address/secret" },
    ]);
    expect(routeDiff(withExtraRoute, specRoutes(spec)).undocumented).toEqual([
      "PUT /api/v1/accounts/{address}/secret",
    ]);
    const withExtraOperation: Spec = {
      ...spec,
      paths: { ...spec.paths, "/api/v1/ghosts": { get: { responses: {} } } },
    };
    expect(
      routeDiff(appRoutes([...app.routes, ...publicRoutes]), specRoutes(withExtraOperation)).missing,
    ).toEqual(["GET /api/v1/ghosts"]);
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
      if (path === "/metrics") {
        // The token, or none with MAILROOM_METRICS_PUBLIC=true.
        expect({ has401: "401" in op.responses, security: op.security }).toEqual({
          has401: true,
          security: [{ bearerAuth: [] }, {}],
        });
      } else if (path.startsWith("/api/v1/")) {
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
    const refs = refsOf(spec);
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
