/**
 * IMAP LOGIN latency under concurrent clients, for a credential verified recently (the case the
 * credential cache, src/store/credential-cache.ts, is for: a client logging in again and again with
 * the same password). Each of N clients loops for S seconds: connect, greeting, LOGIN, LOGOUT; the
 * figure is the time from sending LOGIN to its tagged OK. Every account logs in once before the
 * clock starts (that first login is a full scrypt check, timed apart as `firstLoginMs`).
 *
 *   bun bench/login.ts [--clients 10] [--accounts 10] [--seconds 5] [--server-cwd DIR] [--profile DIR]
 *
 * `--server-cwd` runs `bun src/runtime/bun.ts serve` from another checkout (e.g. an export of an
 * older commit, to measure before and after on the same machine in the same run). The server is a
 * separate process on a fresh database; prints one JSON line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startChildServer } from "../test/harness/child-server.ts";
import { populate } from "./lib/populate.ts";
import { cpuSeconds, percentile } from "./lib/proc.ts";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "10" },
    accounts: { type: "string", default: "10" },
    seconds: { type: "string", default: "5" },
    "server-cwd": { type: "string" },
    /** Directory for a CPU profile of the server (markdown, bun --cpu-prof-md). */
    profile: { type: "string" },
  },
});
const clients = Number(values.clients);
const accounts = Number(values.accounts);
const seconds = Number(values.seconds);
const password = "bench-Passw0rd";

const dir = mkdtempSync(join(tmpdir(), "mailroom-bench-login-"));
const users = Array.from({ length: accounts }, (_, i) => `user${i + 1}@example.com`);
await populate(
  dir,
  users.map((account) => ({ account, mailbox: "INBOX", count: 0, size: 0 })),
  password,
);

const server = await startChildServer({
  command: values.profile
    ? [process.execPath, "--cpu-prof-md", `--cpu-prof-dir=${values.profile}`, "src/runtime/bun.ts", "serve"]
    : undefined,
  cwd: values["server-cwd"],
  env: {
    MAILROOM_DATA_DIR: dir,
    MAILROOM_DOMAIN: "example.com",
    MAILROOM_IMAP_PORT: "0",
    MAILROOM_ADMIN_TOKEN: "bench-admin-token-0123456789",
  },
});
const port = server.imapPort;
const pid = server.process.pid!;

/** One connection: lines as they arrive, nothing parsed beyond what the loop needs. */
class Connection {
  #socket: Socket;
  #buffer = "";
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      this.#wake?.();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#wake?.();
    });
    socket.on("error", () => {});
  }

  static async open(): Promise<Connection> {
    const socket = connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new Connection(socket);
  }

  /** Waits for a line starting with `prefix` (the greeting "* OK", or a tag). */
  async until(prefix: string): Promise<string> {
    for (;;) {
      const lines = this.#buffer.split("\r\n");
      this.#buffer = lines.pop() ?? "";
      const hit = lines.find((l) => l.startsWith(prefix));
      if (hit !== undefined) return hit;
      if (this.#closed) throw new Error(`closed before ${prefix}`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }

  send(line: string): void {
    this.#socket.write(`${line}\r\n`);
  }

  async closed(): Promise<void> {
    while (!this.#closed)
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
  }
}

/** One LOGIN + LOGOUT; returns the LOGIN latency in ms. */
async function loginOnce(user: string): Promise<number> {
  const c = await Connection.open();
  await c.until("* OK");
  const t0 = performance.now();
  c.send(`a LOGIN ${user} ${password}`);
  const answer = await c.until("a ");
  const ms = performance.now() - t0;
  if (!answer.startsWith("a OK")) throw new Error(`LOGIN ${user}: ${answer}`);
  c.send("b LOGOUT");
  await c.closed();
  return ms;
}

try {
  // Every credential verified once, all at the same time as the clients will log in.
  const first = await Promise.all(users.map((u) => loginOnce(u)));
  const samples: number[] = [];
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, k) => {
      for (let i = 0; performance.now() < end; i++) samples.push(await loginOnce(users[(k + i) % accounts]!));
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  samples.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  console.log(
    JSON.stringify({
      clients,
      accounts,
      logins: samples.length,
      loginsPerSecond: Math.round(samples.length / elapsed),
      loginMs: {
        p50: round(percentile(samples, 50)),
        p90: round(percentile(samples, 90)),
        p99: round(percentile(samples, 99)),
      },
      firstLoginMs: {
        p50: round(
          percentile(
            first.sort((a, b) => a - b),
            50,
          ),
        ),
        max: round(first[first.length - 1]!),
      },
      serverCpuMsPerLogin: round((cpu * 1000) / samples.length),
    }),
  );
} finally {
  server.process.kill("SIGTERM");
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
}
