/**
 * DATA is spooled to a file under the data dir while it arrives, not kept in memory (issue 9,
 * finding 2): the file exists during the transfer, is private (0600 in a 0700 directory), and is
 * gone after the 250, a refusal, or a disconnect; files a crash left behind are removed at start-up.
 * When the shared buffer budget has no room for another transfer, DATA is 452 4.3.1 with no 354.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MEMORY_LIMITS } from "../../src/security/limits.ts";
import { createMemoryBudgets } from "../../src/security/memory-budget.ts";
import { SpoolDir } from "../../src/store/mod.ts";
import { extraSmtp } from "../abuse/helpers.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";

let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [{ address: "spooled@example.com" }]);
  dir = mkdtempSync(join(tmpdir(), "mailroom-spool-test-"));
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

async function inData(port: number): Promise<SmtpClient> {
  const { client } = await SmtpClient.connect(port);
  await client.command("EHLO spool.test");
  expect((await client.command("MAIL FROM:<sender@remote.example>")).code).toBe(250);
  expect((await client.command("RCPT TO:<spooled@example.com>")).code).toBe(250);
  return client;
}

/** Resolves once `condition()` holds (checked every 10 ms); rejects after 5 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > 500) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("SpoolDir", () => {
  test("SpoolDir.open() creates the directory 0700 and removes what a crash left in it", () => {
    const path = join(dir, "fresh", "spool");
    mkdirSync(path, { recursive: true, mode: 0o755 });
    writeFileSync(join(path, "left-by-a-crash.msg"), "half a message");
    const spool = SpoolDir.open(path);
    expect(mode(path)).toBe(0o700);
    expect(readdirSync(path)).toEqual([]);
    expect(spool.count()).toBe(0);
  });

  test("a spool file is 0600, reads back exactly what was written, and discard() removes it", async () => {
    const spool = SpoolDir.open(join(dir, "files"), { memoryBytes: 0 }).create();
    spool.write(Buffer.from("Subject: one\r\n"));
    spool.write(Buffer.from("\r\nbody\r\n"));
    expect(mode(spool.path)).toBe(0o600);
    expect((await spool.read()).toString()).toBe("Subject: one\r\n\r\nbody\r\n");
    await spool.discard();
    await spool.discard();
    expect(() => statSync(spool.path)).toThrow();
  });

  test("a transfer within memoryBytes makes no file; one that grows past them goes to a file with every byte", async () => {
    const dirSpool = SpoolDir.open(join(dir, "held"), { memoryBytes: 10 });
    const small = dirSpool.create();
    small.write(Buffer.from("0123"));
    small.write(Buffer.from("456789"));
    expect(small.onDisk).toBe(false);
    expect(dirSpool.count()).toBe(0);
    expect((await small.read()).toString()).toBe("0123456789");
    await small.discard();

    const grown = dirSpool.create();
    grown.write(Buffer.from("0123"));
    grown.write(Buffer.from("4567"));
    grown.write(Buffer.from("89ab"));
    expect(grown.onDisk).toBe(true);
    expect(mode(grown.path)).toBe(0o600);
    grown.write(Buffer.from("cdef"));
    expect((await grown.read()).toString()).toBe("0123456789abcdef");
    await grown.discard();
    expect(dirSpool.count()).toBe(0);
  });

  test("a held chunk is a copy: the socket's buffer may be reused after write()", async () => {
    const spool = SpoolDir.open(join(dir, "copy")).create();
    const chunk = Buffer.from("original");
    spool.write(chunk);
    chunk.fill(0x78);
    expect((await spool.read()).toString()).toBe("original");
    await spool.discard();
  });
});

describe("DATA", () => {
  test("DATA past the in-memory share goes to a spool file while it arrives; the file is gone after the 250 and the message is stored exactly", async () => {
    const spool = SpoolDir.open(join(dir, "data-ok"));
    const listener = await extraSmtp(server, { spool });
    try {
      const client = await inData(listener.port);
      expect((await client.command("DATA")).code).toBe(354);
      // Larger than SPOOL_MEMORY_BYTES, so it cannot stay in memory.
      const body = `Subject: spooled\r\n\r\n${"line of text\r\n".repeat(6000)}`;
      client.write(body);
      await until(
        () => spool.count() === 1 && statSync(join(spool.path, readdirSync(spool.path)[0]!)).size > 0,
        "the spool file",
      );
      client.write(".\r\n");
      expect((await client.read()).code).toBe(250);
      await until(() => spool.count() === 0, "the spool file to go");
      const stored = await mailboxContents(server, "spooled@example.com");
      expect(stored.at(-1)!.raw.toString("latin1")).toEndWith(body);
      await client.close();
    } finally {
      await listener.close();
    }
  });

  test("the spool file goes when the client disconnects mid-DATA, and when the message is too big", async () => {
    // Every byte to the file, so a file exists from the first one.
    const spool = SpoolDir.open(join(dir, "data-cut"), { memoryBytes: 0 });
    const listener = await extraSmtp(server, { spool, maxMessageSize: 4096 });
    try {
      const cut = await inData(listener.port);
      expect((await cut.command("DATA")).code).toBe(354);
      cut.write("Subject: cut\r\n\r\nhalf");
      await until(() => spool.count() === 1, "the spool file");
      cut.socket.destroy();
      await until(() => spool.count() === 0, "the spool file to go after the disconnect");

      const big = await inData(listener.port);
      expect((await big.command("DATA")).code).toBe(354);
      big.write(`Subject: big\r\n\r\n${"x".repeat(10_000)}\r\n.\r\n`);
      expect((await big.read()).code).toBe(552);
      await until(() => spool.count() === 0, "the spool file to go after the 552");
      await big.close();
    } finally {
      await listener.close();
    }
  });

  test("with no room in the buffer budget DATA is 452 4.3.1 without a 354, and works again once the transfer ahead is done", async () => {
    // Room for exactly one transfer in progress.
    const memory = createMemoryBudgets({ bufferBytes: MEMORY_LIMITS.transferBytes });
    const listener = await extraSmtp(server, { spool: SpoolDir.open(join(dir, "busy")), memory });
    try {
      const first = await inData(listener.port);
      const second = await inData(listener.port);
      expect((await first.command("DATA")).code).toBe(354);
      const busy = await second.command("DATA");
      expect(busy.code).toBe(452);
      expect(busy.text).toContain("4.3.1");
      // The session goes on: nothing of the message was read, the envelope is still there.
      first.write("Subject: first\r\n\r\nhi\r\n.\r\n");
      expect((await first.read()).code).toBe(250);
      expect((await second.data("Subject: second\r\n\r\nhi\r\n")).code).toBe(250);
      expect(memory.buffers.used).toBe(0);
      await first.close();
      await second.close();
    } finally {
      await listener.close();
    }
  });

  test("a finished message waits for room in the ingest budget, then is stored", async () => {
    const memory = createMemoryBudgets();
    const held = memory.ingest.tryReserve(memory.ingest.limit)!;
    const listener = await extraSmtp(server, { spool: SpoolDir.open(join(dir, "ingest")), memory });
    try {
      const client = await inData(listener.port);
      expect((await client.command("DATA")).code).toBe(354);
      client.write("Subject: waits\r\n\r\nhi\r\n.\r\n");
      const reply = client.read();
      let answered = false;
      void reply.then(() => {
        answered = true;
      });
      // Nothing comes while the memory is taken (the reply would arrive within milliseconds).
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(answered).toBe(false);
      held.release();
      expect((await reply).code).toBe(250);
      await client.close();
    } finally {
      held.release();
      await listener.close();
    }
  });
});
