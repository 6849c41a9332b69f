/** /api/v1/domains over real HTTP, plus the behaviour every /api/v1 route shares (auth, problem+json, 400). */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { expectProblem } from "./helpers.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

describe("authentication", () => {
  test("GET /api/v1/domains returns 401 with a WWW-Authenticate challenge without a token", async () => {
    const res = await server.api("/api/v1/domains", { headers: { authorization: "" } });
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
    const body = await expectProblem(res, 401);
    expect(body.detail).toContain("Bearer");
  });

  test("GET /api/v1/domains returns 401 with a wrong token", async () => {
    await expectProblem(
      await server.api("/api/v1/domains", { headers: { authorization: "Bearer not-the-token" } }),
      401,
    );
  });

  test("POST /api/v1/domains with a wrong token returns 401 and creates nothing", async () => {
    const res = await server.api("/api/v1/domains", {
      method: "POST",
      json: { name: "sneaky.example" },
      headers: { authorization: "Basic eDp5" },
    });
    await expectProblem(res, 401);
    const list = (await (await server.api("/api/v1/domains")).json()) as { items: Array<{ name: string }> };
    expect(list.items.map((d) => d.name)).not.toContain("sneaky.example");
  });

  test("GET /healthz needs no token", async () => {
    const res = await server.api("/healthz", { headers: { authorization: "" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });
});

describe("/api/v1/domains", () => {
  test("GET /api/v1/domains lists the primary domain created at start", async () => {
    const res = await server.api("/api/v1/domains");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Array<{ name: string; createdAt: number }> };
    expect(body.items.map((d) => d.name)).toContain("example.com");
  });

  test("POST /api/v1/domains returns 201 with the normalised domain and a Location", async () => {
    const res = await server.api("/api/v1/domains", { method: "POST", json: { name: "Example.ORG" } });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe("/api/v1/domains/example.org");
    const body = (await res.json()) as { name: string; createdAt: number };
    expect(body.name).toBe("example.org");
    expect(typeof body.createdAt).toBe("number");
  });

  test("POST /api/v1/domains returns 409 for a duplicate domain", async () => {
    await server.api("/api/v1/domains", { method: "POST", json: { name: "dup.example" } });
    const body = await expectProblem(
      await server.api("/api/v1/domains", { method: "POST", json: { name: "DUP.example" } }),
      409,
    );
    expect(body.detail).toContain("dup.example");
  });

  test("POST /api/v1/domains returns 400 for malformed JSON", async () => {
    const res = await server.api("/api/v1/domains", {
      method: "POST",
      body: "{name:",
      headers: { "content-type": "application/json" },
    });
    const body = await expectProblem(res, 400);
    expect(body.detail).toContain("JSON");
  });

  test("POST /api/v1/domains returns 422 listing a wrong-typed and an unknown field", async () => {
    const res = await server.api("/api/v1/domains", { method: "POST", json: { name: 5, color: "red" } });
    const body = await expectProblem(res, 422);
    expect(body.errors?.map((e) => e.path)).toContain("name");
    expect(body.detail).toContain("color");
  });

  test("POST /api/v1/domains returns 422 for a name that is not a domain", async () => {
    const body = await expectProblem(
      await server.api("/api/v1/domains", { method: "POST", json: { name: "not a domain" } }),
      422,
    );
    expect(body.detail).toContain("not a domain");
  });

  test("DELETE /api/v1/domains/{domain} returns 204 and removes it", async () => {
    await server.api("/api/v1/domains", { method: "POST", json: { name: "gone.example" } });
    expect((await server.api("/api/v1/domains/gone.example", { method: "DELETE" })).status).toBe(204);
    const list = (await (await server.api("/api/v1/domains")).json()) as { items: Array<{ name: string }> };
    expect(list.items.map((d) => d.name)).not.toContain("gone.example");
  });

  test("DELETE /api/v1/domains/{domain} returns 404 for an unknown domain", async () => {
    await expectProblem(await server.api("/api/v1/domains/nowhere.example", { method: "DELETE" }), 404);
  });

  test("DELETE /api/v1/domains/{domain} returns 409 while the domain has accounts", async () => {
    await createAccounts(server, [{ address: "user@busy.example" }]);
    const body = await expectProblem(
      await server.api("/api/v1/domains/busy.example", { method: "DELETE" }),
      409,
    );
    expect(body.detail).toContain("1 accounts");
  });
});

test("an unknown path under /api/v1 returns a 404 problem", async () => {
  const body = await expectProblem(await server.api("/api/v1/nothing-here"), 404);
  expect(body.detail).toContain("/api/v1/nothing-here");
});
