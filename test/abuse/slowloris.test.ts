/**
 * Slow clients: silent ones are logged out by the pre-auth inactivity timeout (shorter than the idle
 * timeout of a logged-in session), clients that trickle bytes to keep that timer alive are cut off by
 * the login deadline, and a TLS handshake that never completes is dropped, its slot freed. IMAP and
 * POP3 run here as extra listeners with test-sized timeouts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket } from "node:net";
import { eventually } from "../harness/eventually.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { closedWith, extraImap, extraPop3, rawConnect } from "./helpers.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [{ address: "slow@example.com" }]);
});

afterAll(async () => {
  await server.close();
});

/** Writes one byte every `everyMs` (never a whole line) until the socket closes. */
function trickle(socket: Socket, everyMs: number): void {
  const timer = setInterval(() => {
    if (socket.destroyed) clearInterval(timer);
    else socket.write("A");
  }, everyMs);
  socket.once("close", () => clearInterval(timer));
}

const trustedTls = () => ({ ca: [server.tls.credentials().cert], servername: "mx.test.example" });

describe("IMAP", () => {
  test("a silent client is logged out after the pre-auth timeout", async () => {
    const imap = await extraImap(server, { timeouts: { preAuthMs: 300, idleMs: 60_000 } });
    try {
      const socket = await rawConnect(imap.port);
      const started = performance.now();
      const received = await closedWith(socket);
      expect(received).toContain("* BYE Autologout; idle for too long");
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await imap.close();
    }
  });

  test("a client trickling a byte at a time is cut off at the login deadline", async () => {
    const imap = await extraImap(server, { timeouts: { preAuthMs: 300, loginDeadlineMs: 800 } });
    try {
      const socket = await rawConnect(imap.port);
      const started = performance.now();
      const closed = closedWith(socket);
      // Every 100 ms: the inactivity timer (300 ms) never fires.
      trickle(socket, 100);
      const received = await closed;
      const ms = performance.now() - started;
      expect(received).toContain("* BYE Autologout; no login in time");
      expect(ms).toBeGreaterThanOrEqual(700);
      expect(ms).toBeLessThan(3000);
    } finally {
      await imap.close();
    }
  });

  test("a logged-in client outlives the login deadline and the pre-auth timeout, not the idle timeout", async () => {
    const imap = await extraImap(server, { timeouts: { preAuthMs: 200, loginDeadlineMs: 200, idleMs: 900 } });
    try {
      const client = await ImapClient.login(imap.port, "slow@example.com");
      // A witness that never logs in, connected after the login: once it has been cut off, the
      // pre-auth timeout and the login deadline have run out for the logged-in client too.
      expect(await closedWith(await rawConnect(imap.port))).toContain("* BYE Autologout");
      expect((await client.command("NOOP")).status).toBe("OK");
      const started = performance.now();
      expect(await client.readResponseLine()).toBe("* BYE Autologout; idle for too long");
      expect(performance.now() - started).toBeGreaterThanOrEqual(700);
      await client.close();
    } finally {
      await imap.close();
    }
  });

  test("a TLS handshake that never starts is dropped after the handshake timeout and frees its slot", async () => {
    const imaps = await extraImap(
      server,
      { tls: server.tls, timeouts: { tlsHandshakeMs: 800 } },
      { implicitTls: true, limits: { perAddress: 2, total: 100 } },
    );
    try {
      const started = performance.now();
      const silent = await Promise.all([rawConnect(imaps.port), rawConnect(imaps.port)]);
      const closed = silent.map(closedWith);
      // Both slots are held during the handshake: a third connection from the address is dropped at
      // once (long before the handshake timeout), without a word: nothing can be said before TLS.
      const third = await rawConnect(imaps.port);
      expect(await closedWith(third)).toBe("");
      expect(performance.now() - started).toBeLessThan(500);
      await Promise.all(closed);
      expect(performance.now() - started).toBeGreaterThanOrEqual(700);
      expect(performance.now() - started).toBeLessThan(3000);
      // The slots are free again (the server hears of the closes a moment later): a real client
      // completes its handshake and logs in.
      const { client, greeting } = await eventually(
        () => ImapClient.connect(imaps.port, "127.0.0.1", { tls: trustedTls() }).catch(() => undefined),
        "a TLS session in a freed slot",
      );
      expect(greeting).toStartWith("* OK");
      await client.close();
    } finally {
      await imaps.close();
    }
  });
});

describe("POP3", () => {
  test("before login the inactivity timeout is the short pre-auth one, after login the idle one", async () => {
    const pop3 = await extraPop3(server, { limits: { preAuthTimeoutMs: 300, idleTimeoutMs: 60_000 } });
    try {
      const { client } = await Pop3Client.connect(pop3.port);
      const started = performance.now();
      const bye = await client.read();
      expect(bye.line).toBe("-ERR autologout: idle for too long");
      expect(performance.now() - started).toBeLessThan(3000);
      await client.closed;

      const loggedIn = await Pop3Client.login(pop3.port, "slow@example.com");
      // A witness that never logs in, connected after the login: once it has been cut off, the
      // pre-auth timeout has run out for the logged-in client too.
      expect(await closedWith(await rawConnect(pop3.port))).toContain("-ERR autologout: idle for too long");
      expect((await loggedIn.command("NOOP")).ok).toBe(true);
      await loggedIn.quit();
    } finally {
      await pop3.close();
    }
  });

  test("a client trickling a byte at a time is cut off at the login deadline", async () => {
    const pop3 = await extraPop3(server, { limits: { preAuthTimeoutMs: 300, loginDeadlineMs: 800 } });
    try {
      const socket = await rawConnect(pop3.port);
      const started = performance.now();
      const closed = closedWith(socket);
      trickle(socket, 100);
      const received = await closed;
      const ms = performance.now() - started;
      expect(received).toContain("-ERR autologout: no login in time");
      expect(ms).toBeGreaterThanOrEqual(700);
      expect(ms).toBeLessThan(3000);
    } finally {
      await pop3.close();
    }
  });

  test("a POP3S handshake that never starts is dropped and its slot held until then", async () => {
    const pop3s = await extraPop3(
      server,
      { tls: server.tls, limits: { tlsHandshakeTimeoutMs: 800, maxConnectionsPerAddress: 1 } },
      { implicitTls: true },
    );
    try {
      const started = performance.now();
      const silent = await rawConnect(pop3s.port);
      const closed = closedWith(silent);
      const second = await rawConnect(pop3s.port);
      expect(await closedWith(second)).toBe("");
      expect(performance.now() - started).toBeLessThan(500);
      await closed;
      expect(performance.now() - started).toBeGreaterThanOrEqual(700);
      expect(pop3s.stats().connections).toBe(0);
      const { client, greeting } = await Pop3Client.connect(pop3s.port, "127.0.0.1", { tls: trustedTls() });
      expect(greeting.ok).toBe(true);
      await client.quit();
    } finally {
      await pop3s.close();
    }
  });
});
