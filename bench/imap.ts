/**
 * IMAP benchmark, against a server running as its own process on a prepared database:
 *  1. SELECT time for mailboxes of 1k, 10k and 100k messages (must stay flat);
 *  2. UID FETCH 1:* (FLAGS ENVELOPE) over 10k messages;
 *  3. full-body FETCH throughput with N clients, 1 KB and 100 KB messages;
 *  4. many concurrently IDLE-ing connections: server RSS and delivery-to-EXISTS latency;
 *  5. SORT (DATE) / (SUBJECT) over 100k messages and THREAD REFERENCES over 10k (RFC 5256), on a
 *     mailing-list-like mix (conversationMessage);
 *  6. UID SEARCH SUBJECT / TEXT over the same 100k messages, a rare term and a common one.
 *
 *   bun bench/imap.ts [--clients 10] [--idlers 1000] [--skip-100k] [--only select,body,idle,sort,search]
 *                     [--server-cwd DIR]
 *
 * `--server-cwd` runs the server from another checkout (an export of an older commit with a
 * node_modules), and fills the database with that checkout's store too (its schema may differ), to
 * compare before and after on the same machine in the same run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startChildServer } from "../test/harness/child-server.ts";
import { ImapClient } from "../test/harness/imap-client.ts";
import { SmtpClient } from "../test/harness/smtp-client.ts";
import * as ownPopulate from "./lib/populate.ts";
import { cpuSeconds, percentile, rssMb } from "./lib/proc.ts";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "10" },
    idlers: { type: "string", default: "1000" },
    "skip-100k": { type: "boolean", default: false },
    only: { type: "string", default: "select,body,idle,sort,search" },
    "server-cwd": { type: "string" },
  },
});
const serverCwd = values["server-cwd"] ? resolve(values["server-cwd"]) : undefined;
const { conversationMessage, populate }: typeof ownPopulate = serverCwd
  ? await import(join(serverCwd, "bench/lib/populate.ts"))
  : ownPopulate;
const only = new Set(values.only.split(","));
const wants = (name: string) => only.has(name);
const clients = Number(values.clients);
const idlers = Number(values.idlers);

const dir = mkdtempSync(join(tmpdir(), "mailroom-bench-imap-"));
const sizes = values["skip-100k"] ? [1_000, 10_000] : [1_000, 10_000, 100_000];
console.error("populating…");
const conversationSize = values["skip-100k"] ? 10_000 : 100_000;
await populate(dir, [
  ...(wants("select")
    ? sizes.map((count) => ({
        account: "select@example.com",
        mailbox: `box${count}`,
        count,
        size: 1024,
        unique: Math.min(count, 10_000),
      }))
    : []),
  { account: "small@example.com", mailbox: "INBOX", count: 1000, size: 1024 },
  ...(wants("body")
    ? [{ account: "large@example.com", mailbox: "INBOX", count: 200, size: 100 * 1024 }]
    : []),
  ...(wants("sort") || wants("search")
    ? [
        {
          account: "sort@example.com",
          mailbox: "conv10k",
          count: 10_000,
          size: 1024,
          make: conversationMessage,
        },
        // Copies of conv10k's 10k contents: 100k messages to sort and search at a tenth of the
        // populate time (each message row still joins its content; ties are broken by UID).
        {
          account: "sort@example.com",
          mailbox: "conv100k",
          count: conversationSize,
          size: 1024,
          copyFrom: "conv10k",
        },
      ]
    : []),
]);

const server = await startChildServer({
  cwd: serverCwd,
  env: {
    MAILROOM_DATA_DIR: dir,
    MAILROOM_DOMAIN: "example.com",
    MAILROOM_IMAP_PORT: "0",
    MAILROOM_ADMIN_TOKEN: "bench-admin-token-0123456789",
    MAILROOM_LOG_LEVEL: "warn",
    // Every benchmark client comes from 127.0.0.1.
    MAILROOM_MAX_CONNECTIONS_PER_IP: "5000",
  },
});
const pid = server.process.pid!;
const port = server.imapPort;
const results: Record<string, unknown> = { benchmark: "imap" };

/** Median wall time of `runs` runs of one command (after one warm-up run), checking each answer. */
async function medianMs(c: ImapClient, command: string, check: (untagged: string[]) => void, runs = 5) {
  check((await c.command(command)).untagged);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await c.command(command);
    times.push(performance.now() - t0);
    if (r.status !== "OK") throw new Error(`${command}: ${r.status} ${r.text}`);
    check(r.untagged);
  }
  times.sort((a, b) => a - b);
  return Number(percentile(times, 50).toFixed(1));
}

// 1. SELECT
if (wants("select")) {
  const c = await ImapClient.login(port, "select@example.com");
  for (const count of sizes) {
    await c.command(`SELECT box${count}`); // warm the page cache once
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const r = await c.command(`SELECT box${count}`);
      times.push(performance.now() - t0);
      if (!r.untagged.includes(`${count} EXISTS`))
        throw new Error(`SELECT box${count}: ${r.untagged.join(" | ")}`);
    }
    times.sort((a, b) => a - b);
    results[`selectMs_${count}`] = Number(percentile(times, 50).toFixed(2));
  }
  // 2. UID FETCH 1:* (FLAGS ENVELOPE) over 10k
  await c.command("SELECT box10000");
  const t0 = performance.now();
  const r = await c.command("UID FETCH 1:* (FLAGS ENVELOPE)");
  results.uidFetchFlagsEnvelope10kMs = Math.round(performance.now() - t0);
  if (r.untagged.length < 10_000) throw new Error(`UID FETCH returned ${r.untagged.length} responses`);
  await c.close();
}

// 3. Full-body fetch throughput
async function bodyThroughput(
  account: string,
  count: number,
): Promise<{ messagesPerSecond: number; mbPerSecond: number; serverCpuSeconds: number }> {
  const sessions = await Promise.all(Array.from({ length: clients }, () => ImapClient.login(port, account)));
  for (const s of sessions) await s.command("EXAMINE INBOX");
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  let bytes = 0;
  await Promise.all(
    sessions.map(async (s) => {
      for (let start = 1; start <= count; start += 100) {
        const r = await s.command(`FETCH ${start}:${Math.min(count, start + 99)} BODY.PEEK[]`);
        for (const line of r.untagged) bytes += line.length;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  await Promise.all(sessions.map((s) => s.close()));
  return {
    messagesPerSecond: Math.round((clients * count) / seconds),
    mbPerSecond: Number((bytes / 1024 / 1024 / seconds).toFixed(1)),
    serverCpuSeconds: Number(cpu.toFixed(2)),
  };
}
if (wants("body")) {
  results.bodyFetch1k = await bodyThroughput("small@example.com", 1000);
  results.bodyFetch100k = await bodyThroughput("large@example.com", 200);
}

// 5. SORT and THREAD (RFC 5256) from the keys stored at delivery.
if (wants("sort")) {
  const c = await ImapClient.login(port, "sort@example.com");
  await c.command("EXAMINE conv100k");
  const all = (n: number) => (u: string[]) => {
    const count = u[0]!.split(" ").length - 1;
    if (count !== n) throw new Error(`expected ${n} numbers, got ${count}`);
  };
  results[`sortDateMs_${conversationSize}`] = await medianMs(
    c,
    "SORT (DATE) UTF-8 ALL",
    all(conversationSize),
  );
  results[`uidSortSubjectMs_${conversationSize}`] = await medianMs(
    c,
    "UID SORT (SUBJECT REVERSE DATE) UTF-8 ALL",
    all(conversationSize),
  );
  results[`sortDateUnseenMs_${conversationSize}`] = await medianMs(
    c,
    "SORT (DATE) UTF-8 UNSEEN",
    all(conversationSize),
  );
  results[`threadReferencesMs_${conversationSize}`] = await medianMs(
    c,
    "THREAD REFERENCES UTF-8 ALL",
    (u) => {
      if (!u[0]!.startsWith("THREAD (")) throw new Error(u[0]);
    },
  );
  await c.command("EXAMINE conv10k");
  results.threadReferencesMs_10000 = await medianMs(c, "THREAD REFERENCES UTF-8 ALL", (u) => {
    if (!u[0]!.startsWith("THREAD (")) throw new Error(u[0]);
  });
  results.threadOrderedSubjectMs_10000 = await medianMs(c, "THREAD ORDEREDSUBJECT UTF-8 ALL", (u) => {
    if (!u[0]!.startsWith("THREAD (")) throw new Error(u[0]);
  });
  await c.close();
}

// 6. SEARCH over 100k: a rare term (8 matches) and a common one, in a header and in the text.
if (wants("search")) {
  const c = await ImapClient.login(port, "sort@example.com");
  await c.command("EXAMINE conv100k");
  const some = (u: string[]) => {
    if (!u[0]!.startsWith("SEARCH")) throw new Error(u[0]);
  };
  results[`uidSearchSubjectRareMs_${conversationSize}`] = await medianMs(
    c,
    'UID SEARCH SUBJECT "topic 4008 "',
    some,
  );
  results[`uidSearchSubjectCommonMs_${conversationSize}`] = await medianMs(
    c,
    "UID SEARCH SUBJECT item999",
    some,
  );
  results[`uidSearchTextRareMs_${conversationSize}`] = await medianMs(c, "UID SEARCH TEXT w5003", some);
  results[`uidSearchFromMs_${conversationSize}`] = await medianMs(c, "UID SEARCH FROM p123@", some);
  results[`uidSearchBodyShortMs_${conversationSize}`] = await medianMs(c, "UID SEARCH BODY zq", some);
  await c.close();
}

// 4. Many IDLE-ing connections: memory, and how fast a delivery reaches every one of them.
if (wants("idle")) {
  const rssBefore = rssMb(pid);
  const idle: ImapClient[] = [];
  for (let i = 0; i < idlers; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, idlers - i) }, async () => {
        const c = await ImapClient.login(port, "small@example.com");
        await c.command("EXAMINE INBOX");
        c.write("idle IDLE\r\n");
        await c.readResponseLine(); // "+ idling"
        return c;
      }),
    );
    idle.push(...batch);
  }
  results.idleConnections = idle.length;
  results.serverRssMbIdle = Math.round(rssMb(pid));
  results.serverRssMbBeforeIdle = Math.round(rssBefore);
  const latencies: number[] = [];
  const { client: smtp } = await SmtpClient.connect(server.smtpPort);
  await smtp.command("EHLO bench");
  for (let round = 0; round < 5; round++) {
    const waiting = idle.map(async (c) => {
      const line = await c.readResponseLine();
      if (!line.endsWith("EXISTS")) throw new Error(`expected EXISTS, got ${line}`);
      return performance.now();
    });
    const t0 = performance.now();
    await smtp.command("MAIL FROM:<bench@remote.example>");
    await smtp.command("RCPT TO:<small@example.com>");
    await smtp.data(`Subject: idle round ${round}\r\n\r\nwake up\r\n`);
    for (const at of await Promise.all(waiting)) latencies.push(at - t0);
  }
  latencies.sort((a, b) => a - b);
  results.idleExistsLatencyP50Ms = Number(percentile(latencies, 50).toFixed(1));
  results.idleExistsLatencyP99Ms = Number(percentile(latencies, 99).toFixed(1));
  await smtp.close();
  await Promise.all(idle.map((c) => c.close()));
}

server.process.kill("SIGTERM");
await server.exited;
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(results));
