/**
 * POP3 retrieval benchmark: a mailbox of M messages (a mix of small and large), N clients that each
 * log in and RETR every message; prints messages/s and MB/s (10^6 bytes of message data) of the
 * retrieval phase (logins first, timed apart), the server's peak RSS and CPU time, and checks that
 * every client received every message's announced octets.
 *
 *   bun bench/pop3-retr.ts [--clients 10] [--messages 1000] [--sizes 2048,102400] [--pipeline 1]
 *                          [--profile DIR]
 *
 * `--sizes` lists the message sizes used round-robin (one size for a uniform mailbox). `--pipeline`
 * is how many RETRs a client keeps in flight (1 = strict request/response, as most clients do).
 * The mailbox is filled through the store before the server starts; the server then runs as a
 * separate process (src/runtime/bun.ts serve), so the figures are the server's alone, though the
 * clients share the machine's cores. RETR sets \Seen, so the run includes those durable writes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseMessage } from "../src/mime/mod.ts";
import { embeddedMigrations } from "../src/runtime/embedded.ts";
import {
  accountCreate,
  accountPrepare,
  domainCreate,
  mailboxGet,
  messageIngest,
  Store,
} from "../src/store/mod.ts";
import { startChildServer } from "../test/harness/child-server.ts";
import { cpuSeconds, peakRssMb } from "./lib/proc.ts";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "10" },
    messages: { type: "string", default: "1000" },
    sizes: { type: "string", default: "2048,102400" },
    pipeline: { type: "string", default: "1" },
    /** Directory for a CPU profile of the server (markdown, bun --cpu-prof-md). */
    profile: { type: "string" },
  },
});
const clients = Number(values.clients);
const messageCount = Number(values.messages);
const sizes = values.sizes.split(",").map(Number);
const pipeline = Math.max(1, Number(values.pipeline));
const address = "bench@example.com";

function message(n: number): Buffer {
  const size = sizes[n % sizes.length]!;
  const head = `From: sender@remote.example\r\nTo: ${address}\r\nSubject: bench ${n}\r\nMessage-ID: <${n}@bench>\r\n\r\n`;
  // Every 50th line starts with a dot, so the dot-stuffing path is exercised too.
  const lines: string[] = [];
  let length = head.length;
  for (let i = 0; length < size; i++) {
    const line = `${i % 50 === 49 ? "." : ""}The quick brown fox jumps over the lazy dog ${n}.${i}\r\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(head + lines.join(""));
}

// Fill the mailbox through the store, before the server process opens the database.
const dir = mkdtempSync(join(tmpdir(), "mailroom-bench-pop3-"));
const store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
const prepared = await accountPrepare({ address, password: "pw" });
const account = await store.write(async (w) => {
  await domainCreate(w, "example.com", { ifMissing: true });
  return accountCreate(w, prepared);
});
const inbox = await mailboxGet(store.read, account.id, "INBOX");
let mailboxBytes = 0;
for (let start = 0; start < messageCount; start += 100) {
  await store.write(async (w) => {
    for (let n = start; n < Math.min(messageCount, start + 100); n++) {
      const raw = message(n);
      mailboxBytes += raw.length;
      await messageIngest(w, {
        raw,
        parsed: parseMessage(raw),
        targets: [{ accountId: account.id, mailboxId: inbox.id }],
      });
    }
  });
}
await store.close();

const server = await startChildServer({
  command: values.profile
    ? [process.execPath, "--cpu-prof-md", `--cpu-prof-dir=${values.profile}`, "src/runtime/bun.ts", "serve"]
    : undefined,
  env: {
    MAILROOM_DATA_DIR: dir,
    MAILROOM_DOMAIN: "example.com",
    MAILROOM_POP3_PORT: "0",
    MAILROOM_ADMIN_TOKEN: "bench-admin-token-0123456789",
    MAILROOM_LOG_LEVEL: "warn",
  },
});
if (server.pop3Port === null) throw new Error("the server did not start POP3");
const pop3Port = server.pop3Port;

/** A lean POP3 client: RETR bodies are skipped by their announced size, not parsed line by line. */
class BenchClient {
  #socket: Socket;
  #data = Buffer.alloc(1024 * 1024);
  #start = 0;
  #end = 0;
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      if (this.#end + chunk.length > this.#data.length) {
        const live = this.#end - this.#start;
        const next = Buffer.allocUnsafe(Math.max(this.#data.length, (live + chunk.length) * 2));
        this.#data.copy(next, 0, this.#start, this.#end);
        this.#data = next;
        this.#start = 0;
        this.#end = live;
      }
      chunk.copy(this.#data, this.#end);
      this.#end += chunk.length;
      this.#wake?.();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#wake?.();
    });
  }

  static async open(port: number): Promise<BenchClient> {
    const socket = connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const client = new BenchClient(socket);
    await client.line();
    return client;
  }

  async #more(): Promise<void> {
    if (this.#closed) throw new Error("connection closed");
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
    this.#wake = undefined;
  }

  /** Searches only the bytes received and not consumed: the rest of the buffer is stale. */
  #find(needle: string, from: number): number {
    const i = this.#data.subarray(this.#start, this.#end).indexOf(needle, from);
    return i === -1 ? -1 : this.#start + i;
  }

  async line(): Promise<string> {
    for (;;) {
      const i = this.#find("\r\n", 0);
      if (i !== -1) {
        const text = this.#data.toString("latin1", this.#start, i);
        this.#start = i + 2;
        return text;
      }
      await this.#more();
    }
  }

  /** Reads one RETR response; returns the announced octets after checking the body is at least that long. */
  async retrResponse(): Promise<number> {
    const status = await this.line();
    const octets = /^\+OK (\d+) octets$/.exec(status);
    if (!octets) throw new Error(`RETR: ${status}`);
    const size = Number(octets[1]);
    // Stuffing only adds bytes, so the terminator lies at or after the announced size.
    const from = Math.max(0, size - 2);
    for (;;) {
      const i = this.#end - this.#start >= from ? this.#find("\r\n.\r\n", from) : -1;
      if (i !== -1) {
        this.#start = i + 5;
        return size;
      }
      if (size === 0 && this.#data.toString("latin1", this.#start, this.#start + 3) === ".\r\n") {
        this.#start += 3;
        return 0;
      }
      await this.#more();
    }
  }

  send(text: string): void {
    this.#socket.write(text);
  }

  async command(text: string): Promise<string> {
    this.send(`${text}\r\n`);
    return this.line();
  }

  close(): void {
    this.#socket.destroy();
  }
}

const pid = server.process.pid!;
const rssAtStartMb = peakRssMb(pid);
let failures = 0;
let bytes = 0;

// Phase 1: every client logs in (a deliberate ~40 ms scrypt check each, and the maildrop snapshot).
const cpuAtStart = cpuSeconds(pid);
const loginStarted = performance.now();
const sessions = await Promise.all(
  Array.from({ length: clients }, async () => {
    const client = await BenchClient.open(pop3Port);
    await client.command(`USER ${address}`);
    if (!(await client.command("PASS pw")).startsWith("+OK")) throw new Error("login failed");
    return client;
  }),
);
const loginSeconds = (performance.now() - loginStarted) / 1000;

// Phase 2, the one measured: every client RETRs every message, then QUITs (UPDATE waits for \Seen writes).
const cpuAtRetr = cpuSeconds(pid);
const clientCpuAtRetr = process.cpuUsage();
const started = performance.now();
await Promise.all(
  sessions.map(async (client) => {
    let sent = 0;
    let received = 0;
    while (received < messageCount) {
      while (sent < messageCount && sent - received < pipeline) client.send(`RETR ${++sent}\r\n`);
      try {
        const octets = await client.retrResponse();
        bytes += octets; // not `bytes += await ...`: that reads `bytes` before the await and loses updates
      } catch {
        failures++;
      }
      received++;
    }
    await client.command("QUIT");
    client.close();
  }),
);
const seconds = (performance.now() - started) / 1000;
const cpu = cpuSeconds(pid) - cpuAtRetr;
const clientCpu = process.cpuUsage(clientCpuAtRetr);
const cpuTotal = cpuSeconds(pid) - cpuAtStart;
const rss = peakRssMb(pid);

server.process.kill("SIGTERM");
await server.exited;
rmSync(dir, { recursive: true, force: true });

const total = clients * messageCount;
console.log(
  JSON.stringify({
    benchmark: "pop3-retr",
    clients,
    messages: messageCount,
    sizesBytes: sizes,
    pipeline,
    mailboxMb: Number((mailboxBytes / 1e6).toFixed(1)),
    retrieved: total - failures,
    seconds: Number(seconds.toFixed(2)),
    messagesPerSecond: Math.round(total / seconds),
    mbPerSecond: Number((bytes / 1e6 / seconds).toFixed(1)),
    serverCpuSeconds: Number(cpu.toFixed(2)),
    clientCpuSeconds: Number(((clientCpu.user + clientCpu.system) / 1e6).toFixed(2)),
    loginSeconds: Number(loginSeconds.toFixed(2)),
    serverCpuSecondsWithLogins: Number(cpuTotal.toFixed(2)),
    serverPeakRssMb: Math.round(rss),
    serverRssAtStartMb: Math.round(rssAtStartMb),
    failures,
  }),
);
if (failures > 0 || bytes !== clients * mailboxBytes) process.exit(1);
