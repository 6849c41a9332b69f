/**
 * The test helper (issue 16): `import { startMailroom } from "mailroom/testing"` (the package's
 * "exports" entry, resolved as a user's test would) starts a real server process on free ports in
 * a temp dir, with a typed client and waitForMessage; and the language-neutral recipe, `mailroom
 * serve --catch --ports=auto`, read by Python from the one JSON ready line on stdout.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Mailroom, MailroomApiError, startMailroom } from "mailroom/testing";
import { run } from "../harness/run.ts";
import { sendMail } from "../harness/smtp-client.ts";

// Never the machine's resolver (nothing listens on this loopback port).
const env = { MAILROOM_DNS_SERVERS: "127.0.0.1:9" };

describe("startMailroom()", () => {
  let mailroom: Mailroom;

  beforeAll(async () => {
    mailroom = await startMailroom({ env });
  });

  afterAll(async () => {
    await mailroom?.stop();
  });

  test("every listener is on its own free port of 127.0.0.1 and the API answers with the token", async () => {
    const ports = Object.values(mailroom.ports);
    expect(ports.every((p) => typeof p === "number" && p > 0)).toBe(true);
    expect(new Set(ports).size).toBe(ports.length);
    expect((await fetch(`${mailroom.url}/healthz`)).status).toBe(200);
    expect(await mailroom.api.searchMessages()).toEqual([]);
  });

  test("waitForMessage gets a message sent afterwards over SMTP to a new address (catch mode), and the client reads its code and link", async () => {
    const waiting = mailroom.waitForMessage(
      { to: "new.user@app.test", subject: "verify" },
      { timeout: "20s" },
    );
    const reply = await sendMail(
      mailroom.ports.smtp!,
      "noreply@app.test",
      ["new.user@app.test"],
      "From: noreply@app.test\r\nTo: new.user@app.test\r\nSubject: Verify your account\r\n\r\nYour verification code is 482913.\r\nhttps://app.test/verify?t=abc\r\n",
    );
    expect(reply.code).toBe(250);
    const message = await waiting;
    expect(message).toMatchObject({ account: "new.user@app.test", subject: "Verify your account" });
    expect(await mailroom.api.codes(message.id)).toContain("482913");
    expect(await mailroom.api.links(message.id)).toContain("https://app.test/verify?t=abc");
    expect(await mailroom.api.text("latest")).toContain("482913");
  });

  test("a wait that times out throws MailroomApiError 408; namespaces work through the client", async () => {
    const error = await mailroom
      .waitForMessage({ subject: "never" }, { timeout: "0s" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailroomApiError);
    expect((error as MailroomApiError).status).toBe(408);
    const ns = await mailroom.api.createNamespace("5m");
    expect(ns.domain).toMatch(/^ns-/);
    await mailroom.api.deleteNamespace(ns.domain);
  });

  test("two servers started at once get different ports and data directories; stop() removes the temp dir", async () => {
    const [a, b] = await Promise.all([startMailroom({ env }), startMailroom({ env })]);
    try {
      expect(a.ports.smtp).not.toBe(b.ports.smtp);
      expect(a.dataDir).not.toBe(b.dataDir);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(existsSync(a.dataDir)).toBe(false);
    expect(existsSync(b.dataDir)).toBe(false);
  });
});

describe("mailroom serve --catch --ports=auto", () => {
  test("prints one JSON ready line with every port; Python reads it, sends over SMTP and finds the mail over IMAP", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mailroom-ports-auto-"));
    try {
      const script = `
import json, os, smtplib, imaplib, subprocess, sys
env = dict(os.environ, MAILROOM_DATA_DIR=${JSON.stringify(dir)}, MAILROOM_LOG_LEVEL="warn", MAILROOM_DNS_SERVERS="127.0.0.1:9")
p = subprocess.Popen([${JSON.stringify(process.execPath)}, "src/runtime/bun.ts", "serve", "--catch", "--ports=auto"],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
try:
    for line in p.stdout:
        event = json.loads(line)
        if event.get("event") == "ready":
            break
    ports = event["ports"]
    print(sorted(ports))
    s = smtplib.SMTP("127.0.0.1", ports["smtp"])
    s.sendmail("a@b.test", ["python@lang.test"], b"Subject: from python\\r\\n\\r\\nhi\\r\\n")
    s.quit()
    m = imaplib.IMAP4("127.0.0.1", ports["imap"])
    m.login("python@lang.test", "anything")
    print(m.select("INBOX"))
    m.logout()
finally:
    p.terminate()
    print("exit", p.wait(timeout=20))
`;
      const r = await run("python3", ["-c", script], { timeoutMs: 60_000 });
      expect(r.stderr).toBe("");
      expect(r.stdout.trim().split("\n")).toEqual([
        "['http', 'imap', 'imaps', 'pop3', 'pop3s', 'smtp', 'smtps', 'submission']",
        "('OK', [b'1'])",
        "exit 0",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  test("--ports=auto overrides a fixed port but keeps a listener that is off, off", async () => {
    const { loadConfig } = await import("../../src/config.ts");
    const config = loadConfig(
      new Map([
        ["--ports", "auto"],
        ["--smtp-port", "2525"],
        ["--pop3-port", "off"],
      ]),
      {
        MAILROOM_DATA_DIR: "/tmp/x",
      },
    );
    expect(config.smtpPort).toBe(0);
    expect(config.httpPort).toBe(0);
    expect(config.pop3Port).toBeNull();
    expect(config.mtaStsPort).toBe(443);
  });
});
