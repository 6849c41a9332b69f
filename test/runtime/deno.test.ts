/**
 * The same source runs under Deno 2 (src/runtime/deno.ts is the only Deno-specific file): start it,
 * create an account over REST, deliver over SMTP, read it back over REST.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChildServer, startChildServer } from "../harness/child-server.ts";
import { hasCommand } from "../harness/run.ts";
import { sendMail } from "../harness/smtp-client.ts";

let dir: string;
let server: ChildServer | undefined;
const token = "deno-admin-token-0123456789";

beforeAll(async () => {
  if (!(await hasCommand("deno"))) return;
  dir = mkdtempSync(join(tmpdir(), "mailroom-deno-"));
  server = await startChildServer({
    command: ["deno", "run", "-A", "--node-modules-dir=manual", "src/runtime/deno.ts", "serve"],
    env: {
      MAILROOM_DATA_DIR: dir,
      MAILROOM_DOMAIN: "example.com",
      MAILROOM_ADMIN_TOKEN: token,
      DENO_NO_UPDATE_CHECK: "1",
    },
  });
}, 60_000);

afterAll(async () => {
  if (!server) return;
  server.process.kill("SIGTERM");
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
});

test("under Deno the server takes an account over REST, mail over SMTP, and lists it", async () => {
  if (!server) {
    console.warn("deno is not installed (npm install -g deno@2.9.6): skipped");
    return;
  }
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${server!.httpPort}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    });
  expect(
    (
      await api("/api/v1/accounts", {
        method: "POST",
        body: JSON.stringify({ address: "u@example.com", password: "pw" }),
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await sendMail(
        server.smtpPort,
        "a@remote.example",
        ["u@example.com"],
        "Subject: under deno\r\n\r\nhi\r\n",
      )
    ).code,
  ).toBe(250);
  const list = (await (await api("/api/v1/accounts/u@example.com/mailboxes/INBOX/messages")).json()) as {
    items: Array<{ subject: string }>;
  };
  expect(list.items.map((i) => i.subject)).toEqual(["under deno"]);
});

test("under Deno POST /api/v1/backups runs the backup in a child Deno process and answers with the verified copy", async () => {
  if (!server) {
    console.warn("deno is not installed (npm install -g deno@2.9.6): skipped");
    return;
  }
  const res = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/backups`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { name: string; accounts: number };
  expect(res.status).toBe(201);
  expect(body.name).toMatch(/^mailroom-\d{8}T\d{9}Z\.db$/);
  expect(body.accounts).toBeGreaterThanOrEqual(1);
}, 60_000);
