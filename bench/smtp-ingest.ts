/**
 * SMTP ingest benchmark: N concurrent connections each send M messages to local accounts; prints
 * messages/s, per-message latency (MAIL FROM to the 250 after DATA) p50/p99, the server's peak RSS and
 * CPU time, and checks that every message was delivered into a mailbox.
 *
 *   bun bench/smtp-ingest.ts [--connections 20] [--messages 250] [--size 1024] [--accounts 10]
 *
 * The server runs as a separate process (src/runtime/bun.ts serve) on a fresh database with
 * synchronous=FULL, so the figures include durable commits; the client shares the machine's cores.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startChildServer } from "../test/harness/child-server.ts";
import { runSmtpLoad } from "./lib/smtp-load.ts";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "20" },
    messages: { type: "string", default: "250" },
    size: { type: "string", default: "1024" },
    accounts: { type: "string", default: "10" },
  },
});
const connections = Number(values.connections);
const perConnection = Number(values.messages);
const size = Number(values.size);
const accountCount = Number(values.accounts);

const dir = mkdtempSync(join(tmpdir(), "mailroom-bench-"));
const token = "bench-admin-token-0123456789";
const server = await startChildServer({
  env: {
    MAILROOM_DATA_DIR: dir,
    MAILROOM_DOMAIN: "example.com",
    MAILROOM_ADMIN_TOKEN: token,
    MAILROOM_LOG_LEVEL: "warn",
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
  const head = `From: bench@remote.example\r\nTo: user${n % accountCount}@example.com\r\nSubject: bench ${n}\r\nMessage-ID: <${n}@bench>\r\n\r\n`;
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
  ehlo: "bench.example",
});

let delivered = 0;
for (let i = 0; i < accountCount; i++) {
  const r = await api(`/api/v1/accounts/user${i}@example.com/mailboxes`);
  const body = (await r.json()) as { items: Array<{ name: string; messages: number }> };
  delivered += body.items.find((m) => m.name === "INBOX")?.messages ?? 0;
}

server.process.kill("SIGTERM");
await server.exited;
rmSync(dir, { recursive: true, force: true });

const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
const total = connections * perConnection;
console.log(
  JSON.stringify({
    benchmark: "smtp-ingest",
    connections,
    messages: total,
    sizeBytes: size,
    seconds: Number(seconds.toFixed(2)),
    messagesPerSecond: Math.round(total / seconds),
    p50ms: Number(pct(50)),
    p99ms: Number(pct(99)),
    serverCpuSeconds: Number(cpu.toFixed(2)),
    serverPeakRssMb: Math.round(rss),
    failures,
    delivered,
  }),
);
if (failures > 0 || delivered !== total) process.exit(1);
