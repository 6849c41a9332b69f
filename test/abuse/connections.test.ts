/**
 * Connection floods: 2,000 idle connections across IMAP, POP3 and SMTP do not keep a legitimate
 * client from logging in and reading its mail; past the per-address and global limits IMAP refuses
 * politely (BYE [UNAVAILABLE], RFC 3501 §7.1.5) and frees the slot when a session ends.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import type { Socket } from "node:net";
import { eventually } from "../harness/eventually.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";
import { closedWith, extraImap, rawConnect } from "./helpers.ts";

/** Both ends of every connection live in this process: two descriptors each, plus headroom. */
function connectionBudget(wanted: number): number {
  let limit = Number.POSITIVE_INFINITY;
  try {
    limit = Number(execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim());
  } catch {}
  if (!Number.isFinite(limit)) return wanted;
  const fit = Math.floor((limit - 512) / 2);
  if (fit < wanted) console.warn(`ulimit -n is ${limit}: opening ${fit} connections instead of ${wanted}`);
  return Math.min(wanted, fit);
}

/** Opens `count` connections in batches and waits for each one's first bytes (the greeting). */
async function openIdle(port: number, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let start = 0; start < count; start += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, count - start) }, async () => {
        const socket = await rawConnect(port);
        await new Promise<void>((resolve) => socket.once("data", () => resolve()));
        return socket;
      }),
    );
    sockets.push(...batch);
  }
  return sockets;
}

describe("2,000 idle connections", () => {
  let server: TestServer;
  const idle: Socket[] = [];

  beforeAll(async () => {
    server = await startTestServer({ maxConnectionsPerIp: 5000 });
    await createAccounts(server, [{ address: "legit@example.com" }]);
  });

  afterAll(async () => {
    for (const socket of idle) socket.destroy();
    await server.close();
  });

  test("a legitimate client still delivers, logs in and reads its mail within a few seconds", async () => {
    const total = connectionBudget(2000);
    // POP3 and SMTP take at most 1,000 connections each by default; IMAP takes the rest.
    const pop3 = Math.floor(total * 0.35);
    const smtp = Math.floor(total * 0.25);
    const imap = total - pop3 - smtp;
    idle.push(...(await openIdle(server.ports.imap!, imap)));
    idle.push(...(await openIdle(server.ports.pop3!, pop3)));
    idle.push(...(await openIdle(server.ports.smtp!, smtp)));
    expect(idle.filter((s) => !s.destroyed)).toHaveLength(total);

    const started = performance.now();
    const sent = await sendMail(
      server.ports.smtp!,
      "friend@remote.example",
      ["legit@example.com"],
      "Subject: still here\r\n\r\nThe flood did not stop me.\r\n",
    );
    expect(sent.code).toBe(250);

    const client = await ImapClient.login(server.ports.imap!, "legit@example.com");
    expect((await client.command("SELECT INBOX")).untagged).toContain("1 EXISTS");
    const fetched = await client.command("FETCH 1 BODY[TEXT]");
    expect(fetched.untagged.join("\n")).toContain("The flood did not stop me.");
    await client.command("LOGOUT");
    await client.close();

    const pop = await Pop3Client.login(server.ports.pop3!, "legit@example.com");
    expect((await pop.retr(1)).toString()).toContain("The flood did not stop me.");
    await pop.quit();
    expect(performance.now() - started).toBeLessThan(5000);

    // The flood is still there, none of it dropped.
    expect(idle.filter((s) => !s.destroyed)).toHaveLength(total);
  });
});

describe("IMAP connection limits", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.close();
  });

  test("past the per-address limit the greeting is BYE [UNAVAILABLE]; other addresses get in; a slot frees on close", async () => {
    const imap = await extraImap(server, {}, { limits: { perAddress: 2, total: 10 } });
    try {
      const a = await ImapClient.connect(imap.port);
      const b = await ImapClient.connect(imap.port);
      expect(a.greeting).toStartWith("* OK");
      const refused = await rawConnect(imap.port);
      expect(await closedWith(refused)).toBe(
        "* BYE [UNAVAILABLE] Too many connections from your address, try again later\r\n",
      );
      const other = await ImapClient.connect(imap.port, "127.0.0.1", { localAddress: "127.0.0.2" });
      expect(other.greeting).toStartWith("* OK");
      await a.client.close();
      // The server hears of the close a moment after the client.
      const again = await eventually(
        async () => {
          const attempt = await ImapClient.connect(imap.port);
          return !attempt.greeting.startsWith("* BYE") && attempt;
        },
        "a free slot after the close",
        { intervalMs: 10 },
      );
      expect(again.greeting).toStartWith("* OK");
      await Promise.all([b.client.close(), other.client.close(), again.client.close()]);
    } finally {
      await imap.close();
    }
  });

  test("past the global limit the greeting is BYE [UNAVAILABLE] whatever the address", async () => {
    const imap = await extraImap(server, {}, { limits: { perAddress: 10, total: 2 } });
    try {
      const open = [
        await ImapClient.connect(imap.port, "127.0.0.1", { localAddress: "127.0.0.3" }),
        await ImapClient.connect(imap.port, "127.0.0.1", { localAddress: "127.0.0.4" }),
      ];
      const refused = await rawConnect(imap.port, "127.0.0.5");
      expect(await closedWith(refused)).toBe("* BYE [UNAVAILABLE] Too many connections, try again later\r\n");
      await Promise.all(open.map((c) => c.client.close()));
    } finally {
      await imap.close();
    }
  });
});
