/**
 * Password guessing against the one limiter SMTP AUTH, POP3 and IMAP share: a guesser is slowed, then
 * locked out (even with the right password, with the same reply), the lockout is logged once, and
 * other clients and accounts go on logging in. IMAP and POP3 run here as extra listeners with a
 * test-sized limiter; the last test uses the full server's own limiter across SMTP and IMAP.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AuthFailures } from "../../src/security/auth-failures.ts";
import { ImapClient, quote } from "../harness/imap-client.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";
import { captureLog, extraImap, extraPop3, timed } from "./helpers.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [
    { address: "alice@example.com", password: "right" },
    { address: "bob@example.com", password: "right" },
    { address: "carol@example.com", password: "right" },
    { address: "dave@example.com", password: "right" },
    { address: "erin@example.com", password: "right" },
  ]);
});

afterAll(async () => {
  await server.close();
});

async function imapLogin(port: number, user: string, password: string, localAddress?: string) {
  const { client } = await ImapClient.connect(port, "127.0.0.1", { localAddress });
  try {
    return await timed(() => client.command(`LOGIN ${quote(user)} ${quote(password)}`));
  } finally {
    await client.close();
  }
}

async function pop3Login(port: number, user: string, password: string, localAddress?: string) {
  const { client } = await Pop3Client.connect(port, "127.0.0.1", { localAddress });
  try {
    await client.command(`USER ${user}`);
    return await timed(() => client.command(`PASS ${password}`));
  } finally {
    await client.drop();
  }
}

describe("one address guessing", () => {
  test("IMAP guesses from one address are slowed, then locked out even with the right password, on POP3 too", async () => {
    const { log, events } = captureLog();
    // The lockout runs on a clock the test moves, so its end is not waited out in real time.
    let clock = Date.now();
    const authFailures = new AuthFailures({
      baseDelayMs: 50,
      maxDelayMs: 200,
      lockoutAfter: 5,
      accountLockoutAfter: 100,
      lockoutMs: 1500,
      log,
      now: () => clock,
    });
    const imap = await extraImap(server, { authFailures });
    const pop3 = await extraPop3(server, { authFailures, limits: { maxAuthFailuresPerConnection: 100 } });
    try {
      const guesser = "127.0.0.3";
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const { value, ms } = await imapLogin(imap.port, "alice@example.com", `guess${i}`, guesser);
        expect(`${value.status} ${value.text}`).toBe("NO [AUTHENTICATIONFAILED] Invalid credentials");
        times.push(ms);
      }
      // 0, then 50, 100, 200, 200 (capped), plus the password check.
      expect(times[1]!).toBeGreaterThanOrEqual(50);
      expect(times[2]!).toBeGreaterThanOrEqual(100);
      expect(times[3]!).toBeGreaterThanOrEqual(200);
      expect(times[0]!).toBeLessThan(times[3]!);
      expect(events("auth.locked_out")).toEqual([
        expect.objectContaining({ key: guesser, kind: "address", failures: 5, login: "alice@example.com" }),
      ]);

      // Locked out: the right password gets the same answer, after the same delay, on both protocols.
      const locked = await imapLogin(imap.port, "alice@example.com", "right", guesser);
      expect(`${locked.value.status} ${locked.value.text}`).toBe(
        "NO [AUTHENTICATIONFAILED] Invalid credentials",
      );
      expect(locked.ms).toBeGreaterThanOrEqual(200);
      const lockedPop = await pop3Login(pop3.port, "bob@example.com", "right", guesser);
      expect(lockedPop.value.line).toBe("-ERR [AUTH] invalid login or password");
      expect(lockedPop.ms).toBeGreaterThanOrEqual(200);
      // Logged once per lockout, however many attempts follow.
      expect(events("auth.locked_out")).toHaveLength(1);

      // Everybody else logs in, alice included, at once.
      const elsewhere = await imapLogin(imap.port, "alice@example.com", "right", "127.0.0.4");
      expect(elsewhere.value.status).toBe("OK");
      expect(elsewhere.ms).toBeLessThan(200);
      expect((await pop3Login(pop3.port, "bob@example.com", "right", "127.0.0.4")).value.ok).toBe(true);

      // The lockout ends on its own; then the right password works from the guesser's address too.
      clock += 1600;
      expect((await imapLogin(imap.port, "alice@example.com", "right", guesser)).value.status).toBe("OK");
    } finally {
      await Promise.all([imap.close(), pop3.close()]);
    }
  });

  test("POP3 guesses count towards the same lockout as IMAP ones", async () => {
    const { log, events } = captureLog();
    const authFailures = new AuthFailures({ baseDelayMs: 1, maxDelayMs: 5, lockoutAfter: 4, log });
    const imap = await extraImap(server, { authFailures });
    const pop3 = await extraPop3(server, { authFailures, limits: { maxAuthFailuresPerConnection: 100 } });
    try {
      const guesser = "127.0.0.5";
      for (let i = 0; i < 2; i++) await pop3Login(pop3.port, "carol@example.com", "nope", guesser);
      for (let i = 0; i < 2; i++) await imapLogin(imap.port, "carol@example.com", "nope", guesser);
      expect(events("auth.locked_out")).toHaveLength(1);
      expect((await pop3Login(pop3.port, "carol@example.com", "right", guesser)).value.ok).toBe(false);
      expect((await imapLogin(imap.port, "carol@example.com", "right", guesser)).value.status).toBe("NO");
    } finally {
      await Promise.all([imap.close(), pop3.close()]);
    }
  });
});

describe("many addresses guessing one account", () => {
  test("failures against one account from many addresses lock the account, not the addresses", async () => {
    const { log, events } = captureLog();
    const authFailures = new AuthFailures({
      baseDelayMs: 20,
      maxDelayMs: 100,
      lockoutAfter: 100,
      accountLockoutAfter: 4,
      lockoutMs: 60_000,
      log,
    });
    const imap = await extraImap(server, { authFailures });
    const pop3 = await extraPop3(server, { authFailures });
    try {
      // One guess from each of four addresses: the account's count grows, so does its delay.
      const times: number[] = [];
      for (const [i, address] of ["127.0.1.1", "127.0.1.2", "127.0.1.3", "127.0.1.4"].entries()) {
        const guess =
          i % 2 === 0
            ? imapLogin(imap.port, "dave", "nope", address)
            : pop3Login(pop3.port, "Dave", "nope", address);
        times.push((await guess).ms);
      }
      expect(times[2]!).toBeGreaterThanOrEqual(40);
      expect(events("auth.locked_out")).toEqual([
        expect.objectContaining({ key: "account:dave@example.com", kind: "account", failures: 4 }),
      ]);
      // The owner, from a fresh address, is refused for now...
      expect((await imapLogin(imap.port, "dave@example.com", "right", "127.0.1.9")).value.status).toBe("NO");
      expect((await pop3Login(pop3.port, "DAVE", "right", "127.0.1.9")).value.code).toBe("AUTH");
      // ...while other accounts log in from the very addresses that guessed.
      expect((await imapLogin(imap.port, "erin@example.com", "right", "127.0.1.1")).value.status).toBe("OK");
    } finally {
      await Promise.all([imap.close(), pop3.close()]);
    }
  });
});

describe("the server's own limiter", () => {
  test("SMTP AUTH failures slow the next IMAP failure from the same address (one limiter for all)", async () => {
    const plain = (user: string, password: string) =>
      Buffer.from(`\0${user}\0${password}`).toString("base64");
    const { client } = await SmtpClient.connect(server.ports.submission!);
    await client.command("EHLO guesser.test");
    // The server's defaults: the first failure is free, the second waits 1 s, the next 2 s.
    expect((await client.command(`AUTH PLAIN ${plain("alice@example.com", "x1")}`)).code).toBe(535);
    expect((await client.command(`AUTH PLAIN ${plain("alice@example.com", "x2")}`)).code).toBe(535);
    await client.close();
    const imapFailure = await imapLogin(server.ports.imap!, "bob@example.com", "x3");
    expect(imapFailure.value.status).toBe("NO");
    expect(imapFailure.ms).toBeGreaterThanOrEqual(2000);
    // The right password from the same address still works (3 failures are far from the lockout).
    expect((await imapLogin(server.ports.imap!, "bob@example.com", "right")).value.status).toBe("OK");
  });
});
