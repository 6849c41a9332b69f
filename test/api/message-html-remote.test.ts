/**
 * GET .../messages/{id}/html?remote=true (issue 17): remote images are removed and counted by
 * default, kept only when the reader asks, and the CSP lets them load only then; nothing else
 * (scripts, handlers) comes back either way.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { importMessage, makeMessage } from "./helpers.ts";

let server: TestServer;
let path: string;

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [{ address: "alice@example.com" }]);
  const raw = makeMessage({
    subject: "Remote",
    extra: ["MIME-Version: 1.0", "Content-Type: text/html; charset=utf-8"],
    body: '<p>Hi</p><img src="https://tracker.example/a.gif"><img src=" http://tracker.example/b.gif" onerror="x()"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">',
  });
  const { id } = await importMessage(server, "alice@example.com", "INBOX", raw);
  path = `/api/v1/accounts/alice%40example.com/messages/${id}/html`;
});

afterAll(async () => {
  await server.close();
});

test("GET .../html removes remote images, counts them, and its CSP loads none", async () => {
  const res = await server.api(path);
  expect(res.status).toBe(200);
  expect(res.headers.get("mailroom-remote-images")).toBe("2");
  expect(res.headers.get("content-security-policy")).toBe(
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox",
  );
  const html = await res.text();
  expect(html).not.toContain("tracker.example");
  expect(html).toContain("data:image/gif");
});

test("GET .../html?remote=true keeps them and lets them load, and still no handlers", async () => {
  const res = await server.api(`${path}?remote=true`);
  expect(res.status).toBe(200);
  expect(res.headers.get("mailroom-remote-images")).toBe("0");
  expect(res.headers.get("content-security-policy")).toContain("img-src 'self' data: https: http:");
  expect(res.headers.get("content-security-policy")).toContain("sandbox");
  const html = await res.text();
  expect(html).toContain('src="https://tracker.example/a.gif"');
  expect(html).not.toContain("onerror");
});

test("GET .../html?remote=maybe is a 422", async () => {
  expect((await server.api(`${path}?remote=maybe`)).status).toBe(422);
});
