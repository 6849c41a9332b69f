/**
 * Relaying between servers over real sockets on loopback, never the outside network: two Mailroom
 * instances routed to each other (A serves a.example, B serves b.example), plus scripted peers for
 * what a Mailroom never does on purpose (refuse with 550 or 451, be down). Routes are arrays the
 * runner reads at every delivery, so each instance learns the other's port after both started.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Route } from "../../src/config.ts";
import { accountGet, type QueueItem, queueList } from "../../src/store/mod.ts";
import { eventually } from "../harness/eventually.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";
import { readDsn } from "./dsn-report.ts";
import { freePort, smtpError, startPeer } from "./peer.ts";

const routesA: Route[] = [];
const routesB: Route[] = [];
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  const common = { queueRetry: [200, 400], bind: "127.0.0.1" };
  a = await startTestServer({ ...common, hostname: "mx.a.example", domain: "a.example", routes: routesA });
  b = await startTestServer({ ...common, hostname: "mx.b.example", domain: "b.example", routes: routesB });
  routesA.push({ domain: "b.example", host: "127.0.0.1", port: b.ports.smtp! });
  routesB.push({ domain: "a.example", host: "127.0.0.1", port: a.ports.smtp! });
  await createAccounts(a, [{ address: "alice@a.example", password: "alice-pw" }]);
  await createAccounts(b, [{ address: "bob@b.example", password: "bob-pw" }]);
});

afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** Submits one message on a server's port 587 with AUTH PLAIN; returns the final reply code. */
async function submit(
  server: TestServer,
  login: { user: string; password: string },
  to: string[],
  message: string,
): Promise<number> {
  const { client } = await SmtpClient.connect(server.ports.submission!);
  try {
    await client.command("EHLO client.test");
    expect((await client.command(`AUTH PLAIN ${b64(`\0${login.user}\0${login.password}`)}`)).code).toBe(235);
    expect((await client.command(`MAIL FROM:<${login.user}>`)).code).toBe(250);
    for (const rcpt of to) expect((await client.command(`RCPT TO:<${rcpt}>`)).code).toBe(250);
    return (await client.data(message)).code;
  } finally {
    await client.command("QUIT").catch(() => undefined);
    await client.close();
  }
}

const alice = { user: "alice@a.example", password: "alice-pw" };
const bob = { user: "bob@b.example", password: "bob-pw" };

function message(from: string, to: string, subject: string, body = "Hello."): string {
  return `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\n${body}\r\n`;
}

/**
 * The first message in a mailbox matching `match`, waiting for it: wakes on every change the store
 * publishes for the account, with a timer as a backstop and a hard deadline.
 */
async function arrival(
  server: TestServer,
  address: string,
  match: (raw: string) => boolean,
  timeoutMs = 15_000,
): Promise<string> {
  const account = await accountGet(server.store.read, address);
  return eventually(
    async () => (await mailboxContents(server, address)).map((m) => m.raw.toString()).find(match),
    `a matching message for ${address}`,
    { timeoutMs, intervalMs: 50, wakeOn: (wake) => server.store.changes.subscribe(account.id, wake) },
  );
}

/** Polls the queue (every 20 ms, hard deadline) until `check` finds what it waits for. */
function queueState<T>(
  server: TestServer,
  check: (items: QueueItem[]) => T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  return eventually(async () => check(await queueList(server.store.read, { limit: 100 })), "the queue", {
    timeoutMs,
  });
}

const itemFor = (recipient: string) => (items: QueueItem[]) => items.find((i) => i.recipient === recipient);
const goneFor = (recipient: string) => (items: QueueItem[]) =>
  items.some((i) => i.recipient === recipient) ? undefined : true;

describe("two Mailroom instances", () => {
  test("a user of A writes to a user of B, who answers back: both land in INBOX", async () => {
    expect(
      await submit(a, alice, ["bob@b.example"], message("alice@a.example", "bob@b.example", "Ping")),
    ).toBe(250);
    const atB = await arrival(b, "bob@b.example", (raw) => raw.includes("Subject: Ping"));
    // B's trace headers on top of A's: the message went A (submission) -> A (queue) -> B (port 25).
    // B checked it on port 25: its Authentication-Results sits between Return-Path and Received.
    expect(atB).toMatch(
      /^Return-Path: <alice@a\.example>\r\nAuthentication-Results: mx\.b\.example;\r\n(?:[ \t][^\r\n]*\r\n)+Received: from mx\.a\.example/,
    );
    expect(atB).toContain("by mx.b.example (Mailroom) with ESMTP");
    expect(atB).toContain("by mx.a.example (Mailroom) with ESMTPA");
    // Submission completed the header (RFC 6409 §8) before it left A.
    expect(atB).toMatch(/\r\nMessage-ID: <[^>]+>\r\n/i);

    expect(
      await submit(b, bob, ["alice@a.example"], message("bob@b.example", "alice@a.example", "Re: Ping")),
    ).toBe(250);
    const atA = await arrival(a, "alice@a.example", (raw) => raw.includes("Subject: Re: Ping"));
    expect(atA).toStartWith("Return-Path: <bob@b.example>\r\n");
    await queueState(a, (items) => (items.length === 0 ? true : undefined));
    await queueState(b, (items) => (items.length === 0 ? true : undefined));
  });

  test("one message to a local and a remote recipient reaches both, the remote one through the queue", async () => {
    await createAccounts(a, [{ address: "amy@a.example", password: "amy-pw" }]);
    expect(
      await submit(
        a,
        alice,
        ["amy@a.example", "bob@b.example"],
        message("alice@a.example", "amy, bob", "Both"),
      ),
    ).toBe(250);
    await arrival(a, "amy@a.example", (raw) => raw.includes("Subject: Both"));
    await arrival(b, "bob@b.example", (raw) => raw.includes("Subject: Both"));
  });

  test("a recipient B does not know bounces back into the sender's INBOX at A", async () => {
    expect(
      await submit(a, alice, ["ghost@b.example"], message("alice@a.example", "ghost@b.example", "Boo")),
    ).toBe(250);
    const bounce = await arrival(
      a,
      "alice@a.example",
      (raw) => raw.includes("ghost@b.example") && raw.includes("multipart/report"),
    );
    const dsn = readDsn(Buffer.from(bounce, "latin1"));
    expect(dsn.recipients[0]).toMatchObject({
      "final-recipient": "rfc822; ghost@b.example",
      action: "failed",
      status: "5.1.1",
    });
    expect(dsn.returned).toContain("Subject: Boo");
  });
});

describe("a remote server that refuses or is away", () => {
  test("the peer down: deferred with the error and one attempt; up again: the retry delivers", async () => {
    const port = await freePort();
    routesA.push({ domain: "later.example", host: "127.0.0.1", port });
    expect(
      await submit(a, alice, ["x@later.example"], message("alice@a.example", "x@later.example", "Wait")),
    ).toBe(250);
    const deferred = await queueState(a, (items) => {
      const item = itemFor("x@later.example")(items);
      return item && item.attempts >= 1 ? item : undefined;
    });
    expect(deferred).toMatchObject({ status: "deferred", attempts: 1 });
    expect(deferred.lastError).toMatch(/ECONNREFUSED|refused/i);
    // The admin API shows the same.
    const listed = (await (await a.api("/api/v1/queue")).json()) as {
      items: Array<{ id: number; lastError: string }>;
    };
    expect(listed.items.find((i) => i.id === deferred.id)?.lastError).toBe(deferred.lastError!);

    const peer = await startPeer({ port });
    try {
      const got = await peer.next();
      expect(got.to).toEqual(["x@later.example"]);
      expect(got.raw.toString()).toContain("Subject: Wait");
      await queueState(a, goneFor("x@later.example"));
    } finally {
      await peer.close();
    }
  });

  test("a 550 from the peer bounces into the sender's INBOX with a parsable delivery-status part", async () => {
    const peer = await startPeer({
      onRcpt: () => smtpError(550, "5.1.1 <nobody@strict.example>: no such user"),
    });
    routesA.push({ domain: "strict.example", host: "127.0.0.1", port: peer.port });
    try {
      expect(
        await submit(
          a,
          alice,
          ["nobody@strict.example"],
          message("alice@a.example", "nobody@strict.example", "Hi"),
        ),
      ).toBe(250);
      const bounce = await arrival(
        a,
        "alice@a.example",
        (raw) => raw.includes("nobody@strict.example") && raw.includes("multipart/report"),
      );
      expect(bounce).toContain("From: Mail Delivery System <MAILER-DAEMON@mx.a.example>");
      const dsn = readDsn(Buffer.from(bounce, "latin1"));
      expect(dsn.message["reporting-mta"]).toBe("dns; mx.a.example");
      expect(dsn.recipients[0]).toMatchObject({
        "final-recipient": "rfc822; nobody@strict.example",
        action: "failed",
        status: "5.1.1",
        "remote-mta": `dns; 127.0.0.1:${peer.port}`,
      });
      expect(dsn.recipients[0]!["diagnostic-code"]).toBe(
        "smtp; 550 5.1.1 <nobody@strict.example>: no such user",
      );
      expect(dsn.returned).toContain("Subject: Hi");
      await queueState(a, goneFor("nobody@strict.example"));
    } finally {
      await peer.close();
    }
  });

  test("a 451 from the peer defers the recipient; the retry delivers it", async () => {
    let refuse = true;
    const peer = await startPeer({
      onRcpt: () => (refuse ? smtpError(451, "4.3.0 try again later") : undefined),
    });
    routesA.push({ domain: "busy.example", host: "127.0.0.1", port: peer.port });
    try {
      expect(
        await submit(a, alice, ["x@busy.example"], message("alice@a.example", "x@busy.example", "Busy")),
      ).toBe(250);
      const deferred = await queueState(a, (items) => {
        const item = itemFor("x@busy.example")(items);
        return item && item.attempts >= 1 ? item : undefined;
      });
      expect(deferred.lastError).toBe("451 4.3.0 try again later");
      refuse = false;
      const got = await peer.next();
      expect(got.raw.toString()).toContain("Subject: Busy");
      await queueState(a, goneFor("x@busy.example"));
    } finally {
      await peer.close();
    }
  });
});

test("a restart with a non-empty queue delivers what was deferred, when it falls due", async () => {
  const deadPort = await freePort();
  const first = await startTestServer({
    hostname: "mx.r.example",
    domain: "r.example",
    routes: [{ domain: "*", host: "127.0.0.1", port: deadPort }],
    queueRetry: [1_000],
  });
  await createAccounts(first, [{ address: "rita@r.example", password: "rita-pw" }]);
  const rita = { user: "rita@r.example", password: "rita-pw" };
  expect(
    await submit(first, rita, ["x@far.example"], message("rita@r.example", "x@far.example", "Persist")),
  ).toBe(250);
  const deferred = await queueState(first, (items) =>
    items[0] && items[0].attempts >= 1 ? items[0] : undefined,
  );
  await first.stop();
  expect(deferred.nextAttemptAt).toBeGreaterThan(Date.now());

  // Same data directory, now with a route to a live peer: the new runner finds the item in the
  // table and delivers it at its next_attempt_at, with nobody kicking it.
  const peer = await startPeer();
  const second = await startTestServer(
    {
      hostname: "mx.r.example",
      domain: "r.example",
      routes: [{ domain: "*", host: "127.0.0.1", port: peer.port }],
    },
    { dataDir: first.dataDir },
  );
  try {
    const [item] = await queueList(second.store.read, { limit: 10 });
    expect(item).toMatchObject({ id: deferred.id, attempts: 1 });
    const got = await peer.next();
    expect(Date.now()).toBeGreaterThanOrEqual(deferred.nextAttemptAt);
    expect(got.raw.toString()).toContain("Subject: Persist");
    await queueState(second, (items) => (items.length === 0 ? true : undefined));
    expect(peer.messages.length).toBe(1);
  } finally {
    await second.close();
    await peer.close();
  }
});
