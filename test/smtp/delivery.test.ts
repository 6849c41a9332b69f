/**
 * The delivery building blocks, each on its own (routing over real DNS is in routes.test.ts): one
 * SMTP transaction against a real peer on loopback; the retry schedule;
 * how due items are grouped into transactions; loop counting.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DnsResolver } from "../../src/dns/mod.ts";
import { silentLogger } from "../../src/log.ts";
import { parseMessage } from "../../src/mime/mod.ts";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import { smtpTransaction } from "../../src/smtp/delivery/client.ts";
import { groupItems } from "../../src/smtp/queue/batch.ts";
import { createQueueRunner } from "../../src/smtp/queue/runner.ts";
import { isExpired, nextAttemptAt, retryDelay } from "../../src/smtp/queue/schedule.ts";
import { receivedCount } from "../../src/smtp/trace-headers.ts";
import { messageIngest, type QueueItem, queueList, Store } from "../../src/store/mod.ts";
import { eventually } from "../harness/eventually.ts";
import { freePort, type Peer, smtpError, startPeer } from "./peer.ts";

describe("smtpTransaction()", () => {
  let peer: Peer;

  beforeAll(async () => {
    peer = await startPeer({
      onRcpt: (address) =>
        address.startsWith("nobody@")
          ? smtpError(550, "5.1.1 nobody here")
          : address.startsWith("later@")
            ? smtpError(451, "4.3.0 try later")
            : undefined,
    });
  });

  afterAll(async () => {
    await peer.close();
  });

  const input = (recipients: string[], raw: string | Buffer) => ({
    host: "127.0.0.1",
    port: peer.port,
    helo: "mx.a.example",
    sender: "alice@a.example",
    recipients: recipients.map((address) => ({ address })),
    raw: typeof raw === "string" ? Buffer.from(raw) : raw,
  });

  test("several recipients share one transaction and each gets its own result", async () => {
    const raw = "From: alice@a.example\r\nTo: x@b.example\r\nSubject: hi\r\n\r\nHello.\r\n.dot line\r\n";
    const outcome = await smtpTransaction(
      input(["x@b.example", "nobody@b.example", "later@b.example", "y@b.example"], raw),
    );
    expect(outcome.kind).toBe("done");
    if (outcome.kind !== "done") return;
    const byAddress = Object.fromEntries(outcome.recipients.map((r) => [r.address, r]));
    expect(byAddress["x@b.example"]).toMatchObject({ accepted: true, code: 250 });
    expect(byAddress["y@b.example"]).toMatchObject({ accepted: true });
    expect(byAddress["nobody@b.example"]).toMatchObject({ accepted: false, code: 550 });
    expect(byAddress["nobody@b.example"]!.reply).toContain("5.1.1 nobody here");
    expect(byAddress["later@b.example"]).toMatchObject({ accepted: false, code: 451 });
    const got = await peer.next();
    expect(got.to).toEqual(["x@b.example", "y@b.example"]);
    expect(got.from).toBe("alice@a.example");
    // The stored bytes arrive as they were (dot-stuffing is undone by the peer).
    expect(got.raw.toString()).toBe(raw);
  });

  test("8-bit content is sent with BODY=8BITMIME, a UTF-8 address with SMTPUTF8", async () => {
    const raw = Buffer.from("From: jörg@a.example\r\nSubject: Grüße\r\n\r\nGrüße aus Köln\r\n", "utf8");
    const outcome = await smtpTransaction({ ...input(["ümlaut@b.example"], raw), sender: "jörg@a.example" });
    expect(outcome.kind).toBe("done");
    const got = await peer.next();
    expect(got.mailArgs.BODY).toBe("8BITMIME");
    expect(got.mailArgs.SMTPUTF8).toBe(true);
    expect(got.raw.equals(raw)).toBe(true);
  });

  test("the null sender goes out as MAIL FROM:<> and DSN parameters are passed on", async () => {
    const outcome = await smtpTransaction({
      ...input(["x@b.example"], "Subject: bounce\r\n\r\nx\r\n"),
      sender: "",
      ret: "HDRS",
      envid: "env-1",
      recipients: [{ address: "x@b.example", notify: "FAILURE,DELAY", orcpt: "rfc822;x+tag=1@b.example" }],
    });
    expect(outcome.kind).toBe("done");
    const got = await peer.next();
    expect(got.from).toBe("");
    expect(got.mailArgs).toMatchObject({ RET: "HDRS", ENVID: "env-1" });
    // ORCPT goes out xtext-encoded exactly once: the peer decodes it back to what was stored.
    expect(got.rcptArgs["x@b.example"]).toMatchObject({
      NOTIFY: "FAILURE,DELAY",
      ORCPT: "rfc822;x+tag=1@b.example",
    });
  });

  test("when every recipient is refused nothing is sent and each refusal is reported", async () => {
    const before = peer.messages.length;
    const outcome = await smtpTransaction(
      input(["nobody@b.example", "later@b.example"], "Subject: x\r\n\r\nx\r\n"),
    );
    expect(outcome.kind).toBe("done");
    if (outcome.kind !== "done") return;
    expect(outcome.recipients.map((r) => r.code)).toEqual([550, 451]);
    expect(peer.messages.length).toBe(before);
  });

  test("a refused connection is 'unreachable', with the reason", async () => {
    const port = await freePort();
    const outcome = await smtpTransaction({ ...input(["x@b.example"], "x\r\n"), port });
    expect(outcome.kind).toBe("unreachable");
    if (outcome.kind === "unreachable") expect(outcome.reply).toMatch(/ECONNREFUSED|refused/i);
  });

  test("a message refused after DATA fails every accepted recipient with that reply", async () => {
    const strict = await startPeer({ onData: () => smtpError(554, "5.7.1 content rejected") });
    try {
      const outcome = await smtpTransaction({
        ...input(["x@b.example", "y@b.example"], "x\r\n"),
        port: strict.port,
      });
      expect(outcome.kind).toBe("done");
      if (outcome.kind !== "done") return;
      expect(outcome.recipients.map((r) => [r.accepted, r.code])).toEqual([
        [false, 554],
        [false, 554],
      ]);
      expect(outcome.recipients[0]!.reply).toContain("5.7.1 content rejected");
    } finally {
      await strict.close();
    }
  });
});

describe("the retry schedule", () => {
  const retry = [60_000, 300_000, 900_000];

  test("retryDelay() walks the list and repeats the last interval", () => {
    expect([0, 1, 2, 3, 10].map((n) => retryDelay(retry, n))).toEqual([
      60_000, 300_000, 900_000, 900_000, 900_000,
    ]);
  });

  test("nextAttemptAt() never lands past the item's expiry, so the bounce is on time", () => {
    const item = { createdAt: 0, attempts: 2 };
    expect(nextAttemptAt(item, { retry, maxAge: 10_000_000, now: 1000 })).toBe(901_000);
    expect(nextAttemptAt(item, { retry, maxAge: 500_000, now: 1000 })).toBe(500_000);
    expect(isExpired({ createdAt: 0 }, 500_000, 499_999)).toBe(false);
    expect(isExpired({ createdAt: 0 }, 500_000, 500_000)).toBe(true);
  });
});

describe("groupItems()", () => {
  let nextId = 1;
  const item = (contentId: number, recipient: string, extra: Partial<QueueItem> = {}): QueueItem => ({
    id: nextId++,
    contentId,
    sender: "alice@a.example",
    recipient,
    domain: recipient.slice(recipient.indexOf("@") + 1),
    notify: null,
    orcpt: null,
    ret: null,
    envid: null,
    accountId: null,
    requireTls: false,
    smtpUtf8: false,
    delayNotified: false,
    status: "queued",
    attempts: 0,
    nextAttemptAt: 0,
    lastError: null,
    createdAt: 0,
    updatedAt: 0,
    ...extra,
  });

  test("one transaction per message and destination domain", () => {
    const groups = groupItems([
      item(1, "x@b.example"),
      item(1, "y@c.example"),
      item(1, "z@b.example"),
      item(2, "x@b.example"),
    ]);
    expect(groups.map((g) => g.map((i) => `${i.contentId}:${i.recipient}`))).toEqual([
      ["1:x@b.example", "1:z@b.example"],
      ["1:y@c.example"],
      ["2:x@b.example"],
    ]);
  });

  test("recipients with different DSN parameters, or past 100, go in separate transactions", () => {
    const many = Array.from({ length: 150 }, (_, i) => item(3, `u${i}@b.example`));
    expect(groupItems(many).map((g) => g.length)).toEqual([100, 50]);
    const mixed = groupItems([item(4, "a@b.example", { notify: "NEVER" }), item(4, "b@b.example")]);
    expect(mixed.length).toBe(2);
  });
});

test("receivedCount() counts the Received fields of the header only", () => {
  const header = "Received: from a\r\nReceived: from b\r\n\tby c\r\nSubject: x\r\n\r\n";
  expect(receivedCount(Buffer.from(`${header}Received: in the body\r\n`))).toBe(2);
});

describe("the queue runner", () => {
  let dir: string;
  let store: Store;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "mailroom-runner-"));
    store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
  });

  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("keeps to the limits per domain and in all, reuses connections, and delivers each message once", async () => {
    let open = 0;
    let maxOpen = 0;
    const track = (delta: 1 | -1) => {
      open += delta;
      maxOpen = Math.max(maxOpen, open);
    };
    const b = await startPeer({ dataDelayMs: 30, onConnection: track });
    const c = await startPeer({ dataDelayMs: 30, onConnection: track });
    const runner = createQueueRunner({
      store,
      log: silentLogger,
      hostname: "mx.a.example",
      routes: [
        { domain: "b.example", host: "127.0.0.1", port: b.port },
        { domain: "c.example", host: "127.0.0.1", port: c.port },
      ],
      retry: [60_000],
      maxAge: 86_400_000,
      // Static routes only: a resolver without servers, so nothing can reach out to real DNS.
      resolver: new DnsResolver({ servers: [] }),
      maxConnections: 3,
      maxPerDomain: 2,
    });
    try {
      for (let i = 0; i < 12; i++) {
        const raw = Buffer.from(`Subject: m${i}\r\n\r\nbody ${i}\r\n`);
        const domain = i % 2 ? "b.example" : "c.example";
        await store.write((w) =>
          messageIngest(w, {
            raw,
            parsed: parseMessage(raw),
            targets: [],
            queue: { sender: "a@a.example", recipients: [{ address: `u${i}@${domain}` }] },
          }),
        );
      }
      runner.start();
      const subjects: string[] = [];
      for (const peer of [b, c])
        for (let i = 0; i < 6; i++)
          subjects.push(/Subject: (m\d+)/.exec((await peer.next()).raw.toString())![1]!);
      expect(new Set(subjects).size).toBe(12);
      expect(b.connections().maxOpen).toBeLessThanOrEqual(2);
      expect(c.connections().maxOpen).toBeLessThanOrEqual(2);
      expect(maxOpen).toBeLessThanOrEqual(3);
      // Six messages per domain over at most two connections each.
      expect(b.connections().total + c.connections().total).toBeLessThan(12);
      await eventually(
        async () => (await queueList(store.read, { limit: 1 })).length === 0,
        "an empty queue",
        {
          timeoutMs: 5_000,
        },
      );
      expect(await queueList(store.read, { limit: 1 })).toEqual([]);
      expect(b.messages.length + c.messages.length).toBe(12);
    } finally {
      await runner.stop();
      await Promise.all([b.close(), c.close()]);
    }
  });
});
