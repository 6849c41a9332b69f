/** Stock SMTP clients deliver to Mailroom as users would run them: swaks, Python's smtplib, curl. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasCommand, run } from "../harness/run.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [{ address: "user@example.com" }]);
  dir = mkdtempSync(join(tmpdir(), "mailroom-interop-"));
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function subjects(): Promise<string[]> {
  return (await mailboxContents(server, "user@example.com")).map(
    (m) => /\r\nSubject: ([^\r]*)/i.exec(m.raw.toString())?.[1] ?? "",
  );
}

test("swaks delivers a message", async () => {
  if (!(await hasCommand("swaks"))) {
    console.warn("swaks is not installed (apt-get install -y swaks): skipped");
    return;
  }
  const r = await run("swaks", [
    "--server",
    "127.0.0.1",
    "--port",
    String(server.ports.smtp),
    "--from",
    "a@remote.example",
    "--to",
    "user@example.com",
    "--header",
    "Subject: via swaks",
    "--body",
    "hello from swaks",
  ]);
  expect(r.code).toBe(0);
  expect(await subjects()).toContain("via swaks");
});

test("Python smtplib delivers a message", async () => {
  const script = `import smtplib; s=smtplib.SMTP("127.0.0.1", ${server.ports.smtp}); s.sendmail("a@remote.example", ["user@example.com"], "Subject: via smtplib\\r\\n\\r\\nbody\\r\\n"); s.quit()`;
  const r = await run("python3", ["-c", script]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(await subjects()).toContain("via smtplib");
});

test("curl smtp:// uploads a message", async () => {
  const file = join(dir, "message.eml");
  writeFileSync(
    file,
    "From: a@remote.example\r\nTo: user@example.com\r\nSubject: via curl\r\n\r\nuploaded\r\n",
  );
  const r = await run("curl", [
    "-sS",
    "--url",
    `smtp://127.0.0.1:${server.ports.smtp}`,
    "--mail-from",
    "a@remote.example",
    "--mail-rcpt",
    "user@example.com",
    "--upload-file",
    file,
  ]);
  expect(r.code).toBe(0);
  expect(await subjects()).toContain("via curl");
});
