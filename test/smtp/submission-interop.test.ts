/**
 * Stock mail clients submit to port 587 as users would run them: swaks --auth, Python's smtplib with
 * login(), and nodemailer. Each message for a remote address leaves a queue row with the right sender;
 * routes point at a closed loopback port, so whatever the queue runner does, it only defers.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createServer } from "node:net";
import nodemailer from "nodemailer";
import { contentRaw, type QueueItem, queueList } from "../../src/store/mod.ts";
import { hasCommand, run } from "../harness/run.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 9;
}

beforeAll(async () => {
  server = await startTestServer({
    routes: [{ domain: "*", host: "127.0.0.1", port: await closedPort() }],
    queueRetry: [3_600_000],
  });
  await createAccounts(server, [
    { address: "user@example.com", password: "user-pw" },
    { address: "local@example.com", password: "local-pw" },
  ]);
});

afterAll(async () => {
  await server.close();
});

async function queued(recipient: string): Promise<{ item: QueueItem; raw: string }> {
  const item = (await queueList(server.store.read, { limit: 1000 })).find((q) => q.recipient === recipient);
  if (!item) throw new Error(`nothing queued for ${recipient}`);
  const raw = Buffer.from((await contentRaw(server.store.read, item.contentId))!).toString();
  return { item, raw };
}

test("swaks --auth PLAIN submits a message for a remote address, which is queued", async () => {
  if (!(await hasCommand("swaks"))) {
    console.warn("swaks is not installed (apt-get install -y swaks): skipped");
    return;
  }
  const r = await run("swaks", [
    "--server",
    "127.0.0.1",
    "--port",
    String(server.ports.submission),
    "--auth",
    "PLAIN",
    "--auth-user",
    "user@example.com",
    "--auth-password",
    "user-pw",
    "--from",
    "user@example.com",
    "--to",
    "someone@remote.example",
    "--header",
    "Subject: via swaks",
  ]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("235 2.7.0");
  const { item, raw } = await queued("someone@remote.example");
  expect(item.sender).toBe("user@example.com");
  expect(item.domain).toBe("remote.example");
  expect(raw).toContain("Subject: via swaks");
  expect(raw).toContain("with ESMTPA id");
});

test("swaks --auth LOGIN with a wrong password fails with 535", async () => {
  if (!(await hasCommand("swaks"))) {
    console.warn("swaks is not installed (apt-get install -y swaks): skipped");
    return;
  }
  const r = await run("swaks", [
    "--server",
    "127.0.0.1",
    "--port",
    String(server.ports.submission),
    "--auth",
    "LOGIN",
    "--auth-user",
    "user@example.com",
    "--auth-password",
    "not-it",
    "--from",
    "user@example.com",
    "--to",
    "refused@remote.example",
  ]);
  expect(r.code).not.toBe(0);
  expect(r.stdout).toContain("535 5.7.8");
  await expect(queued("refused@remote.example")).rejects.toThrow();
});

test("Python smtplib login() and send_message() submit to a remote and a local recipient", async () => {
  const script = [
    "import smtplib",
    "from email.message import EmailMessage",
    "m = EmailMessage()",
    "m['From'] = 'User <user@example.com>'",
    "m['To'] = 'friend@remote.example, local@example.com'",
    "m['Subject'] = 'via smtplib'",
    "m.set_content('hello from python')",
    `s = smtplib.SMTP('127.0.0.1', ${server.ports.submission})`,
    "s.login('user@example.com', 'user-pw')",
    "s.send_message(m)",
    "s.quit()",
  ].join("\n");
  const r = await run("python3", ["-c", script]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const { item, raw } = await queued("friend@remote.example");
  expect(item.sender).toBe("user@example.com");
  expect(raw).toContain("Subject: via smtplib");
  // EmailMessage sets neither Date nor Message-ID: the submission server adds them (RFC 6409 §8).
  expect(raw).toMatch(/^Date: /m);
  expect(raw).toMatch(/^Message-ID: <[^>]+@mx\.test\.example>/m);
  const local = (await mailboxContents(server, "local@example.com")).find((m) =>
    m.raw.includes("via smtplib"),
  );
  expect(local?.contentId).toBe(item.contentId);
});

test("Python smtplib with a spoofed From gets SMTPDataError 553", async () => {
  const script = [
    "import smtplib",
    `s = smtplib.SMTP('127.0.0.1', ${server.ports.submission})`,
    "s.login('user', 'user-pw')",
    "try:",
    "    s.sendmail('user@example.com', ['victim@remote.example'], 'From: ceo@bank.example\\r\\nSubject: x\\r\\n\\r\\nx\\r\\n')",
    "except smtplib.SMTPDataError as e:",
    "    print(e.smtp_code)",
    "s.quit()",
  ].join("\n");
  const r = await run("python3", ["-c", script]);
  expect(r.stderr).toBe("");
  expect(r.stdout.trim()).toBe("553");
  await expect(queued("victim@remote.example")).rejects.toThrow();
});

test("nodemailer's SMTP transport with auth submits a message, which is queued", async () => {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: server.ports.submission!,
    secure: false,
    ignoreTLS: true,
    auth: { user: "user@example.com", pass: "user-pw" },
  });
  try {
    const info = await transport.sendMail({
      from: "User <user@example.com>",
      to: "pal@remote.example",
      subject: "via nodemailer",
      text: "hello from nodemailer",
      dsn: { id: "nm-1", return: "headers", notify: ["failure", "delay"], recipient: "user@example.com" },
    });
    expect(info.accepted).toEqual(["pal@remote.example"]);
    expect(info.response).toMatch(/^250 /);
  } finally {
    transport.close();
  }
  const { item, raw } = await queued("pal@remote.example");
  expect(item).toMatchObject({
    sender: "user@example.com",
    ret: "HDRS",
    envid: "nm-1",
    notify: "FAILURE,DELAY",
  });
  expect(item.orcpt).toBe("rfc822;user@example.com");
  expect(raw).toContain("Subject: via nodemailer");
});
