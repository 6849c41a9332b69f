/**
 * How long an SMTP client may hold a connection slot (issue 9, finding 4): a session deadline, a
 * minimum data rate in DATA, a junk-command limit, and short timeouts under stress (near the
 * listener's connection cap). Each listener here gets test-sized limits; the tests wait for the
 * server to close the connection, they do not sleep out real timers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Listener } from "../../src/net/listener.ts";
import { SMTP_SESSION_LIMITS, type SmtpSessionLimits } from "../../src/security/limits.ts";
import { createMemoryBudgets } from "../../src/security/memory-budget.ts";
import { SpoolDir } from "../../src/store/mod.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient, type SmtpResponse } from "../harness/smtp-client.ts";
import { extraSmtp, rawConnect } from "./helpers.ts";

let server: TestServer;
let spoolPath: string;
let spool: SpoolDir;

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [{ address: "slot@example.com" }]);
  spoolPath = mkdtempSync(join(tmpdir(), "mailroom-spool-"));
  spool = SpoolDir.open(spoolPath);
});

afterAll(async () => {
  await server.close();
  rmSync(spoolPath, { recursive: true, force: true });
});

async function withListener(
  limits: Partial<SmtpSessionLimits>,
  run: (port: number) => Promise<void>,
): Promise<void> {
  const listener: Listener = await extraSmtp(server, { limits, spool });
  try {
    await run(listener.port);
  } finally {
    await listener.close();
  }
}

/** Resolves when the client's connection is closed by the server. */
function closed(client: SmtpClient): Promise<void> {
  return new Promise((resolve) => {
    if (client.closed) resolve();
    else client.socket.once("close", () => resolve());
  });
}

async function inData(port: number): Promise<SmtpClient> {
  const { client } = await SmtpClient.connect(port);
  await client.command("EHLO slow.test");
  expect((await client.command("MAIL FROM:<sender@remote.example>")).code).toBe(250);
  expect((await client.command("RCPT TO:<slot@example.com>")).code).toBe(250);
  expect((await client.command("DATA")).code).toBe(354);
  return client;
}

describe("session deadline", () => {
  test("a client busy with NOOPs is closed with 421 4.4.2 at the session deadline", async () => {
    await withListener({ sessionDeadlineMs: 800 }, async (port) => {
      const { client } = await SmtpClient.connect(port);
      const started = performance.now();
      const gone = closed(client);
      let last: SmtpResponse | undefined;
      // A NOOP every 100 ms: the idle timer never fires; only the deadline ends this. An unsolicited
      // 421 stays buffered and is read as the reply to the next NOOP.
      for (;;) {
        try {
          last = await client.command("NOOP");
        } catch {
          break;
        }
        if (last.code === 421) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await gone;
      const ms = performance.now() - started;
      expect(last?.code).toBe(421);
      expect(last?.text).toContain("4.4.2");
      expect(ms).toBeGreaterThanOrEqual(700);
      expect(ms).toBeLessThan(3000);
    });
  });

  test("a message still being stored at the deadline gets its 250 before the 421", async () => {
    // The test holds all of the ingest memory, so the finished message waits for it past the deadline.
    const memory = createMemoryBudgets();
    const held = memory.ingest.tryReserve(memory.ingest.limit)!;
    const listener = await extraSmtp(server, { limits: { sessionDeadlineMs: 300 }, spool, memory });
    try {
      const client = await inData(listener.port);
      const gone = closed(client);
      client.write("Subject: just in time\r\n\r\nhello\r\n.\r\n");
      // Let the deadline pass while the message waits (nothing to wait for but time here).
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(client.closed).toBe(false);
      held.release();
      expect((await client.read()).code).toBe(250);
      const last = await client.read();
      expect(last.code).toBe(421);
      expect(last.text).toContain("4.4.2");
      await gone;
    } finally {
      held.release();
      await listener.close();
    }
  });
});

describe("minimum data rate", () => {
  test("DATA trickled a byte at a time is cut off with 421 4.4.2 after the grace period, and its spool file goes", async () => {
    await withListener({ dataGraceMs: 500, minDataRate: 1000 }, async (port) => {
      const client = await inData(port);
      const started = performance.now();
      const gone = closed(client);
      const trickle = setInterval(() => client.write("A"), 100);
      try {
        const reply = await client.read();
        expect(reply.code).toBe(421);
        expect(reply.text).toContain("4.4.2");
        await gone;
      } finally {
        clearInterval(trickle);
      }
      const ms = performance.now() - started;
      expect(ms).toBeGreaterThanOrEqual(450);
      expect(ms).toBeLessThan(3000);
      // The transfer's spool file is removed with the connection.
      for (let i = 0; i < 100 && spool.count() > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(spool.count()).toBe(0);
    });
  });

  test("DATA at a steady rate above the minimum goes on past the grace period and is delivered", async () => {
    await withListener({ dataGraceMs: 300, minDataRate: 1000 }, async (port) => {
      const client = await inData(port);
      const line = `${"x".repeat(198)}\r\n`;
      client.write("Subject: steady\r\n\r\n");
      // 200 bytes every 50 ms (4,000 bytes/s) for a second: three times the grace period.
      for (let i = 0; i < 20; i++) {
        client.write(line);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      client.write(".\r\n");
      expect((await client.read()).code).toBe(250);
      await client.close();
    });
  });
});

describe("junk commands", () => {
  test("100 NOOP, RSET, VRFY and HELP commands are answered; the 101st is 421 4.7.0 and the connection closes", async () => {
    await withListener({}, async (port) => {
      const { client } = await SmtpClient.connect(port);
      await client.command("EHLO junk.test");
      const junk = ["NOOP", "RSET", "VRFY someone@example.com", "HELP"];
      for (let i = 0; i < SMTP_SESSION_LIMITS.junkCommandLimit; i++) {
        const r = await client.command(junk[i % junk.length]!);
        expect(r.code).toBeLessThan(400);
      }
      const gone = closed(client);
      const last = await client.command("RSET");
      expect(last.code).toBe(421);
      expect(last.text).toContain("4.7.0");
      await gone;
    });
  });

  test("the junk count starts again after each message", async () => {
    await withListener({ junkCommandLimit: 3 }, async (port) => {
      const { client } = await SmtpClient.connect(port);
      await client.command("EHLO junk.test");
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 3; i++) expect((await client.command("NOOP")).code).toBe(250);
        expect((await client.command("MAIL FROM:<sender@remote.example>")).code).toBe(250);
        expect((await client.command("RCPT TO:<slot@example.com>")).code).toBe(250);
        expect((await client.data(`Subject: round ${round}\r\n\r\nhi\r\n`)).code).toBe(250);
      }
      for (let i = 0; i < 3; i++) expect((await client.command("RSET")).code).toBe(250);
      expect((await client.command("NOOP")).code).toBe(421);
    });
  });
});

describe("stress mode", () => {
  test("above 80% of the slots, idle clients get the short timeout, those connected before too", async () => {
    const limits = { maxClients: 10, stressThreshold: 0.8, idleTimeoutMs: 60_000, stressIdleTimeoutMs: 300 };
    await withListener(limits, async (port) => {
      const early = await Promise.all([1, 2, 3, 4, 5].map(() => SmtpClient.connect(port)));
      // The control: below the threshold the 60 s timeout applies, so these are still here after
      // longer than the stress timeout. (Checking that nothing happens needs the time to pass.)
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const { client } of early) expect((await client.command("NOOP")).code).toBe(250);
      const late = await Promise.all([1, 2, 3].map(() => SmtpClient.connect(port)));
      const all = [...early, ...late].map(({ client }) => client);
      const started = performance.now();
      const replies = await Promise.all(all.map((client) => client.read().catch(() => undefined)));
      await Promise.all(all.map(closed));
      const ms = performance.now() - started;
      expect(ms).toBeLessThan(3000);
      for (const r of replies) if (r) expect(r.code).toBe(421);
      // Below the threshold again: a new client gets the normal timeout back.
      const { client } = await SmtpClient.connect(port);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await client.command("NOOP")).code).toBe(250);
      await client.close();
    });
  });

  test("under stress the junk-command limit is one", async () => {
    const limits = { maxClients: 5, stressThreshold: 0.8, stressIdleTimeoutMs: 5000 };
    await withListener(limits, async (port) => {
      const idle = await Promise.all([1, 2, 3].map(() => rawConnect(port)));
      const { client } = await SmtpClient.connect(port);
      expect((await client.command("NOOP")).code).toBe(250);
      const r = await client.command("NOOP");
      expect(r.code).toBe(421);
      expect(r.text).toContain("4.7.0");
      for (const socket of idle) socket.destroy();
    });
  });
});
