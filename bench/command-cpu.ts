/**
 * CPU time of one read command, in process and without the kernel: an IMAP `UID FETCH n
 * (BODY.PEEK[])` and a POP3 `RETR n`, each of 1 KB messages, one command at a time, as the
 * side-by-side clients send them (../shared/reference/bench/read_bench.py). The session classes are
 * the real ones (src/imap/session.ts, src/pop3/connection.ts) on the real store; only the socket is
 * a stream.Duplex, so the figure leaves out what the system calls cost (measured apart with the
 * real servers: bench/README.md). On a shared machine CPU time moves much less than wall time,
 * which makes this the figure to compare code with code.
 *
 *   bun bench/command-cpu.ts [--commands 20000] [--rounds 5] [--checkout DIR]
 *
 * `--checkout` loads the server code from another checkout (an export of an older commit with its
 * node_modules), to compare before and after in one run. Prints one JSON line: the median of the
 * rounds, in µs of CPU per command.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Duplex } from "node:stream";
import { parseArgs } from "node:util";
import { populate } from "./lib/populate.ts";

const { values } = parseArgs({
  options: {
    commands: { type: "string", default: "20000" },
    rounds: { type: "string", default: "5" },
    checkout: { type: "string", default: resolve(import.meta.dir, "..") },
  },
});
const commands = Number(values.commands);
const rounds = Number(values.rounds);
const src = (path: string) => import(join(values.checkout, "src", path));

const user = "reader@example.com";
const password = "bench-Passw0rd";
const MESSAGES = 100;
const dir = mkdtempSync(join(tmpdir(), "mailroom-bench-cpu-"));
await populate(dir, [{ account: user, mailbox: "INBOX", count: MESSAGES, size: 1024 }], password);

const { Store } = await src("store/mod.ts");
const { embeddedMigrations } = await src("runtime/embedded.ts");
const { ImapSession } = await src("imap/session.ts");
const { Connection } = await src("pop3/connection.ts");
const { pop3Shared } = await src("pop3/context.ts");
const { AuthFailures } = await src("security/auth-failures.ts");
const { silentLogger } = await src("log.ts");
const store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);

/** Stands in for a TCP socket: what the session writes is checked for the end of the reply. */
class Wire extends Duplex {
  remoteAddress = "127.0.0.1";
  #out = "";
  #waiter: { done: (text: string) => boolean; resolve: () => void } | undefined;
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.#out += chunk.toString("latin1");
    const waiter = this.#waiter;
    if (waiter?.done(this.#out)) {
      this.#waiter = undefined;
      this.#out = "";
      waiter.resolve();
    }
    callback();
  }
  override _read(): void {}
  /** Sends a line (or nothing) and waits until what came back satisfies `done`. */
  exchange(line: string | undefined, done: (text: string) => boolean): Promise<void> {
    return new Promise((resolve) => {
      this.#waiter = { done, resolve };
      if (line !== undefined) this.push(line);
    });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** µs of CPU per command, median over the rounds (after one unmeasured round for the JIT). */
async function measure(run: (i: number) => Promise<void>): Promise<number> {
  const figures: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const before = process.cpuUsage();
    for (let i = 0; i < commands; i++) await run(i);
    const used = process.cpuUsage(before);
    if (round > 0) figures.push((used.user + used.system) / commands);
  }
  return Math.round(median(figures) * 10) / 10;
}

const results: Record<string, unknown> = { benchmark: "command-cpu", checkout: values.checkout };

// IMAP: log in, select, then one UID FETCH per command.
{
  const wire = new Wire();
  const ctx = {
    store,
    log: silentLogger,
    hostname: "bench",
    primaryDomain: "example.com",
    maxMessageSize: 10_000_000,
    authFailures: new AuthFailures(),
  };
  const session = new ImapSession(ctx, wire as never);
  const tagged = (tag: string) => (text: string) =>
    text.includes(`\r\n${tag} `) || text.startsWith(`${tag} `);
  const greeting = wire.exchange(undefined, (text) => text.endsWith("\r\n"));
  void session.run();
  await greeting;
  await wire.exchange(`a LOGIN ${user} ${password}\r\n`, tagged("a"));
  await wire.exchange("b SELECT INBOX\r\n", tagged("b"));
  results.imapUidFetchBodyPeekUs = await measure((i) =>
    wire.exchange(`c${i} UID FETCH ${1 + (i % MESSAGES)} (BODY.PEEK[])\r\n`, tagged(`c${i}`)),
  );
  wire.destroy();
}

// POP3: USER/PASS, then one RETR per command.
{
  const wire = new Wire();
  const shared = pop3Shared({
    store,
    log: silentLogger,
    hostname: "bench",
    primaryDomain: "example.com",
    bind: "127.0.0.1",
    port: 0,
  });
  const connection = new Connection(wire as never, shared, "bench", "127.0.0.1");
  const line = (text: string) => text.endsWith("\r\n");
  const greeting = wire.exchange(undefined, line);
  connection.start();
  await greeting;
  await wire.exchange(`USER ${user}\r\n`, line);
  await wire.exchange(`PASS ${password}\r\n`, line);
  results.pop3RetrUs = await measure((i) =>
    wire.exchange(`RETR ${1 + (i % MESSAGES)}\r\n`, (text) => text.endsWith("\r\n.\r\n")),
  );
  wire.destroy();
}

await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(results));
process.exit(0);
