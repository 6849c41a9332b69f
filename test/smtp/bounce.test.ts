/**
 * Bounces: the RFC 3464 report itself (RET, ENVID, ORCPT), and when the queue runner sends one —
 * a permanent refusal, the end of the queue lifetime (4.4.7), a mail loop (5.4.6), a null MX
 * (5.1.10) — and when it must not: never for a bounce, never against NOTIFY=NEVER.
 * A real store and runner; the remote side is a scripted SMTP peer on loopback.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Route } from "../../src/config.ts";
import { DnsResolver } from "../../src/dns/mod.ts";
import { silentLogger } from "../../src/log.ts";
import { parseMessage } from "../../src/mime/mod.ts";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import { wantsFailureNotice } from "../../src/smtp/delivery/bounce.ts";
import { dsnBuild } from "../../src/smtp/delivery/dsn.ts";
import { createQueueRunner, type QueueRunner } from "../../src/smtp/queue/runner.ts";
import {
  accountCreate,
  accountGet,
  accountPrepare,
  contentRaw,
  domainCreate,
  mailboxGet,
  messageIngest,
  messagesOfMailbox,
  type QueueRecipientInput,
  queueList,
  Store,
} from "../../src/store/mod.ts";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";
import { eventually } from "../harness/eventually.ts";
import { readDsn } from "./dsn-report.ts";
import { freePort, type Peer, smtpError, startPeer } from "./peer.ts";

const ORIGINAL =
  "From: Alice <alice@a.example>\r\nTo: bob@b.example\r\nSubject: Lunch?\r\nMessage-ID: <lunch@a.example>\r\n\r\nAt noon?\r\n";

describe("dsnBuild()", () => {
  const base = {
    reportingMta: "mx.a.example",
    sender: "alice@a.example",
    arrivalDate: new Date("2026-01-02T10:00:00Z"),
    original: Buffer.from(ORIGINAL),
    recipients: [
      {
        recipient: "bob@b.example",
        status: "5.1.1",
        remoteMta: "mx.b.example",
        reply: "550 5.1.1 <bob@b.example>: no such user",
        lastAttempt: new Date("2026-01-02T10:00:05Z"),
      },
    ],
  };

  test("is a multipart/report with the delivery-status fields of RFC 3464", () => {
    const raw = dsnBuild(base);
    const header = parseMessage(raw).envelope;
    expect(header.subject).toBe("Undelivered Mail Returned to Sender");
    expect(header.from?.[0]).toMatchObject({ mailbox: "MAILER-DAEMON", host: "mx.a.example" });
    expect(header.to?.[0]).toMatchObject({ mailbox: "alice", host: "a.example" });
    expect(Buffer.from(raw).toString()).toContain("\r\nAuto-Submitted: auto-replied\r\n");
    const dsn = readDsn(raw);
    expect(dsn.message).toEqual({
      "reporting-mta": "dns; mx.a.example",
      "arrival-date": "Fri, 02 Jan 2026 10:00:00 +0000",
    });
    expect(dsn.recipients).toEqual([
      {
        "final-recipient": "rfc822; bob@b.example",
        action: "failed",
        status: "5.1.1",
        "remote-mta": "dns; mx.b.example",
        "diagnostic-code": "smtp; 550 5.1.1 <bob@b.example>: no such user",
        "last-attempt-date": "Fri, 02 Jan 2026 10:00:05 +0000",
      },
    ]);
    expect(dsn.text).toContain("<bob@b.example>:");
    expect(dsn.text).toContain("mx.b.example said: 550 5.1.1");
  });

  test("returns the whole message as message/rfc822 when RET is FULL or absent", () => {
    for (const ret of [undefined, "FULL"]) {
      const dsn = readDsn(dsnBuild({ ...base, ret }));
      expect(`${dsn.parts[2]!.type}/${dsn.parts[2]!.subtype}`).toBe("message/rfc822");
      expect(dsn.returned).toBe(ORIGINAL.slice(0, -2));
    }
  });

  test("returns only the header as text/rfc822-headers when RET=HDRS", () => {
    const dsn = readDsn(dsnBuild({ ...base, ret: "HDRS" }));
    expect(`${dsn.parts[2]!.type}/${dsn.parts[2]!.subtype}`).toBe("text/rfc822-headers");
    expect(dsn.returned).toContain("Subject: Lunch?");
    expect(dsn.returned).not.toContain("At noon?");
  });

  test("echoes ENVID as Original-Envelope-Id and ORCPT as Original-Recipient", () => {
    const dsn = readDsn(
      dsnBuild({
        ...base,
        envid: "QQ314159+x",
        recipients: [{ ...base.recipients[0]!, orcpt: "rfc822;bob+box@b.example" }],
      }),
    );
    expect(dsn.message["original-envelope-id"]).toBe("QQ314159+x");
    expect(dsn.recipients[0]!["original-recipient"]).toBe("rfc822; bob+box@b.example");
    expect(Object.keys(dsn.recipients[0]!)[0]).toBe("original-recipient");
  });

  test("explains a failure without an SMTP reply in an X-Mailroom diagnostic, on one line", () => {
    const dsn = readDsn(
      dsnBuild({
        ...base,
        recipients: [{ recipient: "x@n.example", status: "5.1.10", detail: "domain accepts\r\nno mail" }],
      }),
    );
    expect(dsn.recipients[0]!["diagnostic-code"]).toBe("X-Mailroom; domain accepts no mail");
    expect(dsn.recipients[0]!["remote-mta"]).toBeUndefined();
  });

  test("wantsFailureNotice() follows RFC 3461 NOTIFY", () => {
    expect(
      [null, "", "FAILURE", "delay,failure", "SUCCESS", "NEVER", "SUCCESS,DELAY"].map(wantsFailureNotice),
    ).toEqual([true, true, true, true, false, false, false]);
  });
});

describe("the runner's bounces", () => {
  let dir: string;
  let store: Store;
  let aliceId: number;
  let peer: Peer;
  let runner: QueueRunner | undefined;
  let knot: TestDnsServer;
  let dns: DnsResolver;
  const routes: Route[] = [];

  beforeAll(async () => {
    // Real DNS for the domains without a static route: null.example publishes the null MX.
    knot = await startDnsServer([
      {
        origin: "null.example",
        records: [
          { name: "@", type: "MX", value: "0 ." },
          { name: "@", type: "A", value: "127.0.0.1" },
        ],
      },
    ]);
    dns = new DnsResolver({ servers: [knot.server], timeoutMs: 500 });
    dir = mkdtempSync(join(tmpdir(), "mailroom-bounce-"));
    store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
    const prepared = await accountPrepare({ address: "alice@a.example", password: "pw" });
    await store.write(async (w) => {
      await domainCreate(w, "a.example");
      await accountCreate(w, prepared);
    });
    aliceId = (await accountGet(store.read, "alice@a.example")).id;
    peer = await startPeer({
      onRcpt: (address) => (address.startsWith("nobody@") ? smtpError(550, "5.1.1 no such user") : undefined),
    });
    routes.push({ domain: "b.example", host: "127.0.0.1", port: peer.port });
    routes.push({ domain: "c.example", host: "127.0.0.1", port: peer.port });
  });

  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
  });

  afterAll(async () => {
    await peer.close();
    await store.close();
    dns.close();
    await knot.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function startRunner(overrides: Partial<Parameters<typeof createQueueRunner>[0]> = {}): QueueRunner {
    runner = createQueueRunner({
      store,
      log: silentLogger,
      hostname: "mx.a.example",
      routes,
      retry: [60_000],
      maxAge: 5 * 86_400_000,
      resolver: dns,
      ...overrides,
    });
    runner.start();
    return runner;
  }

  async function enqueue(
    sender: string,
    recipients: QueueRecipientInput[],
    extra: { ret?: string; envid?: string; raw?: string } = {},
  ): Promise<void> {
    const raw = Buffer.from(extra.raw ?? ORIGINAL);
    await store.write((w) =>
      messageIngest(w, {
        raw,
        parsed: parseMessage(raw),
        targets: [],
        queue: { sender, recipients, ret: extra.ret, envid: extra.envid },
      }),
    );
    runner?.kick();
  }

  async function inbox(): Promise<Buffer[]> {
    const box = await mailboxGet(store.read, aliceId, "INBOX");
    const out: Buffer[] = [];
    for (const m of await messagesOfMailbox(store.read, box.id))
      out.push(Buffer.from((await contentRaw(store.read, m.contentId))!));
    return out;
  }

  /** For eventually() on the store: ask again on each change of alice's account, not only every 20 ms. */
  const onAliceChange = { wakeOn: (wake: () => void) => store.changes.subscribe(aliceId, wake) };

  const queueEmpty = async () =>
    (await queueList(store.read, { limit: 10 })).length === 0 ? true : undefined;

  async function nextBounce(before: number): Promise<Buffer> {
    return eventually(async () => (await inbox())[before], "a bounce in alice's INBOX", onAliceChange);
  }

  test("a 550 from the remote server bounces into the local sender's INBOX, with the original", async () => {
    startRunner();
    const before = (await inbox()).length;
    await enqueue("alice@a.example", [{ address: "nobody@b.example" }, { address: "bob@b.example" }]);
    const bounce = await nextBounce(before);
    expect(bounce.toString()).toStartWith("Return-Path: <>\r\n");
    const dsn = readDsn(bounce);
    expect(dsn.recipients.length).toBe(1);
    expect(dsn.recipients[0]).toMatchObject({
      "final-recipient": "rfc822; nobody@b.example",
      action: "failed",
      status: "5.1.1",
      "remote-mta": `dns; 127.0.0.1:${peer.port}`,
    });
    expect(dsn.recipients[0]!["diagnostic-code"]).toStartWith("smtp; 550 5.1.1");
    expect(dsn.returned).toContain("Subject: Lunch?");
    await eventually(queueEmpty, "an empty queue", onAliceChange);
  });

  test("a bounce is never bounced: a failed delivery from the null sender just leaves the queue", async () => {
    startRunner();
    const before = (await inbox()).length;
    const rcpts = peer.rcptCount();
    await enqueue("", [{ address: "nobody@b.example" }]);
    await eventually(queueEmpty, "an empty queue", onAliceChange);
    expect(peer.rcptCount()).toBe(rcpts + 1);
    expect((await inbox()).length).toBe(before);
  });

  test("NOTIFY=NEVER (or NOTIFY without FAILURE) suppresses the bounce", async () => {
    startRunner();
    const before = (await inbox()).length;
    await enqueue("alice@a.example", [
      { address: "nobody@b.example", notify: "NEVER" },
      { address: "nobody@c.example", notify: "SUCCESS,DELAY" },
    ]);
    await eventually(queueEmpty, "an empty queue", onAliceChange);
    expect((await inbox()).length).toBe(before);
  });

  test("RET=HDRS, ENVID and ORCPT given at submission show in the bounce", async () => {
    startRunner();
    const before = (await inbox()).length;
    await enqueue("alice@a.example", [{ address: "nobody@b.example", orcpt: "rfc822;Nobody@b.example" }], {
      ret: "HDRS",
      envid: "env-42",
    });
    const dsn = readDsn(await nextBounce(before));
    expect(dsn.message["original-envelope-id"]).toBe("env-42");
    expect(dsn.recipients[0]!["original-recipient"]).toBe("rfc822; Nobody@b.example");
    expect(`${dsn.parts[2]!.type}/${dsn.parts[2]!.subtype}`).toBe("text/rfc822-headers");
    expect(dsn.returned).not.toContain("At noon?");
  });

  test("past the queue lifetime a deferred message bounces with 4.4.7 (delivery time expired)", async () => {
    const dead = await freePort();
    startRunner({
      routes: [{ domain: "d.example", host: "127.0.0.1", port: dead }],
      retry: [100],
      maxAge: 400,
    });
    const before = (await inbox()).length;
    await enqueue("alice@a.example", [{ address: "carol@d.example" }]);
    const deferred = await eventually(
      async () => {
        const [item] = await queueList(store.read, { limit: 1 });
        return item && item.attempts >= 1 ? item : undefined;
      },
      "a deferred item",
      onAliceChange,
    );
    expect(deferred.status).toBe("deferred");
    expect(deferred.lastError).toMatch(/ECONNREFUSED|refused/i);
    const dsn = readDsn(await nextBounce(before));
    expect(dsn.recipients[0]).toMatchObject({
      "final-recipient": "rfc822; carol@d.example",
      status: "4.4.7",
    });
    expect(dsn.recipients[0]!["diagnostic-code"]).toContain("delivery time expired");
    expect(dsn.text).toContain("could not be delivered in the time allowed");
    await eventually(queueEmpty, "an empty queue", onAliceChange);
  });

  test("a message with more than 30 Received headers bounces with 5.4.6 without being sent", async () => {
    startRunner();
    const before = (await inbox()).length;
    const rcpts = peer.rcptCount();
    const looping = `${"Received: from relay by relay; Fri, 2 Jan 2026 10:00:00 +0000\r\n".repeat(31)}${ORIGINAL}`;
    await enqueue("alice@a.example", [{ address: "bob@b.example" }], { raw: looping });
    const dsn = readDsn(await nextBounce(before));
    expect(dsn.recipients[0]).toMatchObject({ status: "5.4.6" });
    expect(peer.rcptCount()).toBe(rcpts);
  });

  test("a null MX bounces at once with 5.1.10 (RFC 7505)", async () => {
    startRunner({ routes: [] });
    const before = (await inbox()).length;
    await enqueue("alice@a.example", [{ address: "x@null.example" }]);
    const dsn = readDsn(await nextBounce(before));
    expect(dsn.recipients[0]).toMatchObject({
      "final-recipient": "rfc822; x@null.example",
      status: "5.1.10",
    });
    await eventually(queueEmpty, "an empty queue", onAliceChange);
  });

  test("a remote sender's bounce is queued with the null sender and delivered to its domain", async () => {
    startRunner();
    await enqueue("carol@c.example", [{ address: "nobody@b.example" }]);
    for (;;) {
      const got = await peer.next();
      if (got.to.includes("carol@c.example")) {
        expect(got.from).toBe("");
        expect(readDsn(got.raw).recipients[0]).toMatchObject({
          "final-recipient": "rfc822; nobody@b.example",
        });
        break;
      }
    }
    await eventually(queueEmpty, "an empty queue", onAliceChange);
  });
});
