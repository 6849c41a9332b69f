/**
 * The product as shipped: `bun run build` makes dist/mailroom, which must run from an empty directory
 * with no node_modules anywhere near it (the libSQL native-addon trap, oven-sh/bun#18909).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChildServer, startChildServer } from "../harness/child-server.ts";
import { sendMail } from "../harness/smtp-client.ts";

let dir: string;
let server: ChildServer;

beforeAll(async () => {
  const build = spawnSync(process.execPath, ["run", "build"], { encoding: "utf8", timeout: 300_000 });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}${build.stdout}`);
  dir = mkdtempSync(join(tmpdir(), "mailroom-binary-"));
  copyFileSync("dist/mailroom", join(dir, "mailroom"));
  spawnSync("chmod", ["755", join(dir, "mailroom")]);
  server = await startChildServer({
    command: [join(dir, "mailroom"), "serve"],
    cwd: dir,
    env: {
      MAILROOM_DOMAIN: "example.com",
    },
  });
}, 300_000);

afterAll(async () => {
  server?.process.kill("SIGTERM");
  await server?.exited;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("dist/mailroom copied to an empty directory serves /healthz", async () => {
  const res = await fetch(`http://127.0.0.1:${server.httpPort}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: "ok" });
});

test("dist/mailroom creates ./data with the database and a 0600 admin token, and says where", () => {
  const tokenPath = join(dir, "data", "admin-token");
  expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
  expect(statSync(join(dir, "data", "mailroom.db")).size).toBeGreaterThan(0);
  expect(server.stderr()).toContain("admin token written to");
});

test("dist/mailroom accepts an account over REST, mail over SMTP, and lists it over REST", async () => {
  const token = readFileSync(join(dir, "data", "admin-token"), "utf8").trim();
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${server.httpPort}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    });
  const created = await api("/api/v1/accounts", {
    method: "POST",
    body: JSON.stringify({ address: "user@example.com", password: "pw" }),
  });
  expect(created.status).toBe(201);
  const sent = await sendMail(
    server.smtpPort,
    "someone@remote.example",
    ["user@example.com"],
    "Subject: from the binary\r\n\r\nhi\r\n",
  );
  expect(sent.code).toBe(250);
  const list = await api("/api/v1/accounts/user@example.com/mailboxes/INBOX/messages");
  const body = (await list.json()) as { items: Array<{ subject: string }> };
  expect(body.items.map((i) => i.subject)).toEqual(["from the binary"]);
});

test("dist/mailroom takes POST /api/v1/backups in a child process of itself, holding the message delivered before", async () => {
  const token = readFileSync(join(dir, "data", "admin-token"), "utf8").trim();
  const res = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/backups`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { name: string; messages: number; accounts: number };
  expect(res.status).toBe(201);
  expect(body.accounts).toBeGreaterThanOrEqual(1);
  expect(body.messages).toBeGreaterThanOrEqual(1);
  expect(statSync(join(dir, "data", "backups", body.name)).size).toBeGreaterThan(0);
});

test("dist/mailroom serves the embedded web interface and its assets (issue 17)", async () => {
  const page = await fetch(`http://127.0.0.1:${server.httpPort}/`);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
  const html = await page.text();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  expect(assets).toHaveLength(2);
  for (const path of assets) {
    const res = await fetch(`http://127.0.0.1:${server.httpPort}${path}`);
    expect(res.status).toBe(200);
    expect((await res.text()).length).toBeGreaterThan(1000);
  }
});

test("dist/mailroom version runs without node_modules", () => {
  const r = spawnSync(join(dir, "mailroom"), ["version"], { cwd: dir, encoding: "utf8" });
  expect(r.status).toBe(0);
  expect(r.stdout).toStartWith("mailroom ");
});
