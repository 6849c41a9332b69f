/**
 * Soak test: a long mixed load on one server process, to show it neither errs nor grows.
 * 200 clients by default: SMTP senders deliver at a steady rate to every account; IMAP readers (one
 * account each) SELECT, FETCH the newest messages, STORE \Seen, expunge all but the newest 50 and IDLE;
 * POP3 readers (one account each) log in every 5 s and RETR, DELE and QUIT everything that arrived.
 * Prints a line per interval (throughput, errors, server RSS and CPU, database and WAL size) and a
 * final JSON summary; exits 1 on any error or when a message acknowledged with 250 is neither
 * read-and-removed nor still in its mailbox.
 *
 *   bun bench/soak.ts [--minutes 10] [--clients 200] [--rate 100] [--interval 60]
 *
 * `--rate` is the target SMTP deliveries per second over all senders. The server runs as a separate
 * process (src/runtime/bun.ts serve) on a fresh database with synchronous=FULL, like the other
 * benchmarks; the clients share the machine's cores with it.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startChildServer } from "../test/harness/child-server.ts";
import { ImapClient } from "../test/harness/imap-client.ts";
import { Pop3Client } from "../test/harness/pop3-client.ts";
import { SmtpClient } from "../test/harness/smtp-client.ts";
import { cpuSeconds, peakRssMb, rssMb } from "./lib/proc.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    clients: { type: "string", default: "200" },
    rate: { type: "string", default: "100" },
    interval: { type: "string", default: "60" },
  },
});
const durationMs = Number(values.minutes) * 60_000;
const clientCount = Number(values.clients);
const targetRate = Number(values.rate);
const intervalMs = Number(values.interval) * 1000;
// 40% senders, 35% IMAP readers, 25% POP3 readers.
const senderCount = Math.round(clientCount * 0.4);
const imapCount = Math.round(clientCount * 0.35);
const pop3Count = clientCount - senderCount - imapCount;
/** IMAP readers keep their INBOX at about this many messages (STORE \Deleted + EXPUNGE the rest). */
const IMAP_KEEP = 50;

const dir = mkdtempSync(join(tmpdir(), "mailroom-soak-"));
const token = "soak-admin-token-0123456789";
const server = await startChildServer({
  env: {
    MAILROOM_DATA_DIR: dir,
    MAILROOM_DOMAIN: "example.com",
    MAILROOM_POP3_PORT: "0",
    MAILROOM_IMAP_PORT: "0",
    MAILROOM_ADMIN_TOKEN: token,
    MAILROOM_LOG_LEVEL: "warn",
    // Every client comes from 127.0.0.1.
    MAILROOM_MAX_CONNECTIONS_PER_IP: String(clientCount * 2),
  },
});
const pid = server.process.pid!;
const api = (path: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${server.httpPort}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  });

const imapAccounts = Array.from({ length: imapCount }, (_, i) => `imap${i}@example.com`);
const pop3Accounts = Array.from({ length: pop3Count }, (_, i) => `pop${i}@example.com`);
const allAccounts = [...imapAccounts, ...pop3Accounts];
for (const address of allAccounts) {
  const r = await api("/api/v1/accounts", {
    method: "POST",
    body: JSON.stringify({ address, password: "pw" }),
  });
  if (r.status !== 201) throw new Error(`account ${address}: ${r.status} ${await r.text()}`);
}

/** Nine in ten messages are 2 KB, one in ten 32 KB. */
function message(n: number, to: string): string {
  const size = n % 10 === 9 ? 32 * 1024 : 2 * 1024;
  const head = `From: soak@remote.example\r\nTo: ${to}\r\nSubject: soak ${n}\r\nMessage-ID: <${n}@soak>\r\n\r\n`;
  const line = "The quick brown fox jumps over the lazy dog 0123456789.\r\n";
  return head + line.repeat(Math.max(1, Math.ceil((size - head.length) / line.length)));
}

const counts = {
  delivered: 0,
  imapFetched: 0,
  imapExpunged: 0,
  imapIdles: 0,
  pop3Retrieved: 0,
  pop3Deleted: 0,
};
let errors = 0;
const errorSamples: string[] = [];
function error(what: string): void {
  errors++;
  if (errorSamples.length < 20) errorSamples.push(what);
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const started = performance.now();
const deadline = started + durationMs;
const running = () => performance.now() < deadline;

/** Runs `body` until the deadline; an exception counts as an error and the client starts over. */
async function loop(name: string, body: () => Promise<void>): Promise<void> {
  while (running()) {
    try {
      await body();
    } catch (e) {
      error(`${name}: ${(e as Error).message.slice(0, 200)}`);
      await sleep(500);
    }
  }
}

let sequence = 0;
async function sender(i: number): Promise<void> {
  // Staggered starts; each sender then waits so that all of them together hit the target rate.
  const pause = (senderCount / targetRate) * 1000;
  await sleep((i / senderCount) * pause);
  await loop(`smtp${i}`, async () => {
    const { client } = await SmtpClient.connect(server.smtpPort);
    try {
      await client.command("EHLO soak.example");
      // A fresh connection every 20 messages: connection set-up is part of the load.
      for (let m = 0; m < 20 && running(); m++) {
        const t0 = performance.now();
        const n = sequence++;
        const to = allAccounts[n % allAccounts.length]!;
        const mail = await client.command("MAIL FROM:<soak@remote.example>");
        const rcpt = await client.command(`RCPT TO:<${to}>`);
        const data = mail.code === 250 && rcpt.code === 250 ? await client.data(message(n, to)) : rcpt;
        if (data.code === 250) counts.delivered++;
        else error(`smtp${i}: ${data.text}`);
        await sleep(Math.max(0, pause - (performance.now() - t0)));
      }
      await client.command("QUIT");
    } finally {
      await client.close();
    }
  });
}

async function imapReader(i: number): Promise<void> {
  const address = imapAccounts[i]!;
  await sleep(Math.random() * 2000);
  await loop(`imap${i}`, async () => {
    const client = await ImapClient.login(server.imapPort, address, "pw");
    // Our own EXPUNGEs are the only ones this mailbox sees; they are counted wherever they are reported.
    const counted = <R extends { untagged: string[] }>(r: R): R => {
      counts.imapExpunged += r.untagged.filter((l) => /^\d+ EXPUNGE$/.test(l)).length;
      return r;
    };
    const ok = async (command: string) => {
      const r = counted(await client.command(command));
      if (r.status !== "OK") throw new Error(`${command.slice(0, 40)}: ${r.status} ${r.text}`);
      return r;
    };
    try {
      // A new login every 20 rounds.
      for (let round = 0; round < 20 && running(); round++) {
        const select = await ok("SELECT INBOX");
        const exists = Number(/^(\d+) EXISTS$/m.exec(select.untagged.join("\n"))?.[1] ?? 0);
        if (exists > 0) {
          const from = Math.max(1, exists - 9);
          const fetched = await ok(`FETCH ${from}:${exists} (FLAGS UID BODY.PEEK[])`);
          counts.imapFetched += fetched.untagged.filter((l) => / FETCH \(/.test(l)).length;
          await ok(`STORE ${from}:${exists} +FLAGS.SILENT (\\Seen)`);
        }
        if (exists > IMAP_KEEP) {
          await ok(`STORE 1:${exists - IMAP_KEEP} +FLAGS.SILENT (\\Deleted)`);
          await ok("EXPUNGE");
        }
        // IDLE for a while: new mail arrives as EXISTS (RFC 2177).
        const tag = client.nextTag();
        client.write(`${tag} IDLE\r\n`);
        for (;;) {
          const line = await client.readResponseLine();
          if (line.startsWith("+")) break;
          if (!line.startsWith("* ")) throw new Error(`IDLE: ${line}`);
          counted({ untagged: [line.slice(2)] });
        }
        await sleep(2000 + Math.random() * 2000);
        client.write("DONE\r\n");
        const done = counted(await client.readUntilTagged(tag));
        if (done.status !== "OK") throw new Error(`IDLE: ${done.status} ${done.text}`);
        counts.imapIdles++;
      }
      await ok("LOGOUT");
    } finally {
      await client.close();
    }
  });
}

async function pop3Reader(i: number): Promise<void> {
  const address = pop3Accounts[i]!;
  await sleep(Math.random() * 2000);
  await loop(`pop3${i}`, async () => {
    const client = await Pop3Client.login(server.pop3Port!, address, "pw");
    try {
      const stat = await client.command("STAT");
      if (!stat.ok) throw new Error(`STAT: ${stat.line}`);
      const messages = Math.min(50, Number(stat.text.split(" ")[0]));
      for (let n = 1; n <= messages; n++) {
        await client.retr(n);
        counts.pop3Retrieved++;
        const dele = await client.command(`DELE ${n}`);
        if (!dele.ok) throw new Error(`DELE ${n}: ${dele.line}`);
      }
      const quit = await client.quit();
      if (!quit.ok) throw new Error(`QUIT: ${quit.line}`);
      counts.pop3Deleted += messages;
    } finally {
      if (!client.isClosed) await client.drop();
    }
    // Polls every 5 s: each poll is a login, and a login is a deliberately slow password hash.
    await sleep(5000);
  });
}

interface Sample {
  minute: number;
  deliveredPerSecond: number;
  imapFetchedPerSecond: number;
  pop3RetrievedPerSecond: number;
  errors: number;
  serverRssMb: number;
  serverCpuPercent: number;
  databaseMb: number;
  walMb: number;
}
const fileMb = (name: string) => {
  try {
    return Math.round(statSync(join(dir, name)).size / 1e5) / 10;
  } catch {
    return 0;
  }
};
const samples: Sample[] = [];
const rssAtStart = rssMb(pid);
let last = { ...counts, at: performance.now(), cpu: cpuSeconds(pid) };
const reporter = setInterval(() => {
  const now = performance.now();
  const seconds = (now - last.at) / 1000;
  const cpu = cpuSeconds(pid);
  const sample: Sample = {
    minute: Number(((now - started) / 60_000).toFixed(2)),
    deliveredPerSecond: Math.round((counts.delivered - last.delivered) / seconds),
    imapFetchedPerSecond: Math.round((counts.imapFetched - last.imapFetched) / seconds),
    pop3RetrievedPerSecond: Math.round((counts.pop3Retrieved - last.pop3Retrieved) / seconds),
    errors,
    serverRssMb: Math.round(rssMb(pid)),
    serverCpuPercent: Math.round(((cpu - last.cpu) / seconds) * 100),
    databaseMb: fileMb("mailroom.db"),
    walMb: fileMb("mailroom.db-wal"),
  };
  samples.push(sample);
  console.log(
    `t=${sample.minute.toFixed(1)} min  smtp ${sample.deliveredPerSecond}/s  imap fetch ${sample.imapFetchedPerSecond}/s  ` +
      `pop3 retr ${sample.pop3RetrievedPerSecond}/s  errors ${errors}  server RSS ${sample.serverRssMb} MB  CPU ${sample.serverCpuPercent}%  ` +
      `db ${sample.databaseMb} MB  wal ${sample.walMb} MB`,
  );
  last = { ...counts, at: now, cpu };
}, intervalMs);

console.log(
  `soak: ${senderCount} SMTP senders (${targetRate} msg/s), ${imapCount} IMAP readers, ${pop3Count} POP3 readers, ${Number(values.minutes)} min; server RSS ${Math.round(rssAtStart)} MB at start`,
);
await Promise.all([
  ...Array.from({ length: senderCount }, (_, i) => sender(i)),
  ...Array.from({ length: imapCount }, (_, i) => imapReader(i)),
  ...Array.from({ length: pop3Count }, (_, i) => pop3Reader(i)),
]);
clearInterval(reporter);
const seconds = (performance.now() - started) / 1000;

// Every acknowledged message was either removed by its reader or is still in its mailbox.
let remaining = 0;
for (const address of allAccounts) {
  const r = await api(`/api/v1/accounts/${address}/mailboxes`);
  const body = (await r.json()) as { items: Array<{ name: string; messages: number }> };
  remaining += body.items.find((m) => m.name === "INBOX")?.messages ?? 0;
}
const lost = counts.delivered - counts.pop3Deleted - counts.imapExpunged - remaining;
const rssAtEnd = rssMb(pid);
const peak = peakRssMb(pid);
const cpuTotal = cpuSeconds(pid);

server.process.kill("SIGTERM");
const exitCode = await server.exited;
rmSync(dir, { recursive: true, force: true });

const summary = {
  benchmark: "soak",
  minutes: Number((seconds / 60).toFixed(2)),
  clients: { smtp: senderCount, imap: imapCount, pop3: pop3Count },
  targetRate,
  delivered: counts.delivered,
  deliveredPerSecond: Math.round(counts.delivered / seconds),
  imapFetched: counts.imapFetched,
  imapExpunged: counts.imapExpunged,
  imapIdles: counts.imapIdles,
  pop3Retrieved: counts.pop3Retrieved,
  pop3Deleted: counts.pop3Deleted,
  remaining,
  lost,
  errors,
  errorSamples,
  serverRssMb: { start: Math.round(rssAtStart), end: Math.round(rssAtEnd), peak: Math.round(peak) },
  rssPerInterval: samples.map((s) => s.serverRssMb),
  cpuPercentPerInterval: samples.map((s) => s.serverCpuPercent),
  walMbPerInterval: samples.map((s) => s.walMb),
  serverCpuSeconds: Number(cpuTotal.toFixed(1)),
  serverExitCode: exitCode,
};
console.log(JSON.stringify(summary));
if (errors > 0 || lost !== 0 || exitCode !== 0) process.exit(1);
