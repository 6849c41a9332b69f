/**
 * Relay benchmark: two Mailroom processes, A (a.example) routed to B (b.example). N connections
 * submit M messages each to A's port 587 with AUTH, for users on B; A queues them (durable commit
 * before the 250) and its queue runner delivers them to B's port 25 (durable commit again).
 * Prints messages/s end to end (first submission -> last message stored at B), the end-to-end
 * latency p50/p99 (start of a message's submission -> its internal date at B, same machine clock),
 * the submission latency, and both servers' CPU time and peak RSS.
 *
 *   bun bench/relay.ts [--connections 10] [--messages 100] [--size 1024] [--accounts 10]
 *
 * Completion is detected by polling B's REST API every 100 ms (mailbox counts only); the latencies come
 * from B's stored internal dates, read once at the end, so the poll rate does not blur them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type ChildServer, startChildServer } from "../test/harness/child-server.ts";
import { SmtpClient } from "../test/harness/smtp-client.ts";
import { cpuSeconds, peakRssMb, percentile } from "./lib/proc.ts";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "10" },
    messages: { type: "string", default: "100" },
    size: { type: "string", default: "1024" },
    accounts: { type: "string", default: "10" },
  },
});
const connections = Number(values.connections);
const perConnection = Number(values.messages);
const size = Number(values.size);
const accountCount = Number(values.accounts);
const total = connections * perConnection;
const token = "bench-admin-token-0123456789";

function env(dir: string, domain: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MAILROOM_DATA_DIR: dir,
    MAILROOM_HOSTNAME: `mx.${domain}`,
    MAILROOM_DOMAIN: domain,
    MAILROOM_SUBMISSION_PORT: "0",
    MAILROOM_ADMIN_TOKEN: token,
    MAILROOM_LOG_LEVEL: "warn",
    ...extra,
  };
}

function api(server: ChildServer, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${server.httpPort}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });
}

async function createAccount(server: ChildServer, address: string): Promise<void> {
  const r = await api(server, "/api/v1/accounts", {
    method: "POST",
    body: JSON.stringify({ address, password: "pw" }),
  });
  if (r.status !== 201) throw new Error(`account ${address}: ${r.status} ${await r.text()}`);
}

const dirA = mkdtempSync(join(tmpdir(), "mailroom-bench-a-"));
const dirB = mkdtempSync(join(tmpdir(), "mailroom-bench-b-"));
const b = await startChildServer({ env: env(dirB, "b.example") });
const a = await startChildServer({
  env: env(dirA, "a.example", { MAILROOM_ROUTES: `b.example=127.0.0.1:${b.smtpPort}` }),
});
await createAccount(a, "sender@a.example");
for (let i = 0; i < accountCount; i++) await createAccount(b, `user${i}@b.example`);

function message(n: number): string {
  const head = `From: sender@a.example\r\nTo: user${n % accountCount}@b.example\r\nSubject: relay ${n}\r\nMessage-ID: <${n}@bench.a.example>\r\nDate: Fri, 02 Jan 2026 10:00:00 +0000\r\n\r\n`;
  const line = "The quick brown fox jumps over the lazy dog 0123456789.\r\n";
  return head + line.repeat(Math.max(1, Math.ceil((size - head.length) / line.length)));
}

/** Messages stored in B's INBOXes so far (one REST call per account). */
async function storedAtB(): Promise<number> {
  let n = 0;
  for (let i = 0; i < accountCount; i++) {
    const r = await api(b, `/api/v1/accounts/user${i}@b.example/mailboxes`);
    const body = (await r.json()) as { items: Array<{ name: string; messages: number }> };
    n += body.items.find((m) => m.name === "INBOX")?.messages ?? 0;
  }
  return n;
}

const submitStart = new Map<number, number>();
const submitLatency: number[] = [];
let failures = 0;
const cpuBefore = { a: cpuSeconds(a.process.pid!), b: cpuSeconds(b.process.pid!) };
const startedWall = Date.now();
const started = performance.now();

const submitting = Promise.all(
  Array.from({ length: connections }, async (_, c) => {
    const { client } = await SmtpClient.connect(a.submissionPort);
    await client.command("EHLO bench.client");
    const auth = await client.command(
      `AUTH PLAIN ${Buffer.from("\0sender@a.example\0pw").toString("base64")}`,
    );
    if (auth.code !== 235) throw new Error(`AUTH: ${auth.text}`);
    for (let i = 0; i < perConnection; i++) {
      const n = c * perConnection + i;
      const t0 = performance.now();
      submitStart.set(n, Date.now());
      await client.command("MAIL FROM:<sender@a.example>");
      await client.command(`RCPT TO:<user${n % accountCount}@b.example>`);
      const r = await client.data(message(n));
      submitLatency.push(performance.now() - t0);
      if (r.code !== 250) failures++;
    }
    await client.command("QUIT");
    await client.close();
  }),
);
await submitting;
const submitSeconds = (performance.now() - started) / 1000;

// Wait until B has stored everything (or give up after 2 minutes without progress).
let arrived = 0;
let lastProgress = Date.now();
while (arrived < total - failures) {
  const now = await storedAtB();
  if (now > arrived) lastProgress = Date.now();
  arrived = now;
  if (Date.now() - lastProgress > 120_000) break;
  if (arrived < total - failures) await new Promise((resolve) => setTimeout(resolve, 100));
}
const cpu = { a: cpuSeconds(a.process.pid!) - cpuBefore.a, b: cpuSeconds(b.process.pid!) - cpuBefore.b };
const rss = { a: peakRssMb(a.process.pid!), b: peakRssMb(b.process.pid!) };

// End-to-end latency from B's internal dates (ms precision, same clock as this process). The list
// gives ids and subjects; the internal date is on each message's own resource.
const endToEnd: number[] = [];
let lastArrival = 0;
for (let i = 0; i < accountCount; i++) {
  const address = `user${i}@b.example`;
  const listed: Array<{ id: number; subject: string }> = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${cursor}` : "";
    const r = await api(b, `/api/v1/accounts/${address}/mailboxes/INBOX/messages?limit=500${query}`);
    const page = (await r.json()) as { items: Array<{ id: number; subject: string }>; next: string | null };
    listed.push(...page.items);
    cursor = page.next;
  } while (cursor);
  for (let j = 0; j < listed.length; j += 20) {
    await Promise.all(
      listed.slice(j, j + 20).map(async (m) => {
        const r = await api(b, `/api/v1/accounts/${address}/messages/${m.id}`);
        const { internalDate } = (await r.json()) as { internalDate: string };
        const at = Date.parse(internalDate);
        lastArrival = Math.max(lastArrival, at);
        const start = submitStart.get(Number(/^relay (\d+)$/.exec(m.subject)?.[1]));
        if (start !== undefined) endToEnd.push(at - start);
      }),
    );
  }
}
const queueLeft = ((await (await api(a, "/api/v1/queue?limit=500")).json()) as { items: unknown[] }).items
  .length;

for (const server of [a, b]) server.process.kill("SIGTERM");
await Promise.all([a.exited, b.exited]);
rmSync(dirA, { recursive: true, force: true });
rmSync(dirB, { recursive: true, force: true });

endToEnd.sort((x, y) => x - y);
submitLatency.sort((x, y) => x - y);
const seconds = (lastArrival - startedWall) / 1000;
console.log(
  JSON.stringify({
    benchmark: "relay",
    connections,
    messages: total,
    sizeBytes: size,
    relayedSeconds: Number(seconds.toFixed(2)),
    messagesPerSecond: Math.round(endToEnd.length / seconds),
    endToEndP50ms: Number(percentile(endToEnd, 50).toFixed(1)),
    endToEndP99ms: Number(percentile(endToEnd, 99).toFixed(1)),
    submitSeconds: Number(submitSeconds.toFixed(2)),
    submitP50ms: Number(percentile(submitLatency, 50).toFixed(1)),
    submitP99ms: Number(percentile(submitLatency, 99).toFixed(1)),
    cpuSecondsA: Number(cpu.a.toFixed(2)),
    cpuSecondsB: Number(cpu.b.toFixed(2)),
    peakRssMbA: Math.round(rss.a),
    peakRssMbB: Math.round(rss.b),
    failures,
    delivered: endToEnd.length,
    queueLeft,
  }),
);
if (failures > 0 || endToEnd.length !== total) process.exit(1);
