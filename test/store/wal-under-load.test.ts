/**
 * Checkpoints under load: SMTP sessions deliver back to back for a while (housekeeping running
 * its checkpoint every couple of seconds, as its timer does every few minutes) while the -wal file's
 * size is sampled. The WAL must stay bounded and no acknowledged delivery may wait abnormally for
 * its 250: SQLite's automatic checkpoint (PASSIVE, at COMMIT once the WAL passes 1000 pages) and
 * housekeeping's TRUNCATE both run on the event loop (libSQL's driver is synchronous).
 * WAL_LOAD_SECONDS (default 10) makes it a longer run.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { freshAccount } from "../harness/accounts.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";

const SECONDS = Number(process.env.WAL_LOAD_SECONDS ?? 10);
const LANES = 8;
/**
 * Each message ~8 KB, so that the load writes several times the automatic checkpoint's 1000 pages:
 * lines of everyday words. Not one character repeated: that is a single trigram for the search
 * index (search-indexer.ts), whose doclist gains ~8,000 positions per message and is rewritten whole
 * by each FTS5 segment merge, so the -wal then measures those merges (one transaction of tens of MB
 * that no checkpoint can cut), not the checkpoints this test is about.
 */
const WORDS = [
  "meeting",
  "invoice",
  "lunch",
  "report",
  "update",
  "question",
  "reminder",
  "photos",
  "plan",
  "budget",
];
const BODY = Array.from({ length: 100 }, (_, line) =>
  Array.from({ length: 9 }, (_, w) => WORDS[(line * 7 + w * 3) % WORDS.length])
    .join(" ")
    .padEnd(78, "."),
).join("\r\n");
/** What "bounded" and "abnormal" mean here (the figures measured are printed). */
const MAX_WAL_BYTES = 32 * 1024 * 1024;
const MAX_ACK_MS = 1000;

let server: TestServer;
let address: string;

beforeAll(async () => {
  server = await startTestServer();
  address = await freshAccount(server);
});

afterAll(async () => {
  await server.close();
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

test("under SMTP load with housekeeping checkpoints, the WAL stays bounded and no 250 waits abnormally", async () => {
  const wal = join(server.dataDir, "mailroom.db-wal");
  const walSize = () => {
    try {
      return statSync(wal).size;
    } catch {
      return 0;
    }
  };
  let maxWal = 0;
  const trace: number[] = [];
  let ticks = 0;
  const sampler = setInterval(() => {
    maxWal = Math.max(maxWal, walSize());
    if (++ticks % 50 === 0) trace.push(Math.round(walSize() / 1e5) / 10);
  }, 10);
  const latencies: number[] = [];
  const until = performance.now() + SECONDS * 1000;
  const lane = async (n: number) => {
    const { client } = await SmtpClient.connect(server.ports.smtp!);
    await client.command("EHLO load.test");
    let i = 0;
    while (performance.now() < until) {
      expect((await client.command("MAIL FROM:<load@remote.test>")).code).toBe(250);
      expect((await client.command(`RCPT TO:<${address}>`)).code).toBe(250);
      const started = performance.now();
      const reply = await client.data(`Subject: load ${n}-${i++}\r\n\r\n${BODY}`);
      latencies.push(performance.now() - started);
      expect(reply.code).toBe(250);
    }
    await client.command("QUIT");
    await client.close();
  };
  const housekeeping: number[] = [];
  let loading = true;
  const housekeeper = (async () => {
    while (loading) {
      await new Promise((r) => setTimeout(r, 2000));
      if (!loading) break;
      const started = performance.now();
      await server.store.housekeep();
      housekeeping.push(performance.now() - started);
    }
  })();
  await Promise.all(Array.from({ length: LANES }, (_, n) => lane(n)));
  loading = false;
  await housekeeper;
  clearInterval(sampler);
  maxWal = Math.max(maxWal, walSize());

  console.log(`-wal size every 0.5 s (MB): ${trace.join(" ")}`);
  const sorted = [...latencies].sort((a, b) => a - b);
  const ms = (v: number) => v.toFixed(1);
  console.log(
    `${latencies.length} deliveries in ${SECONDS} s over ${LANES} sessions: 250 after DATA p50 ${ms(percentile(sorted, 50))} ms, ` +
      `p99 ${ms(percentile(sorted, 99))} ms, max ${ms(sorted.at(-1)!)} ms; largest -wal ${maxWal} bytes; ` +
      `housekeeping runs ${housekeeping.map((h) => Math.round(h)).join("/")} ms; -wal after the load ${walSize()} bytes`,
  );
  expect(latencies.length).toBeGreaterThan(0);
  expect(maxWal).toBeLessThan(MAX_WAL_BYTES);
  expect(sorted.at(-1)!).toBeLessThan(MAX_ACK_MS);
}, 120_000);
