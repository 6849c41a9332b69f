/**
 * Request limits and failure answers of the admin API: JSON bodies are small and message imports are
 * bounded by the message size limit, whether the size is declared or the body streams without one;
 * query strings are as strict as bodies; and an unexpected failure is a bare 500 problem with no
 * stack trace or SQL in it (the details go to the log).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/api/app.ts";
import { MAX_JSON_BODY } from "../../src/api/body.ts";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import { Store } from "../../src/store/mod.ts";
import { captureLog } from "../abuse/helpers.ts";
import { createAccounts, startTestServer, TEST_TOKEN, type TestServer } from "../harness/server.ts";
import { expectProblem, makeMessage } from "./helpers.ts";

const MAX_MESSAGE = 64 * 1024;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ maxMessageSize: MAX_MESSAGE });
  await createAccounts(server, [{ address: "limits@example.com" }]);
});

afterAll(async () => {
  await server.close();
});

/** A body that streams in chunks, so the request goes out without a Content-Length. */
function streamed(total: number, chunk = 16 * 1024): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(chunk, total - sent);
      controller.enqueue(new Uint8Array(n).fill(0x20));
      sent += n;
    },
  });
}

/** Nothing a client should see of our internals. */
const LEAKS = /SQLITE|select |insert |update |delete from|stack|\bat [\w.<]+ \(|\.ts:\d+|libsql|drizzle/i;

describe("JSON bodies", () => {
  test("a JSON body over the limit with its size declared is 413 problem+json, and nothing is created", async () => {
    const json = { name: `big-${"x".repeat(MAX_JSON_BODY)}.example` };
    const body = await expectProblem(await server.api("/api/v1/domains", { method: "POST", json }), 413);
    expect(body.detail).toContain(String(MAX_JSON_BODY));
    const list = (await (await server.api("/api/v1/domains")).json()) as { items: Array<{ name: string }> };
    expect(list.items.some((d) => d.name.startsWith("big-"))).toBe(false);
  });

  test("a JSON body streamed without a Content-Length is cut off at the limit with 413", async () => {
    const res = await server.api("/api/v1/domains", {
      method: "POST",
      body: streamed(4 * MAX_JSON_BODY),
      headers: { "content-type": "application/json" },
    });
    await expectProblem(res, 413);
  });

  test("a JSON body just under the limit is read (and judged on its content)", async () => {
    const padding = " ".repeat(MAX_JSON_BODY - 100);
    const res = await server.api("/api/v1/domains", {
      method: "POST",
      body: `${padding}{"name":"padded.example"}`,
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(201);
  });
});

describe("message import", () => {
  const url = "/api/v1/accounts/limits%40example.com/mailboxes/INBOX/messages";

  test("an import over the message size limit streamed without a Content-Length is 413 and stores nothing", async () => {
    const res = await server.api(url, {
      method: "POST",
      body: streamed(MAX_MESSAGE + 1),
      headers: { "content-type": "message/rfc822" },
    });
    const body = await expectProblem(res, 413);
    expect(body.detail).toContain(String(MAX_MESSAGE));
    const list = (await (await server.api(`${url}`)).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(0);
  });

  test("an import of exactly the limit is stored", async () => {
    const head = makeMessage({ subject: "exactly", body: "" });
    const raw = head + "z".repeat(MAX_MESSAGE - head.length);
    const res = await server.api(url, {
      method: "POST",
      body: raw,
      headers: { "content-type": "message/rfc822" },
    });
    expect(res.status).toBe(201);
  });
});

describe("strict query strings", () => {
  test("a misspelt query parameter is 422 naming it, not silently ignored", async () => {
    const res = await server.api("/api/v1/accounts/limits%40example.com/mailboxes/INBOX/messages?unsen=true");
    const body = await expectProblem(res, 422);
    expect(body.detail).toContain("unsen");
  });
});

describe("unexpected failures", () => {
  test("a database error the API does not foresee is a bare 500 problem, without SQL or a stack", async () => {
    // A trigger makes every insert into domains fail inside SQLite, past all the API's own checks.
    await server.store.execute(
      "CREATE TRIGGER refuse_domains BEFORE INSERT ON domains BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END",
    );
    try {
      const res = await server.api("/api/v1/domains", { method: "POST", json: { name: "trigger.example" } });
      const body = await expectProblem(res, 500);
      expect(body).toEqual({
        type: "about:blank",
        title: "Internal Server Error",
        status: 500,
        detail: "the server could not complete the request; see the server log",
      });
      expect(JSON.stringify(body)).not.toMatch(LEAKS);
      expect(JSON.stringify(body)).not.toContain("refused by trigger");
    } finally {
      await server.store.execute("DROP TRIGGER refuse_domains");
    }
    // The server goes on.
    expect(
      (await server.api("/api/v1/domains", { method: "POST", json: { name: "after.example" } })).status,
    ).toBe(201);
  });

  test("a closed store is a 500 problem without internals, and the error is logged with its details", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mailroom-api-closed-"));
    const store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
    const { log, events } = captureLog();
    const app = createApp({
      store,
      log,
      adminToken: TEST_TOKEN,
      config: { maxMessageSize: MAX_MESSAGE, domain: "example.com", hostname: "mx.test.example" },
      openapi: "",
    });
    await store.close();
    try {
      const headers = { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" };
      for (const [method, path, body] of [
        ["GET", "/api/v1/domains", undefined],
        ["POST", "/api/v1/domains", JSON.stringify({ name: "closed.example" })],
      ] as const) {
        const res = await app.request(path, { method, headers, body });
        const problem = await expectProblem(res, 500);
        expect(JSON.stringify(problem)).not.toMatch(LEAKS);
      }
      const logged = events("http.unhandled");
      expect(logged).toHaveLength(2);
      expect(JSON.stringify(logged[0])).toContain("stack");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
