/**
 * Guessing must not lock an account's owner out. Attempts count when they start, so parallel guesses
 * from one address cannot all get past its limit before the first failure is known; and an address
 * that logged in to an account before is not refused by that account's lockout. The full server over
 * real sockets (IMAP, POP3, SMTP AUTH), with the default thresholds (10 per address, 20 per account)
 * and test-sized delays; 127.0.0.0/8 is trusted so every 127.x client may log in without TLS.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { AuthFailures } from "../../src/security/auth-failures.ts";
import { ImapClient, quote } from "../harness/imap-client.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpTlsClient } from "../tls/smtp-tls-client.ts";

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(authFailures: AuthFailures): Promise<TestServer> {
  server = await startTestServer({ trustedNetworks: ["127.0.0.0/8"] }, { authFailures });
  await createAccounts(server, [{ address: "owner@example.com", password: "right" }]);
  return server;
}

async function imapLogin(s: TestServer, password: string, localAddress: string): Promise<string> {
  const { client } = await ImapClient.connect(s.ports.imap!, "127.0.0.1", { localAddress });
  try {
    const r = await client.command(`LOGIN ${quote("owner@example.com")} ${quote(password)}`);
    return `${r.status} ${r.text}`.split(" ").slice(0, 2).join(" ");
  } finally {
    await client.close();
  }
}

async function pop3Login(s: TestServer, password: string, localAddress: string): Promise<boolean> {
  const { client } = await Pop3Client.connect(s.ports.pop3!, "127.0.0.1", { localAddress });
  try {
    await client.command("USER owner@example.com");
    return (await client.command(`PASS ${password}`)).ok;
  } finally {
    await client.drop();
  }
}

async function smtpAuth(s: TestServer, password: string, localAddress: string): Promise<number> {
  const { client } = await SmtpTlsClient.connect(s.ports.submission!, { localAddress });
  try {
    await client.command("EHLO owner.test");
    const plain = Buffer.from(`\0owner@example.com\0${password}`).toString("base64");
    return (await client.command(`AUTH PLAIN ${plain}`)).code;
  } finally {
    client.socket.destroy();
  }
}

/** `count` wrong LOGINs from `address`, all sent before any is answered. */
function parallelGuesses(s: TestServer, address: string, count: number): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => imapLogin(s, `guess-${i}`, address)));
}

const keyed = (limiter: AuthFailures) => Object.fromEntries(limiter.entries().map((e) => [e.key, e]));

describe("guesses in parallel from one address", () => {
  test("20 parallel wrong IMAP LOGINs from 127.0.0.1 leave the owner able to log in from 127.0.0.2 on IMAP, POP3 and SMTP", async () => {
    const limiter = new AuthFailures({ baseDelayMs: 1, maxDelayMs: 5 });
    const s = await start(limiter);
    const answers = await parallelGuesses(s, "127.0.0.1", 20);
    expect(answers).toEqual(Array(20).fill("NO [AUTHENTICATIONFAILED]"));

    expect(await imapLogin(s, "right", "127.0.0.2")).toBe("OK [CAPABILITY");
    expect(await pop3Login(s, "right", "127.0.0.2")).toBe(true);
    expect(await smtpAuth(s, "right", "127.0.0.2")).toBe(235);

    // Only ten guesses had their password checked: the guesser is locked out, the account is not.
    const entries = keyed(limiter);
    expect(entries["127.0.0.1"]).toMatchObject({ failures: 10, inFlight: 0 });
    expect(entries["127.0.0.1"]!.lockedUntil).toBeGreaterThan(Date.now());
    expect(entries["account:owner@example.com"]).toMatchObject({ failures: 10, lockedUntil: null });
    expect(await imapLogin(s, "right", "127.0.0.1")).toBe("NO [AUTHENTICATIONFAILED]");
  });
});

describe("an account locked by guesses from many addresses", () => {
  test("still lets its owner in from an address that logged in before, on IMAP, POP3 and SMTP; a new address is refused", async () => {
    const limiter = new AuthFailures({ baseDelayMs: 1, maxDelayMs: 5 });
    const s = await start(limiter);
    // The owner's usual address logs in once.
    expect(await imapLogin(s, "right", "127.0.0.2")).toBe("OK [CAPABILITY");
    // Two guessers, ten guesses each: the account reaches its threshold of 20 and is locked.
    await Promise.all([parallelGuesses(s, "127.0.0.3", 10), parallelGuesses(s, "127.0.0.4", 10)]);
    expect(keyed(limiter)["account:owner@example.com"]!.lockedUntil).toBeGreaterThan(Date.now());

    expect(await imapLogin(s, "right", "127.0.0.2")).toBe("OK [CAPABILITY");
    expect(await pop3Login(s, "right", "127.0.0.2")).toBe(true);
    expect(await smtpAuth(s, "right", "127.0.0.2")).toBe(235);
    // An address the account has never been used from is refused, right password or not.
    expect(await imapLogin(s, "right", "127.0.0.9")).toBe("NO [AUTHENTICATIONFAILED]");
    expect(await smtpAuth(s, "right", "127.0.0.9")).toBe(535);
  });
});
