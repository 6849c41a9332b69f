/**
 * SMTP ingest with the inbound defence on: N connections from 127.0.0.2 (outside the trusted
 * networks, so every check applies) each send M messages to local accounts, with a real rspamd
 * scanning each one (test/harness/rspamd.ts: no network rules, Bayes on sqlite), or with
 * `--rspamd off` on the built-in score alone. Prints messages/s, latency and the server's CPU.
 *
 *   bun bench/smtp-spam.ts [--connections 20] [--messages 100] [--size 1024] [--rspamd on|off]
 *
 * DNS goes to a loopback port where nothing answers (the reverse-DNS lookups fail at once): the
 * figures are the filter's cost, not a resolver's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startChildServer } from "../test/harness/child-server.ts";
import { RSPAMD_PASSWORD, startRspamd, type TestRspamd } from "../test/harness/rspamd.ts";
import { runSmtpLoad } from "./lib/smtp-load.ts";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "20" },
    messages: { type: "string", default: "100" },
    size: { type: "string", default: "1024" },
    accounts: { type: "string", default: "10" },
    rspamd: { type: "string", default: "on" },
  },
});
const connections = Number(values.connections);
const perConnection = Number(values.messages);
const size = Number(values.size);
const accountCount = Number(values.accounts);
const withRspamd = values.rspamd !== "off";

const rspamd: TestRspamd | undefined = withRspamd ? await startRspamd() : undefined;
const dir = mkdtempSync(join(tmpdir(), "mailroom-bench-"));
const token = "bench-admin-token-0123456789";
const server = await startChildServer({
  env: {
    MAILROOM_DATA_DIR: dir,
    MAILROOM_DOMAIN: "example.com",
    MAILROOM_ADMIN_TOKEN: token,
    MAILROOM_LOG_LEVEL: "warn",
    MAILROOM_DNS_SERVERS: "127.0.0.1:9",
    ...(rspamd ? { MAILROOM_RSPAMD_URL: rspamd.url, MAILROOM_RSPAMD_PASSWORD: RSPAMD_PASSWORD } : {}),
  },
});
const api = (path: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${server.httpPort}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });

for (let i = 0; i < accountCount; i++) {
  const r = await api("/api/v1/accounts", {
    method: "POST",
    body: JSON.stringify({ address: `user${i}@example.com`, password: "pw" }),
  });
  if (r.status !== 201) throw new Error(`account: ${r.status} ${await r.text()}`);
}

function message(n: number): string {
  const head = `From: bench@remote.example\r\nTo: user${n % accountCount}@example.com\r\nSubject: bench ${n}\r\nMessage-ID: <${n}@bench.example>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n`;
  const line = "The quick brown fox jumps over the lazy dog 0123456789.\r\n";
  return head + line.repeat(Math.max(1, Math.ceil((size - head.length) / line.length)));
}

const { latencies, failures, seconds, cpu, rss } = await runSmtpLoad({
  port: server.smtpPort,
  pid: server.process.pid!,
  connections,
  perConnection,
  accountCount,
  message,
  ehlo: "bench.remote.example",
  localAddress: "127.0.0.2",
});
const scanned = rspamd ? (await rspamd.stats()).scanned : 0;

let delivered = 0;
for (let i = 0; i < accountCount; i++) {
  const r = await api(`/api/v1/accounts/user${i}@example.com/mailboxes`);
  const body = (await r.json()) as { items: Array<{ name: string; messages: number }> };
  delivered += body.items.reduce((sum, m) => sum + m.messages, 0);
}

server.process.kill("SIGTERM");
await server.exited;
await rspamd?.stop();
rmSync(dir, { recursive: true, force: true });

const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
const total = connections * perConnection;
console.log(
  JSON.stringify({
    benchmark: "smtp-spam",
    rspamd: withRspamd,
    connections,
    messages: total,
    sizeBytes: size,
    seconds: Number(seconds.toFixed(2)),
    messagesPerSecond: Math.round(total / seconds),
    p50ms: Number(pct(50)),
    p99ms: Number(pct(99)),
    serverCpuSeconds: Number(cpu.toFixed(2)),
    serverPeakRssMb: Math.round(rss),
    rspamdScanned: scanned,
    failures,
    delivered,
  }),
);
if (failures > 0 || delivered !== total) process.exit(1);
