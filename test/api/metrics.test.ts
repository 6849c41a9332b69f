/**
 * GET /metrics in the Prometheus text format, checked by Prometheus' own parser (`promtool check
 * metrics`, Debian's prometheus package), and its values after real traffic: connections, command
 * latencies, SMTP refusals by code, messages received, failed logins, group commits, database and
 * queue sizes, memory, event-loop lag. Then /readyz, healthy and with a database that refuses writes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "../harness/eventually.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { run } from "../harness/run.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient, sendMail } from "../harness/smtp-client.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [{ address: "alice@example.com" }]);
});

afterAll(async () => {
  await server.close();
});

async function scrape(target = server): Promise<string> {
  const res = await target.api("/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return res.text();
}

/** The value of one sample, e.g. value(text, 'mailroom_connections_total{listener="imap"}'); 0 when absent. */
function value(text: string, sample: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

const MESSAGE = "From: bob@example.org\r\nTo: alice@example.com\r\nSubject: metrics\r\n\r\nhello\r\n";

describe("GET /metrics", () => {
  test("needs the admin token", async () => {
    const res = await server.api("/metrics", { headers: { authorization: "" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  test("promtool check metrics accepts the whole output, after traffic on every protocol", async () => {
    expect((await sendMail(server.ports.smtp!, "bob@example.org", ["alice@example.com"], MESSAGE)).code).toBe(
      250,
    );
    const { client: imap } = await ImapClient.connect(server.ports.imap!);
    await imap.command('LOGIN "alice@example.com" "secret"');
    await imap.command("SELECT INBOX");
    await imap.close();
    const { client: pop3 } = await Pop3Client.connect(server.ports.pop3!);
    await pop3.command("CAPA");
    await pop3.quit();
    const text = await scrape();
    const result = await run("promtool", ["check", "metrics"], { input: text });
    expect({ code: result.code, problems: result.stdout + result.stderr }).toEqual({ code: 0, problems: "" });
  });

  test("counts what happened: connections, commands, messages, refusals, failed logins, commits", async () => {
    const before = await scrape();
    const { client: smtp } = await SmtpClient.connect(server.ports.smtp!);
    const open = await scrape();
    expect(value(open, 'mailroom_connections_open{listener="smtp"}')).toBe(
      value(before, 'mailroom_connections_open{listener="smtp"}') + 1,
    );
    await smtp.command("EHLO client.test");
    await smtp.command("MAIL FROM:<bob@example.org>");
    expect((await smtp.command("RCPT TO:<nobody@example.com>")).code).toBe(550);
    expect((await smtp.command("RCPT TO:<alice@example.com>")).code).toBe(250);
    expect((await smtp.data(MESSAGE)).code).toBe(250);
    await smtp.command("QUIT");
    await smtp.close();
    const { client: imap } = await ImapClient.connect(server.ports.imap!);
    expect((await imap.command('LOGIN "alice@example.com" "wrong"')).status).toBe("NO");
    await imap.close();

    const after = await eventually(async () => {
      const text = await scrape();
      // The SMTP and IMAP sockets are closed by now.
      return value(text, 'mailroom_connections_open{listener="smtp"}') ===
        value(before, 'mailroom_connections_open{listener="smtp"}')
        ? text
        : undefined;
    }, "the SMTP connection counted closed");
    const delta = (sample: string) => value(after, sample) - value(before, sample);
    expect(delta('mailroom_connections_total{listener="smtp"}')).toBe(1);
    expect(delta('mailroom_connections_total{listener="imap"}')).toBe(1);
    expect(delta('mailroom_messages_received_total{listener="smtp"}')).toBe(1);
    expect(delta('mailroom_smtp_rejections_total{command="RCPT",reason="5.1.1"}')).toBe(1);
    expect(delta('mailroom_command_duration_seconds_count{protocol="smtp",command="RCPT"}')).toBe(2);
    expect(delta('mailroom_command_duration_seconds_count{protocol="smtp",command="DATA"}')).toBe(1);
    expect(delta('mailroom_command_duration_seconds_count{protocol="smtp",command="EHLO"}')).toBe(1);
    expect(delta('mailroom_command_duration_seconds_count{protocol="imap",command="LOGIN"}')).toBe(1);
    expect(delta('mailroom_command_duration_seconds_bucket{protocol="smtp",command="DATA",le="+Inf"}')).toBe(
      1,
    );
    expect(delta("mailroom_auth_failures_total")).toBe(1);
    expect(delta("mailroom_commit_group_size_count")).toBeGreaterThanOrEqual(1);
    expect(delta("mailroom_commit_duration_seconds_count")).toBe(delta("mailroom_commit_group_size_count"));
    expect(value(after, "mailroom_database_bytes")).toBeGreaterThan(0);
    expect(value(after, "mailroom_database_wal_bytes")).toBeGreaterThan(0);
    expect(value(after, "mailroom_queue_depth")).toBe(0);
    expect(value(after, "mailroom_queue_oldest_age_seconds")).toBe(0);
    expect(value(after, "process_resident_memory_bytes")).toBeGreaterThan(10_000_000);
    expect(after).toContain('mailroom_tls_certificate_expiry_timestamp_seconds{origin="files"}');
    expect(after).toMatch(/^mailroom_info\{version="[^"]+",runtime="bun [^"]+"\} 1$/m);
  });

  test("a command name the server does not know is counted as other, never as a new label", async () => {
    const { client } = await SmtpClient.connect(server.ports.smtp!);
    await client.command("XYZZY plugh");
    await client.command("QUIT");
    await client.close();
    const text = await scrape();
    expect(text).not.toContain("XYZZY");
    expect(
      value(text, 'mailroom_command_duration_seconds_count{protocol="smtp",command="other"}'),
    ).toBeGreaterThan(0);
  });

  test("queued mail shows as queue depth and oldest age", async () => {
    await server.store.execute("PRAGMA foreign_keys = OFF");
    const now = Date.now();
    await server.store.execute(
      `INSERT INTO queue (content_id, sender, recipient, domain, next_attempt_at, created_at, updated_at)
       VALUES (999999, 'a@example.com', 'b@remote.example', 'remote.example', ${now + 3_600_000}, ${now - 120_000}, ${now})`,
    );
    try {
      const text = await scrape();
      expect(value(text, "mailroom_queue_depth")).toBe(1);
      expect(value(text, "mailroom_queue_oldest_age_seconds")).toBeGreaterThanOrEqual(120);
    } finally {
      await server.store.execute("DELETE FROM queue WHERE content_id = 999999");
      await server.store.execute("PRAGMA foreign_keys = ON");
    }
  });

  test("a blocked event loop shows in the lag histogram", async () => {
    const before = await scrape();
    const slow = 'mailroom_event_loop_delay_seconds_bucket{le="0.25"}';
    const all = 'mailroom_event_loop_delay_seconds_bucket{le="+Inf"}';
    // Longer than the 500 ms sampling period plus 250 ms: some sample falls due early in the block.
    const end = performance.now() + 800;
    while (performance.now() < end) {
      // Hold the loop, as a long synchronous job would.
    }
    const after = await eventually(
      async () => {
        const text = await scrape();
        return value(text, all) - value(before, all) > value(text, slow) - value(before, slow)
          ? text
          : undefined;
      },
      "a sample over 250 ms",
      { timeoutMs: 3_000 },
    );
    expect(value(after, "mailroom_event_loop_delay_seconds_count")).toBeGreaterThan(0);
  });

  test("with MAILROOM_METRICS_PUBLIC=true no token is needed", async () => {
    const open = await startTestServer({ metricsPublic: true });
    try {
      const res = await open.api("/metrics", { headers: { authorization: "" } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("# TYPE mailroom_connections_total counter");
      // The rest of the admin API still wants the token.
      expect((await open.api("/api/v1/domains", { headers: { authorization: "" } })).status).toBe(401);
    } finally {
      await open.close();
    }
  });
});

describe("GET /healthz and /readyz", () => {
  test("/healthz says ok and /readyz reports the database, the listeners and the queue runner ready", async () => {
    expect(await (await server.api("/healthz", { headers: { authorization: "" } })).json()).toEqual({
      status: "ok",
    });
    const res = await server.api("/readyz", { headers: { authorization: "" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: "ready",
      checks: [
        { check: "database", ok: true },
        { check: "listeners", ok: true },
        { check: "queue", ok: true },
      ],
    });
    const rows = await server.store.execute("SELECT value FROM meta WHERE key = 'readyz_at'");
    expect(Number(rows[0]?.value)).toBeGreaterThan(Date.now() - 60_000);
  });

  test("/readyz is a 503 naming the database when a write does not commit", async () => {
    await server.store.execute("PRAGMA query_only = ON");
    try {
      const res = await server.api("/readyz");
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const body = (await res.json()) as { detail: string; checks: Array<{ check: string; ok: boolean }> };
      expect(body.detail).toStartWith("database: a write did not commit");
      expect(body.checks.find((c) => c.check === "database")?.ok).toBe(false);
      expect(body.checks.find((c) => c.check === "queue")?.ok).toBe(true);
    } finally {
      await server.store.execute("PRAGMA query_only = OFF");
    }
    expect((await server.api("/readyz")).status).toBe(200);
  });
});
