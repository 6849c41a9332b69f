/**
 * Memory under load (issue 9, finding 2), measured on a server in its own process (RSS from
 * /proc/<pid>/status): SMTP DATA streams to spool files instead of memory, so 200 slow 20 MB
 * transfers stay far below 300 MB; before login, IMAP refuses a big APPEND literal before any of it
 * is read, so 200 connections announcing 26 MB cost nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import {
  accountCreate,
  accountGet,
  accountPrepare,
  domainCreate,
  mailboxGet,
  messagesOfMailbox,
  Store,
} from "../../src/store/mod.ts";
import { type ChildServer, startChildServer } from "../harness/child-server.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { SmtpClient } from "../harness/smtp-client.ts";

const MB = 1024 * 1024;
const RSS_LIMIT_MB = 300;
const CONNECTIONS = 200;
const MESSAGE_SIZE = 20 * MB;
/** What each slow transfer sends before the peak is read: 200 x 3 MB would be 600 MB if buffered. */
const SENT_BEFORE_PEAK = 3 * MB;
/** Transfers that then finish their 20 MB message and must be stored whole. */
const FINISHING = 3;
const ADDRESS = "big@example.com";

let dir: string;
let child: ChildServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-memory-"));
  const store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
  const prepared = await accountPrepare({ address: ADDRESS, password: "secret" });
  await store.write(async (w) => {
    await domainCreate(w, "example.com");
    return accountCreate(w, prepared);
  });
  await store.close();
  child = await startChildServer({
    env: {
      MAILROOM_DATA_DIR: dir,
      MAILROOM_DOMAIN: "example.com",
      MAILROOM_HOSTNAME: "mx.test.example",
      MAILROOM_ADMIN_TOKEN: "memory-test-token-0123456789",
      MAILROOM_IMAP_PORT: "0",
      // All 200 clients come from 127.0.0.1.
      MAILROOM_MAX_CONNECTIONS_PER_IP: "500",
      MAILROOM_LOG_LEVEL: "error",
    },
  });
});

afterAll(async () => {
  child?.process.kill("SIGKILL");
  await child?.exited;
  rmSync(dir, { recursive: true, force: true });
});

/** The server's resident set now and at its peak, in MB. */
function memory(): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${child.process.pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb("VmRSS") / 1024), peak: Math.round(kb("VmHWM") / 1024) };
}

function spoolFiles(): string[] {
  const spool = join(dir, "spool");
  try {
    return readdirSync(spool).map((name) => join(spool, name));
  } catch {
    return [];
  }
}

function spooledBytes(): number {
  let total = 0;
  for (const path of spoolFiles()) {
    try {
      total += statSync(path).size;
    } catch {
      // Deleted meanwhile.
    }
  }
  return total;
}

/** A 20 MB message of 78-byte lines; none starts with ".", so it needs no dot-stuffing on the wire. */
function bigMessage(): Buffer {
  const head = Buffer.from(`From: <sender@remote.example>\r\nTo: <${ADDRESS}>\r\nSubject: big\r\n\r\n`);
  const line = Buffer.from(`${"0123456789".repeat(7)}abcdef\r\n`);
  const body = Buffer.alloc(MESSAGE_SIZE - head.length);
  for (let i = 0; i < body.length; i += line.length)
    line.copy(body, i, 0, Math.min(line.length, body.length - i));
  body.set(Buffer.from("\r\n"), body.length - 2);
  return Buffer.concat([head, body]);
}

/** Resolves when `condition()` holds, checking every `everyMs`; rejects after `withinMs`. */
async function until(condition: () => boolean, withinMs: number, what: string, everyMs = 50): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

interface Transfer {
  client: SmtpClient;
  sent: number;
}

async function startTransfer(port: number): Promise<Transfer> {
  const { client, greeting } = await SmtpClient.connect(port);
  expect(greeting.code).toBe(220);
  expect((await client.command("EHLO slow.test")).code).toBe(250);
  expect((await client.command("MAIL FROM:<sender@remote.example>")).code).toBe(250);
  expect((await client.command(`RCPT TO:<${ADDRESS}>`)).code).toBe(250);
  expect((await client.command("DATA")).code).toBe(354);
  return { client, sent: 0 };
}

/** Writes the rest of `wire` as fast as the socket takes it, then the end of data; the reply. */
async function finish(transfer: Transfer, wire: Buffer) {
  const { socket } = transfer.client;
  const step = 256 * 1024;
  while (transfer.sent < wire.length) {
    const end = Math.min(wire.length, transfer.sent + step);
    const more = socket.write(wire.subarray(transfer.sent, end));
    transfer.sent = end;
    if (!more) await new Promise((resolve) => socket.once("drain", resolve));
  }
  transfer.client.write(".\r\n");
  return transfer.client.read();
}

describe("SMTP", () => {
  test("200 connections each sending a 20 MB message slowly keep the server under 300 MB; spool files go with them", async () => {
    const wire = bigMessage();
    const before = memory();
    const transfers: Transfer[] = [];
    for (let i = 0; i < CONNECTIONS; i += 20) {
      transfers.push(...(await Promise.all(Array.from({ length: 20 }, () => startTransfer(child.smtpPort)))));
    }
    // Slowly: every 25 ms each connection sends 16 KB, if its socket has nothing left to flush.
    let peakSeen = 0;
    const ticker = setInterval(() => {
      for (const t of transfers) {
        if (t.sent >= SENT_BEFORE_PEAK || t.client.socket.writableLength > 0) continue;
        const end = t.sent + 16 * 1024;
        t.client.write(wire.subarray(t.sent, end));
        t.sent = end;
      }
      peakSeen = Math.max(peakSeen, memory().rss);
    }, 25);
    try {
      // Stops early (and fails below) if the server buffers: no need to watch it reach gigabytes.
      await until(
        () =>
          peakSeen > RSS_LIMIT_MB ||
          (transfers.every((t) => t.sent >= SENT_BEFORE_PEAK) &&
            spooledBytes() >= CONNECTIONS * (SENT_BEFORE_PEAK - 512 * 1024)),
        40_000,
        "every transfer to reach the spool",
      );
    } finally {
      clearInterval(ticker);
    }
    const during = memory();
    console.log(
      `RSS before ${before.rss} MB; with ${CONNECTIONS} transfers of ${SENT_BEFORE_PEAK / MB} MB each in progress ${during.rss} MB (peak ${during.peak} MB); spooled ${Math.round(spooledBytes() / MB)} MB`,
    );
    expect(during.peak).toBeLessThan(RSS_LIMIT_MB);
    expect(spoolFiles().length).toBe(CONNECTIONS);

    // A few finish their 20 MB together while the others hang on: stored whole, memory still bounded.
    const replies = await Promise.all(transfers.slice(0, FINISHING).map((t) => finish(t, wire)));
    for (const r of replies) expect(r.code).toBe(250);
    const after = memory();
    console.log(
      `RSS after ${FINISHING} messages of 20 MB were stored: ${after.rss} MB (peak ${after.peak} MB)`,
    );
    expect(after.peak).toBeLessThan(RSS_LIMIT_MB);

    // The clients that give up take their spool files with them.
    for (const t of transfers) t.client.socket.destroy();
    await until(() => spoolFiles().length === 0, 10_000, "the spool to empty");
  }, 90_000);
});

describe("IMAP", () => {
  test("before login, 200 APPENDs announcing 26 MB are refused at once without a continuation, and memory does not grow", async () => {
    const before = memory();
    const clients = await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => (await ImapClient.connect(child.imapPort)).client),
    );
    // Synchronizing: no "+", a tagged BAD right away, and the session goes on.
    const answers = await Promise.all(
      clients.map(async (client) => {
        client.write("a APPEND INBOX {26000000}\r\n");
        const first = await client.readResponseLine();
        const noop = await client.command("NOOP");
        return { first, noop: noop.status };
      }),
    );
    for (const { first, noop } of answers) {
      expect(first).toStartWith("a BAD ");
      expect(first).toContain("not allowed in the not-authenticated state");
      expect(noop).toBe("OK");
    }
    const refusedSync = memory();
    // LITERAL+: the bytes are on their way, and reading them is not worth it before login: BYE, closed.
    const chunk = Buffer.alloc(MB, 0x61);
    const closed = await Promise.all(
      clients.map(async (client) => {
        client.write("b APPEND INBOX {26000000+}\r\n");
        client.write(chunk);
        const lines: string[] = [];
        try {
          for (;;) lines.push(await client.readResponseLine());
        } catch {
          // The server closed the connection.
        }
        return lines;
      }),
    );
    for (const lines of closed) {
      expect(lines[0]).toStartWith("b BAD ");
      expect(lines.some((l) => l.startsWith("* BYE"))).toBe(true);
    }
    const after = memory();
    console.log(
      `IMAP: RSS before ${before.rss} MB, with 200 sessions after their refused APPEND {26000000} ${refusedSync.rss} MB, after the LITERAL+ ones ${after.rss} MB`,
    );
    expect(after.rss - before.rss).toBeLessThan(40);
    expect(after.peak).toBeLessThan(RSS_LIMIT_MB);
  }, 60_000);

  test("after login, a 20 MB APPEND streams to the spool and is stored exactly", async () => {
    const message = bigMessage();
    const client = await ImapClient.login(child.imapPort, ADDRESS);
    const r = await client.append("INBOX", message);
    expect(r.status).toBe("OK");
    expect(r.text).toContain("APPENDUID");
    await client.close();
    // The spool file goes right after the tagged OK.
    await until(() => spoolFiles().length === 0, 5000, "the spool to empty");
    expect(memory().peak).toBeLessThan(RSS_LIMIT_MB);
  }, 60_000);
});

describe("afterwards", () => {
  test("every acknowledged message is in the database, whole", async () => {
    child.process.kill("SIGTERM");
    await child.exited;
    const store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
    try {
      const account = await accountGet(store.read, ADDRESS);
      const inbox = await mailboxGet(store.read, account.id, "INBOX");
      const messages = await messagesOfMailbox(store.read, inbox.id);
      // The SMTP ones carry our Received and Return-Path on top of the 20 MB.
      expect(messages).toHaveLength(FINISHING + 1);
      for (const m of messages) expect(m.size).toBeGreaterThanOrEqual(MESSAGE_SIZE);
    } finally {
      await store.close();
    }
  });
});
