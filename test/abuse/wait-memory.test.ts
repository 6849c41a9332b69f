/**
 * 10,000 concurrent waits-for-message (issue 16) on a server in its own process, measured there
 * (RSS from /proc/<pid>/status, CPU time from /proc/<pid>/stat): they fit in a bounded amount of
 * memory, cost no CPU while nothing arrives (no polling), still answer when their message comes,
 * the 10,001st is refused with 503, and every one is freed when its client disconnects (a second
 * 10,000 fit again, and no more).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChildServer, startChildServer } from "../harness/child-server.ts";
import { eventually } from "../harness/eventually.ts";
import { sendMail } from "../harness/smtp-client.ts";

const TOKEN = "wait-memory-token-0123456789";
const WAITS = 10_000;
/**
 * What 10,000 waits may add to the server's resident set: measured +111-117 MB (about 12 KB a wait:
 * Bun's request, the handler's frames, the first query's statement until collected).
 */
const RSS_GROWTH_LIMIT_MB = 250;

let dir: string;
let child: ChildServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-wait-memory-"));
  child = await startChildServer({
    env: {
      MAILROOM_DATA_DIR: dir,
      MAILROOM_HOSTNAME: "mx.test.example",
      MAILROOM_DOMAIN: "example.com",
      MAILROOM_ADMIN_TOKEN: TOKEN,
      // Any address takes mail: the test needs no accounts.
      MAILROOM_CATCH: "true",
      MAILROOM_LOG_LEVEL: "error",
    },
  });
});

afterAll(async () => {
  child?.process.kill("SIGKILL");
  await child?.exited;
  rmSync(dir, { recursive: true, force: true });
});

function statusKb(field: string): number {
  const status = readFileSync(`/proc/${child.process.pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
}
const rssMb = () => Math.round(statusKb("VmRSS") / 1024);

/** The child's CPU time so far (user + system), in clock ticks (1/100 s on Linux). */
function cpuTicks(): number {
  const stat = readFileSync(`/proc/${child.process.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** A wait over its own connection; `answer` collects what the server sends back. */
interface RawWait {
  socket: Socket;
  answer: string;
}

function openWait(query: string): Promise<RawWait> {
  return new Promise((resolve, reject) => {
    const wait: RawWait = { socket: connect(child.httpPort, "127.0.0.1"), answer: "" };
    wait.socket.once("connect", () => {
      wait.socket.write(
        `GET /api/v1/messages/wait?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`,
      );
      resolve(wait);
    });
    wait.socket.setEncoding("latin1");
    wait.socket.on("data", (chunk: string) => {
      wait.answer += chunk;
    });
    wait.socket.once("error", reject);
  });
}

/** The child's open file descriptors: its accepted connections, and a few files. */
const childFds = () => readdirSync(`/proc/${child.process.pid}/fd`).length;

/**
 * `count` waits, opened 500 at a time, each batch once the server has accepted the one before: a
 * burst past the listen backlog would have the kernel drop connections the client thinks are open.
 */
async function openWaits(count: number, query: (i: number) => string): Promise<RawWait[]> {
  const waits: RawWait[] = [];
  const base = childFds();
  for (let i = 0; i < count; i += 500) {
    const batch = Array.from({ length: Math.min(500, count - i) }, (_, j) => openWait(query(i + j)));
    waits.push(...(await Promise.all(batch)));
    await eventually(
      () => childFds() >= base + waits.length,
      `the server to accept ${waits.length} connections`,
      {
        timeoutMs: 30_000,
        intervalMs: 50,
      },
    );
  }
  return waits;
}

/** The status of one more wait (it asks for no time at all, so it answers at once unless refused). */
async function probe(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${child.httpPort}/api/v1/messages/wait?subject=probe&timeout=0`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  await res.body?.cancel();
  return res.status;
}

test("10,000 concurrent waits stay within memory, cost no CPU while idle, and are freed on disconnect", async () => {
  // Warm the API up so that the baseline includes the code paths a wait uses.
  expect(await probe()).toBe(408);
  Bun.gc(true);
  const baseline = rssMb();

  const waits = await openWaits(WAITS, (i) => `subject=${encodeURIComponent(`wait <${i}>`)}&timeout=5m`);
  // All 10,000 are in progress once the next one is refused.
  await eventually(async () => (await probe()) === 503, "the 10,001st wait to be refused with 503", {
    timeoutMs: 60_000,
    intervalMs: 100,
  });
  const loaded = rssMb();

  // No polling: two seconds with 10,000 waits and no mail cost (next to) no CPU.
  const before = cpuTicks();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const idleTicks = cpuTicks() - before;

  // They still answer: the message of wait 4242 arrives over SMTP and that wait gets it.
  const reply = await sendMail(
    child.smtpPort,
    "app@shop.test",
    ["user@catch.test"],
    "Subject: wait <4242>\r\n\r\nfor one of ten thousand\r\n",
  );
  expect(reply.code).toBe(250);
  await eventually(() => waits[4242]!.answer.startsWith("HTTP/1.1 200"), "wait 4242 to be answered", {
    timeoutMs: 30_000,
  });
  expect(waits[4241]!.answer).toBe("");

  console.log(
    `10,000 waits: RSS ${baseline} MB -> ${loaded} MB (+${loaded - baseline} MB, peak ${Math.round(statusKb("VmHWM") / 1024)} MB); idle CPU ${idleTicks * 10} ms in 2 s`,
  );
  expect(loaded - baseline).toBeLessThan(RSS_GROWTH_LIMIT_MB);
  // 10 ticks = 100 ms of CPU in 2 s: garbage collection may still finish; a poll of 10,000 waits
  // (10,000 queries a round) would cost seconds.
  expect(idleTicks).toBeLessThanOrEqual(10);

  // Clients leaving free their waits: a fresh 10,000 fit again (and no more).
  for (const wait of waits) wait.socket.destroy();
  await eventually(async () => (await probe()) === 408, "a wait to be accepted after the clients left", {
    timeoutMs: 30_000,
    intervalMs: 100,
  });
  const again = await openWaits(WAITS, (i) => `subject=${encodeURIComponent(`again <${i}>`)}&timeout=5m`);
  await eventually(async () => (await probe()) === 503, "the second 10,000 to fill the waits again", {
    timeoutMs: 60_000,
    intervalMs: 100,
  });
  const reloaded = rssMb();
  console.log(`second 10,000 waits after the first disconnected: RSS ${reloaded} MB`);
  expect(reloaded - baseline).toBeLessThan(RSS_GROWTH_LIMIT_MB);
  for (const wait of again) wait.socket.destroy();
  await eventually(async () => (await probe()) === 408, "the second 10,000 to be freed", {
    timeoutMs: 30_000,
    intervalMs: 100,
  });
}, 240_000);
