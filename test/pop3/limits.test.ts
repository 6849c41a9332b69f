/**
 * The POP3 limits (src/pop3/limits.ts) under attack-shaped input: long lines, too many connections,
 * password guessing, idle sessions, too many sessions per account, and a disabled account. Each test
 * runs its own listener on the test server's store with test-sized limits.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Pop3Limits } from "../../src/pop3/limits.ts";
import type { Pop3Listener } from "../../src/pop3/server.ts";
import { accountUpdate } from "../../src/store/mod.ts";
import { freshAccount } from "../harness/accounts.ts";
import { eventually } from "../harness/eventually.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { deliver, extraPop3, simpleMessage } from "./fixtures.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

async function withListener(limits: Partial<Pop3Limits>, fn: (port: number) => Promise<void>): Promise<void> {
  const listener: Pop3Listener = await extraPop3(server, limits);
  try {
    await fn(listener.port);
  } finally {
    await listener.close();
  }
}

/** Connects until the server has released a slot (it learns of a close a moment after the client). */
async function connectWhenFree(port: number): Promise<Awaited<ReturnType<typeof Pop3Client.connect>>> {
  for (let attempt = 0; ; attempt++) {
    const c = await Pop3Client.connect(port);
    if (c.greeting.ok || attempt > 200) return c;
    await c.client.closed;
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

describe("line length", () => {
  test("a 300-octet command line (over RFC 2449's 255) is tolerated", async () => {
    await withListener({}, async (port) => {
      const { client } = await Pop3Client.connect(port);
      const r = await client.command(`USER ${"x".repeat(295)}`);
      expect(r.ok).toBe(true);
      await client.quit();
    });
  });

  test("a command line longer than 4 KB gets -ERR and the connection is closed", async () => {
    await withListener({}, async (port) => {
      const { client } = await Pop3Client.connect(port);
      const r = await client.command(`USER ${"x".repeat(5000)}`);
      expect(r.ok).toBe(false);
      expect(r.text).toContain("too long");
      await client.closed;
    });
  });

  test("4 KB without a line end gets -ERR and the connection is closed", async () => {
    await withListener({}, async (port) => {
      const { client } = await Pop3Client.connect(port);
      client.write("X".repeat(8192));
      expect((await client.read()).ok).toBe(false);
      await client.closed;
    });
  });
});

describe("connection limits", () => {
  test("past the per-address limit the greeting is -ERR [SYS/TEMP] and the connection closes", async () => {
    await withListener({ maxConnectionsPerAddress: 2 }, async (port) => {
      const a = await Pop3Client.connect(port);
      const b = await Pop3Client.connect(port);
      expect(a.greeting.ok && b.greeting.ok).toBe(true);
      const refused = await Pop3Client.connect(port);
      expect(refused.greeting.line).toStartWith("-ERR [SYS/TEMP] ");
      await refused.client.closed;
      // A slot frees when a session ends.
      await a.client.quit();
      const again = await connectWhenFree(port);
      expect(again.greeting.ok).toBe(true);
      await Promise.all([b.client.quit(), again.client.quit()]);
    });
  });

  test("past the global limit the greeting is -ERR [SYS/TEMP]", async () => {
    await withListener({ maxConnections: 3, maxConnectionsPerAddress: 100 }, async (port) => {
      const open = await Promise.all([1, 2, 3].map(() => Pop3Client.connect(port)));
      const refused = await Pop3Client.connect(port);
      expect(refused.greeting.code).toBe("SYS/TEMP");
      await refused.client.closed;
      await Promise.all(open.map((c) => c.client.quit()));
    });
  });
});

describe("failed logins", () => {
  test("failed logins are answered -ERR [AUTH] after a delay that grows with each failure from the address", async () => {
    await withListener(
      { authFailureBaseDelayMs: 150, authFailureMaxDelayMs: 10_000, maxAuthFailuresPerConnection: 10 },
      async (port) => {
        const address = await freshAccount(server);
        const { client } = await Pop3Client.connect(port);
        const attempt = () =>
          timed(async () => {
            await client.command(`USER ${address}`);
            return client.command("PASS wrong");
          });
        const times: number[] = [];
        for (let i = 0; i < 4; i++) {
          const { value, ms } = await attempt();
          expect(value.line).toBe("-ERR [AUTH] invalid login or password");
          times.push(ms);
        }
        // 0, then base, 2 x base, 4 x base (plus the password check itself).
        expect(times[1]!).toBeGreaterThanOrEqual(150);
        expect(times[2]!).toBeGreaterThanOrEqual(300);
        expect(times[3]!).toBeGreaterThanOrEqual(600);
        expect(times[0]!).toBeLessThan(times[3]! - 400);
        // Another connection from the same address pays the same price.
        const other = await Pop3Client.connect(port);
        await other.client.command(`USER ${address}`);
        const { ms } = await timed(() => other.client.command("PASS wrong"));
        expect(ms).toBeGreaterThanOrEqual(1200);
        // The right password is not delayed, and it resets the count.
        await client.command(`USER ${address}`);
        const ok = await timed(() => client.command("PASS secret"));
        expect(ok.value.ok).toBe(true);
        expect(ok.ms).toBeLessThan(1200);
        // The address's count is forgotten; the account's is not (a guesser elsewhere is not reset by
        // the owner's login), so a typo against another account is answered at once.
        await other.client.command(`USER ${await freshAccount(server)}`);
        const fresh = await timed(() => other.client.command("PASS wrong"));
        expect(fresh.ms).toBeLessThan(150);
        await Promise.all([client.quit(), other.client.quit()]);
      },
    );
  });

  test("the failure delay is capped", async () => {
    await withListener({ authFailureBaseDelayMs: 100, authFailureMaxDelayMs: 150 }, async (port) => {
      const { client } = await Pop3Client.connect(port);
      for (let i = 0; i < 3; i++) {
        await client.command("USER nobody");
        await client.command("PASS wrong");
      }
      await client.command("USER nobody");
      const { ms } = await timed(() => client.command("PASS wrong"));
      expect(ms).toBeGreaterThanOrEqual(150);
      expect(ms).toBeLessThan(400);
      await client.quit();
    });
  });

  test("after too many failed logins on one connection the server closes it", async () => {
    await withListener(
      { authFailureBaseDelayMs: 1, authFailureMaxDelayMs: 2, maxAuthFailuresPerConnection: 3 },
      async (port) => {
        const { client } = await Pop3Client.connect(port);
        for (let i = 0; i < 3; i++) {
          await client.command("USER nobody");
          expect((await client.command("PASS wrong")).code).toBe("AUTH");
        }
        await client.closed;
      },
    );
  });

  test("a disabled account cannot log in, and the reply is the same as for a wrong password", async () => {
    await withListener({ authFailureBaseDelayMs: 1, authFailureMaxDelayMs: 2 }, async (port) => {
      const address = await freshAccount(server);
      await server.store.write((w) => accountUpdate(w, address, { disabled: true }));
      const { client } = await Pop3Client.connect(port);
      await client.command(`USER ${address}`);
      expect((await client.command("PASS secret")).line).toBe("-ERR [AUTH] invalid login or password");
      const plain = Buffer.from(`\0${address}\0secret`).toString("base64");
      expect((await client.command(`AUTH PLAIN ${plain}`)).code).toBe("AUTH");
      await client.quit();
    });
  });
});

describe("sessions", () => {
  test("an idle session is closed without UPDATE: DELE is not carried out", async () => {
    await withListener({ idleTimeoutMs: 300 }, async (port) => {
      const address = await freshAccount(server);
      await deliver(server, address, simpleMessage("keep me"));
      const client = await Pop3Client.login(port, address);
      await client.command("DELE 1");
      const bye = await client.read();
      expect(bye.ok).toBe(false);
      expect(bye.text).toContain("autologout");
      await client.closed;
      expect((await mailboxContents(server, address)).length).toBe(1);
    });
  });

  test("past the sessions-per-account limit login gets -ERR [IN-USE]", async () => {
    await withListener({ maxSessionsPerAccount: 1 }, async (port) => {
      const address = await freshAccount(server);
      const first = await Pop3Client.login(port, address);
      const { client } = await Pop3Client.connect(port);
      await client.command(`USER ${address}`);
      const busy = await client.command("PASS secret");
      expect(busy.line).toStartWith("-ERR [IN-USE] ");
      await first.quit();
      // Retry until the server has seen the first session end.
      const r = await eventually(
        async () => {
          await client.command(`USER ${address}`);
          const attempt = await client.command("PASS secret");
          return attempt.ok && attempt;
        },
        "the login once the first session ended",
        { intervalMs: 0 },
      );
      expect(r.ok).toBe(true);
      await client.quit();
    });
  });

  test("closing the listener says goodbye to idle sessions with -ERR [SYS/TEMP]", async () => {
    const listener = await extraPop3(server, {});
    const address = await freshAccount(server);
    const client = await Pop3Client.login(listener.port, address);
    await listener.close();
    expect((await client.read()).code).toBe("SYS/TEMP");
    await client.closed;
  });
});
