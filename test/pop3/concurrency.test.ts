/**
 * Sessions side by side: one deletes what the other still lists (neither breaks), pipelined commands
 * are answered in order, and many clients retrieving big messages at once get every byte while the
 * server's output queue stays bounded by backpressure.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Pop3Listener } from "../../src/pop3/server.ts";
import { freshAccount } from "../harness/accounts.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { deliver, extraPop3, ingestRaw, simpleMessage, storedMessages } from "./fixtures.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.pop3!;
});

afterAll(async () => {
  await server.close();
});

async function withMessages(...subjects: string[]): Promise<string> {
  const address = await freshAccount(server);
  for (const s of subjects) await deliver(server, address, simpleMessage(s));
  return address;
}

function bigMessage(n: number, size: number): Buffer {
  const head = `From: a@remote.example\r\nSubject: big ${n}\r\n\r\n`;
  const line = `${String(n).padStart(6, "0")} The quick brown fox jumps over the lazy dog.\r\n`;
  return Buffer.from(head + line.repeat(Math.ceil((size - head.length) / line.length)));
}

describe("two sessions on one maildrop", () => {
  test("a message deleted by one session gets -ERR in the other, whose QUIT still succeeds", async () => {
    const address = await withMessages("a", "b", "c");
    const first = await Pop3Client.login(port, address);
    const second = await Pop3Client.login(port, address);
    expect((await second.command("STAT")).text).toMatch(/^3 /);

    await first.command("DELE 1");
    expect((await first.quit()).ok).toBe(true);

    const gone = await second.command("RETR 1");
    expect(gone.ok).toBe(false);
    expect(gone.text).toContain("deleted by another session");
    expect((await second.command("TOP 1 0")).ok).toBe(false);
    // The rest works, with unchanged message numbers.
    expect((await second.retr(2)).toString()).toContain("Subject: b");
    expect((await second.multi("LIST")).lines.map((l) => l.split(" ")[0])).toEqual(["2", "3"]);
    await second.command("DELE 3");
    expect((await second.quit()).ok).toBe(true);
    expect((await mailboxContents(server, address)).length).toBe(1);
  });

  test("two sessions deleting the same message both QUIT with +OK", async () => {
    const address = await withMessages("a", "b");
    const first = await Pop3Client.login(port, address);
    const second = await Pop3Client.login(port, address);
    await first.command("DELE 2");
    await second.command("DELE 2");
    const [q1, q2] = await Promise.all([first.quit(), second.quit()]);
    expect(q1.ok && q2.ok).toBe(true);
    expect((await mailboxContents(server, address)).length).toBe(1);
  });
});

describe("pipelining", () => {
  test("pipelined commands are answered in order", async () => {
    const address = await withMessages("a", "b");
    const stored = await storedMessages(server, address);
    const { client } = await Pop3Client.connect(port);
    client.write(
      `USER ${address}\r\nPASS secret\r\nSTAT\r\nLIST\r\nRETR 2\r\nNOOP\r\nBOGUS\r\nUIDL 1\r\nRETR 1\r\nQUIT\r\n`,
    );
    expect((await client.read()).ok).toBe(true);
    expect((await client.read()).ok).toBe(true);
    expect((await client.read()).line).toBe(`+OK 2 ${stored[0]!.length + stored[1]!.length}`);
    expect((await client.readMulti()).lines.length).toBe(2);
    expect((await client.readMulti()).body.equals(stored[1]!)).toBe(true);
    expect((await client.read()).line).toBe("+OK");
    expect((await client.read()).ok).toBe(false);
    expect((await client.read()).line).toStartWith("+OK 1 ");
    expect((await client.readMulti()).body.equals(stored[0]!)).toBe(true);
    expect((await client.read()).ok).toBe(true);
    await client.closed;
  });

  test("a thousand pipelined NOOPs get a thousand +OKs", async () => {
    const address = await withMessages();
    const client = await Pop3Client.login(port, address);
    client.write("NOOP\r\n".repeat(1000));
    for (let i = 0; i < 1000; i++) expect((await client.read()).line).toBe("+OK");
    await client.quit();
  });
});

describe("many clients and big messages", () => {
  test("10 clients retrieving 100 KB messages at once each get the exact bytes", async () => {
    const address = await freshAccount(server);
    const messages = Array.from({ length: 10 }, (_, i) => bigMessage(i, 100 * 1024));
    for (const m of messages) await ingestRaw(server, address, m);
    await Promise.all(
      Array.from({ length: 10 }, async (_, c) => {
        const client = await Pop3Client.login(port, address);
        for (let i = 0; i < messages.length; i++) {
          const n = ((i + c) % messages.length) + 1;
          expect((await client.retr(n)).equals(messages[n - 1]!)).toBe(true);
        }
        await client.quit();
      }),
    );
  });

  test("a client pipelining 20 RETRs of a 1 MB message never has more than about one queued", async () => {
    const listener: Pop3Listener = await extraPop3(server, {});
    try {
      const address = await freshAccount(server);
      const big = bigMessage(1, 1024 * 1024);
      await ingestRaw(server, address, big);
      const client = await Pop3Client.login(listener.port, address);
      let maxQueued = 0;
      client.socket.on("data", () => {
        maxQueued = Math.max(maxQueued, listener.stats().queuedBytes);
      });
      client.write("RETR 1\r\n".repeat(20));
      for (let i = 0; i < 20; i++) expect((await client.readMulti()).body.equals(big)).toBe(true);
      await client.quit();
      // Without backpressure all 20 MB would sit in the socket's queue at once.
      expect(maxQueued).toBeGreaterThan(0);
      expect(maxQueued).toBeLessThan(2.5 * 1024 * 1024);
    } finally {
      await listener.close();
    }
  });
});
