/**
 * What the server does with a literal before reading it (issue 9, finding 2; RFC 3501 §4.3,
 * RFC 7888): the command and the state are checked before the "+" continuation, before login only a
 * few KB are taken at all, a LITERAL+ too large to skip before login ends the connection, and after
 * login an APPEND's message streams to a spool file instead of memory. With no room in the shared
 * buffer budget a literal is refused NO [LIMIT], again without a continuation.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IMAP_LIMITS } from "../../src/imap/protocol/limits.ts";
import { MEMORY_LIMITS } from "../../src/security/limits.ts";
import { createMemoryBudgets } from "../../src/security/memory-budget.ts";
import { SpoolDir } from "../../src/store/mod.ts";
import { extraImap } from "../abuse/helpers.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let dir: string;
const ADDRESS = "literal@example.com";

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [{ address: ADDRESS }]);
  dir = mkdtempSync(join(tmpdir(), "mailroom-literals-"));
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(port = server.ports.imap!): Promise<ImapClient> {
  return (await ImapClient.connect(port)).client;
}

/** Resolves once `condition()` holds (checked every 10 ms); rejects after 5 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > 500) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Reads lines until the server closes the connection. */
async function linesUntilClosed(client: ImapClient): Promise<string[]> {
  const lines: string[] = [];
  try {
    for (;;) lines.push(await client.readResponseLine());
  } catch {
    return lines;
  }
}

describe("before login", () => {
  test("APPEND with a synchronizing literal is BAD at once, with no continuation, and the session goes on", async () => {
    const client = await connect();
    client.write("a APPEND INBOX {26000000}\r\n");
    expect(await client.readResponseLine()).toBe(
      "a BAD APPEND is not allowed in the not-authenticated state",
    );
    expect((await client.command("NOOP")).status).toBe("OK");
    await client.close();
  });

  test("an unknown command with a literal is BAD with no continuation", async () => {
    const client = await connect();
    client.write("a XYZZY {100}\r\n");
    expect(await client.readResponseLine()).toStartWith('a BAD Unknown command "XYZZY"');
    expect((await client.command("NOOP")).status).toBe("OK");
    await client.close();
  });

  test("LOGIN with small literals gets its continuations and logs in", async () => {
    const client = await connect();
    client.write(`a LOGIN {${ADDRESS.length}}\r\n`);
    expect(await client.readResponseLine()).toStartWith("+ ");
    client.write(`${ADDRESS} {6}\r\n`);
    expect(await client.readResponseLine()).toStartWith("+ ");
    client.write("secret\r\n");
    expect((await client.readUntilTagged("a")).status).toBe("OK");
    await client.close();
  });

  test("LOGIN with a literal over the pre-login limit is BAD [TOOBIG] with no continuation", async () => {
    const client = await connect();
    client.write(`a LOGIN {${IMAP_LIMITS.preAuthCommandBytes + 1}}\r\n`);
    expect(await client.readResponseLine()).toStartWith("a BAD [TOOBIG]");
    expect((await client.command("NOOP")).status).toBe("OK");
    await client.close();
  });

  test("a small LITERAL+ for a command not allowed yet is skipped and answered BAD; the session goes on", async () => {
    const client = await connect();
    client.write("a APPEND INBOX {7+}\r\nSubject\r\n");
    expect(await client.readResponseLine()).toBe(
      "a BAD APPEND is not allowed in the not-authenticated state",
    );
    expect((await client.command("NOOP")).status).toBe("OK");
    await client.close();
  });

  test("a LITERAL+ too large to skip is answered BAD, then BYE, and the connection closes", async () => {
    const client = await connect();
    client.write("a APPEND INBOX {26000000+}\r\n");
    client.write(Buffer.alloc(64 * 1024, 0x61));
    const lines = await linesUntilClosed(client);
    expect(lines[0]).toBe("a BAD APPEND is not allowed in the not-authenticated state");
    expect(lines[1]).toStartWith("* BYE [TOOBIG]");
    expect(client.closed).toBe(true);
  });
});

describe("after login", () => {
  test("APPEND's message streams to a spool file while it arrives; it is stored exactly and the file goes", async () => {
    const spool = SpoolDir.open(join(dir, "append"));
    const imap = await extraImap(server, { spool });
    try {
      const client = await ImapClient.login(imap.port, ADDRESS);
      const message = Buffer.from(`Subject: spooled\r\n\r\n${"line of text\r\n".repeat(20_000)}`);
      client.write(`a APPEND INBOX {${message.length}}\r\n`);
      expect(await client.readResponseLine()).toStartWith("+ ");
      client.write(message.subarray(0, 100_000));
      await until(() => {
        const files = readdirSync(spool.path);
        return files.length === 1 && statSync(join(spool.path, files[0]!)).size > 0;
      }, "the spool file");
      client.write(Buffer.concat([message.subarray(100_000), Buffer.from("\r\n")]));
      const done = await client.readUntilTagged("a");
      expect(done.status).toBe("OK");
      await until(() => spool.count() === 0, "the spool file to go");
      const stored = await mailboxContents(server, ADDRESS);
      expect(stored.at(-1)!.raw.equals(message)).toBe(true);
      await client.close();
    } finally {
      await imap.close();
    }
  });

  test("a client that disconnects mid-APPEND leaves no spool file behind", async () => {
    const spool = SpoolDir.open(join(dir, "cut"));
    const imap = await extraImap(server, { spool });
    try {
      const client = await ImapClient.login(imap.port, ADDRESS);
      client.write("a APPEND INBOX {500000+}\r\n");
      client.write(Buffer.alloc(200_000, 0x61));
      await until(() => spool.count() === 1, "the spool file");
      client.socket.destroy();
      await until(() => spool.count() === 0, "the spool file to go");
    } finally {
      await imap.close();
    }
  });

  test("with no room in the buffer budget a literal is NO [LIMIT] with no continuation, and fits again once memory frees", async () => {
    // Room for one spooled APPEND (its share, MEMORY_LIMITS.transferBytes), of which the test takes a byte.
    const memory = createMemoryBudgets({ bufferBytes: MEMORY_LIMITS.transferBytes });
    const imap = await extraImap(server, { memory, spool: SpoolDir.open(join(dir, "busy")) });
    try {
      const client = await ImapClient.login(imap.port, ADDRESS);
      const byte = memory.buffers.tryReserve(1)!;
      const big = await client.append("INBOX", Buffer.alloc(100_000, 0x61));
      expect(big.status).toBe("NO");
      expect(big.text).toContain("[LIMIT]");
      // A small literal is read into memory, and there is room for that.
      expect((await client.append("INBOX", "Subject: small\r\n\r\nhi\r\n")).status).toBe("OK");
      const rest = memory.buffers.tryReserve(MEMORY_LIMITS.transferBytes - 1)!;
      const small = await client.append("INBOX", "Subject: small\r\n\r\nhi\r\n");
      expect(small.status).toBe("NO");
      expect(small.text).toContain("[LIMIT]");
      byte.release();
      rest.release();
      expect((await client.append("INBOX", Buffer.alloc(100_000, 0x61))).status).toBe("OK");
      expect(memory.buffers.used).toBe(0);
      await client.close();
    } finally {
      await imap.close();
    }
  });
});
