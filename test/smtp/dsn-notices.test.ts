/**
 * Delivery status notices besides bounces (RFC 3464, RFC 3461): "delayed" once a message has waited
 * 4 hours (once per recipient), "relayed" for NOTIFY=SUCCESS handed to a server without DSN
 * (§5.2.2.1), "delivered" for NOTIFY=SUCCESS into a local mailbox; and SMTPUTF8 mail to a server
 * without SMTPUTF8 bounces with 5.6.7 (RFC 6531 §3.4).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Route } from "../../src/config.ts";
import { parseMessage } from "../../src/mime/mod.ts";
import { messageIngest, queueGet, queueList } from "../../src/store/mod.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { readDsn } from "./dsn-report.ts";
import { arrival, deferredFor, goneFor, message, queueState, submit } from "./outbound-helpers.ts";
import { freePort, type Peer, startPeer } from "./peer.ts";

let a: TestServer;
let withDsn: Peer;
let withoutDsn: Peer;
let noUtf8: Peer;
const routes: Route[] = [];
const ALICE = "alice@a.example";

beforeAll(async () => {
  withDsn = await startPeer();
  withoutDsn = await startPeer({ hideDsn: true });
  noUtf8 = await startPeer({ hideSmtpUtf8: true });
  routes.push(
    { domain: "dsn.example", host: "127.0.0.1", port: withDsn.port },
    { domain: "nodsn.example", host: "127.0.0.1", port: withoutDsn.port },
    { domain: "noutf8.example", host: "127.0.0.1", port: noUtf8.port },
    { domain: "down.example", host: "127.0.0.1", port: await freePort() },
  );
  a = await startTestServer({ hostname: "mx.a.example", domain: "a.example", routes, queueRetry: [200] });
  await createAccounts(a, [{ address: ALICE }, { address: "bob@a.example" }]);
});

afterAll(async () => {
  await a.close();
  await Promise.all([withDsn.close(), withoutDsn.close(), noUtf8.close()]);
});

const notices = async (action: string, recipient: string) =>
  (await mailboxContents(a, ALICE))
    .map((m) => m.raw.toString())
    .filter((raw) => raw.includes(`Action: ${action}`) && raw.includes(recipient));

describe("delay notices (RFC 3464 Action: delayed)", () => {
  test("a message queued for over 4 hours tells its sender once that it is still being retried", async () => {
    // Queued five hours ago (as after an outage), to a host that is down.
    const raw = Buffer.from(message(ALICE, "carl@down.example", "waiting"));
    const fiveHoursAgo = Date.now() - 5 * 3_600_000;
    await a.store.write((w) =>
      messageIngest(w, {
        raw,
        parsed: parseMessage(raw),
        targets: [],
        queue: { sender: ALICE, recipients: [{ address: "carl@down.example" }], now: fiveHoursAgo },
      }),
    );
    const item = (await queueList(a.store.read, { limit: 100 })).find(
      (i) => i.recipient === "carl@down.example",
    )!;
    expect((await a.api(`/api/v1/queue/${item.id}/retry`, { method: "POST" })).status).toBe(204);
    const notice = await arrival(
      a,
      ALICE,
      (r) => r.includes("Action: delayed") && r.includes("carl@down.example"),
    );
    const dsn = readDsn(Buffer.from(notice));
    expect(dsn.recipients[0]).toMatchObject({
      action: "delayed",
      "final-recipient": "rfc822; carl@down.example",
    });
    expect(dsn.recipients[0]!.status).toMatch(/^4\./);
    expect(dsn.recipients[0]!["will-retry-until"]).toBeDefined();
    expect(notice).toContain("Subject: Delayed Mail (still being retried)");
    // Later attempts send no second notice.
    const before = (await queueGet(a.store.read, item.id))!;
    expect(before.delayNotified).toBe(true);
    await queueState(a, (items) => {
      const it = items.find((i) => i.id === item.id);
      return it && it.attempts >= before.attempts + 2 ? it : undefined;
    });
    expect(await notices("delayed", "carl@down.example")).toHaveLength(1);
  });

  test("NOTIFY=FAILURE alone asks for no delay notice", async () => {
    const raw = Buffer.from(message(ALICE, "dora@down.example", "waiting quietly"));
    await a.store.write((w) =>
      messageIngest(w, {
        raw,
        parsed: parseMessage(raw),
        targets: [],
        queue: {
          sender: ALICE,
          recipients: [{ address: "dora@down.example", notify: "FAILURE" }],
          now: Date.now() - 5 * 3_600_000,
        },
      }),
    );
    const item = (await queueList(a.store.read, { limit: 100 })).find(
      (i) => i.recipient === "dora@down.example",
    )!;
    await a.api(`/api/v1/queue/${item.id}/retry`, { method: "POST" });
    const deferred = await queueState(a, deferredFor("dora@down.example"));
    expect(deferred.delayNotified).toBe(false);
    expect(await notices("delayed", "dora@down.example")).toHaveLength(0);
  });
});

describe("success notices (RFC 3461 NOTIFY=SUCCESS)", () => {
  test("handed to a server without DSN: the sender hears 'relayed' (§5.2.2.1)", async () => {
    const sent = await submit(a, {
      user: ALICE,
      to: ["erin@nodsn.example"],
      raw: message(ALICE, "erin@nodsn.example", "relay me"),
      notify: ["SUCCESS", "FAILURE"],
    });
    expect(sent.ok).toBe(true);
    await withoutDsn.next();
    const notice = await arrival(
      a,
      ALICE,
      (r) => r.includes("Action: relayed") && r.includes("erin@nodsn.example"),
    );
    const dsn = readDsn(Buffer.from(notice));
    expect(dsn.recipients[0]).toMatchObject({ action: "relayed", status: "2.0.0" });
    expect(notice).toContain("Subject: Successful Mail Delivery Report");
  });

  test("handed to a server with DSN: NOTIFY goes on and we send no notice of our own", async () => {
    const sent = await submit(a, {
      user: ALICE,
      to: ["fred@dsn.example"],
      raw: message(ALICE, "fred@dsn.example", "pass it on"),
      notify: ["SUCCESS"],
    });
    expect(sent.ok).toBe(true);
    const got = await withDsn.next();
    expect(got.rcptArgs["fred@dsn.example"]).toMatchObject({ NOTIFY: "SUCCESS" });
    await queueState(a, goneFor("fred@dsn.example"));
    expect(await notices("relayed", "fred@dsn.example")).toHaveLength(0);
  });

  test("delivered into a local mailbox: the sender hears 'delivered'", async () => {
    const sent = await submit(a, {
      user: ALICE,
      to: ["bob@a.example"],
      raw: message(ALICE, "bob@a.example", "local success"),
      notify: ["SUCCESS"],
    });
    expect(sent.ok).toBe(true);
    const notice = await arrival(
      a,
      ALICE,
      (r) => r.includes("Action: delivered") && r.includes("bob@a.example"),
    );
    expect(readDsn(Buffer.from(notice)).recipients[0]).toMatchObject({
      action: "delivered",
      status: "2.0.0",
    });
    expect((await mailboxContents(a, "bob@a.example")).some((m) => m.raw.includes("local success"))).toBe(
      true,
    );
  });
});

describe("SMTPUTF8 (RFC 6531 §3.4)", () => {
  test("mail that needs SMTPUTF8, to a server without it, bounces with 5.6.7", async () => {
    const to = "jürgen@noutf8.example";
    const sent = await submit(a, { user: ALICE, to: [to], raw: message(ALICE, to, "umlaut") });
    expect(sent.ok).toBe(true);
    const bounce = await arrival(a, ALICE, (r) => r.includes("5.6.7"));
    expect(readDsn(Buffer.from(bounce)).recipients[0]).toMatchObject({ action: "failed", status: "5.6.7" });
    expect(noUtf8.messages).toHaveLength(0);
  });

  test("to a server with SMTPUTF8 it goes with the SMTPUTF8 parameter", async () => {
    const to = "jürgen@dsn.example";
    const sent = await submit(a, { user: ALICE, to: [to], raw: message(ALICE, to, "umlaut ok") });
    expect(sent.ok).toBe(true);
    const got = await withDsn.next();
    expect(got.to).toEqual([to]);
    expect(got.mailArgs.SMTPUTF8).toBe(true);
  });
});
