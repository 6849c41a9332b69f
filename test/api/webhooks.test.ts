/**
 * Webhooks (issue 16) against a real HTTP receiver in the test: POST/GET/DELETE and the deliveries
 * list; Standard Webhooks headers and signature, checked here with node:crypto and also by Python's
 * hmac; the first retry within 10 s after a failure and delivery once the receiver recovers; order
 * per webhook; pending deliveries surviving a restart; private addresses refused unless allowed, and
 * checked again at send time against a real DNS server whose answer changes (DNS rebinding).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DnsResolver } from "../../src/dns/mod.ts";
import { EventBus } from "../../src/events/bus.ts";
import { silentLogger } from "../../src/log.ts";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import { Store, webhookDeliveriesList } from "../../src/store/mod.ts";
import { isInternalAddress } from "../../src/webhooks/address-guard.ts";
import { WebhookDispatcher } from "../../src/webhooks/dispatcher.ts";
import { freshAccount } from "../harness/accounts.ts";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";
import { eventually } from "../harness/eventually.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";
import { expectProblem, makeMessage } from "./helpers.ts";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** What the receiver answered. */
  status: number;
}

/** A real HTTP server: answers each request with the next status of `plan` (then 200), records all. */
async function startReceiver(plan: number[] = []): Promise<{
  url: string;
  received: Received[];
  plan: number[];
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      const status = plan.shift() ?? 200;
      received.push({ headers: req.headers, body, at: Date.now(), status });
      res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "not now");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    plan,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function verify(secret: string, r: Received): boolean {
  const id = String(r.headers["webhook-id"]);
  const ts = String(r.headers["webhook-timestamp"]);
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = `v1,${createHmac("sha256", key).update(`${id}.${ts}.${r.body}`).digest("base64")}`;
  return String(r.headers["webhook-signature"]).split(" ").includes(expected);
}

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ webhooksAllowPrivate: true });
});

afterAll(async () => {
  await server?.close();
});

const deliver = (to: string, subject: string) =>
  sendMail(server.ports.smtp!, "app@remote.example", [to], makeMessage({ subject, to }));

describe("the webhook resource", () => {
  test("POST returns the webhook with a generated whsec_ secret once; GET lists and shows it without", async () => {
    const res = await server.api("/api/v1/webhooks", {
      method: "POST",
      json: { url: "http://127.0.0.1:9/x", events: ["message.*", "queue.bounced"] },
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: number; secret: string; events: string[] };
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(res.headers.get("location")).toBe(`/api/v1/webhooks/${created.id}`);
    const one = (await (await server.api(`/api/v1/webhooks/${created.id}`)).json()) as Record<
      string,
      unknown
    >;
    expect(one).toMatchObject({
      id: created.id,
      url: "http://127.0.0.1:9/x",
      events: ["message.*", "queue.bounced"],
    });
    expect(one.secret).toBeUndefined();
    const list = (await (await server.api("/api/v1/webhooks")).json()) as { items: Array<{ id: number }> };
    expect(list.items.map((h) => h.id)).toContain(created.id);
    expect((await server.api(`/api/v1/webhooks/${created.id}`, { method: "DELETE" })).status).toBe(204);
    await expectProblem(await server.api(`/api/v1/webhooks/${created.id}`), 404);
    await expectProblem(await server.api(`/api/v1/webhooks/${created.id}`, { method: "DELETE" }), 404);
    await expectProblem(await server.api(`/api/v1/webhooks/${created.id}/deliveries`), 404);
  });

  test("an unknown event type, a malformed secret, a URL that is not http(s) or an unknown field is a 422", async () => {
    const post = (json: unknown) => server.api("/api/v1/webhooks", { method: "POST", json });
    await expectProblem(await post({ url: "http://127.0.0.1:9/", events: ["mail.sent"] }), 422);
    await expectProblem(await post({ url: "http://127.0.0.1:9/", events: ["*"], secret: "hunter2" }), 422);
    await expectProblem(
      await post({ url: "http://127.0.0.1:9/", events: ["*"], secret: "whsec_c2hvcnQ=" }),
      422,
    );
    await expectProblem(await post({ url: "ftp://127.0.0.1/", events: ["*"] }), 422);
    await expectProblem(await post({ url: "http://127.0.0.1:9/", events: ["*"], colour: "red" }), 422);
  });
});

describe("deliveries", () => {
  test("signed per Standard Webhooks: webhook-id, webhook-timestamp, v1 signature (checked by node:crypto and Python hmac)", async () => {
    const receiver = await startReceiver();
    const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
    const address = await freshAccount(server);
    const res = await server.api("/api/v1/webhooks", {
      method: "POST",
      json: { url: receiver.url, events: ["message.received"], secret },
    });
    const hook = (await res.json()) as { id: number; secret: string };
    expect(hook.secret).toBe(secret);
    await deliver(address, "signed");
    await eventually(
      () => receiver.received.find((r) => r.body.includes('"subject":"signed"')),
      "the webhook",
    );
    const r = receiver.received.find((x) => x.body.includes('"subject":"signed"'))!;
    expect(r.headers["webhook-id"]).toMatch(/^msg_\d+$/);
    expect(Math.abs(Number(r.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(verify(secret, r)).toBe(true);
    const python = execFileSync(
      "python3",
      [
        "-c",
        [
          "import base64,hmac,hashlib,sys",
          "secret,mid,ts,sig=sys.argv[1:5]; body=sys.stdin.buffer.read()",
          "key=base64.b64decode(secret[len('whsec_'):])",
          "mac=base64.b64encode(hmac.new(key, mid.encode()+b'.'+ts.encode()+b'.'+body, hashlib.sha256).digest()).decode()",
          "print('valid' if ('v1,'+mac) in sig.split(' ') else 'invalid')",
        ].join("\n"),
        secret,
        String(r.headers["webhook-id"]),
        String(r.headers["webhook-timestamp"]),
        String(r.headers["webhook-signature"]),
      ],
      { input: r.body },
    )
      .toString()
      .trim();
    expect(python).toBe("valid");
    const body = JSON.parse(r.body);
    expect(body).toMatchObject({ type: "message.received", account: address, data: { subject: "signed" } });
    await server.api(`/api/v1/webhooks/${hook.id}`, { method: "DELETE" });
    await receiver.close();
  });

  test("a receiver that fails twice is retried, the first retry within 10 s, until its 2xx; the deliveries list says so", async () => {
    const receiver = await startReceiver([503, 500]);
    const address = await freshAccount(server);
    const { id } = (await (
      await server.api("/api/v1/webhooks", {
        method: "POST",
        json: { url: receiver.url, events: ["message.received"] },
      })
    ).json()) as { id: number };
    await deliver(address, "retried");
    await eventually(() => receiver.received.length >= 3, "three attempts", { timeoutMs: 30_000 });
    const [first, second, third] = receiver.received;
    expect([first!.status, second!.status, third!.status]).toEqual([503, 500, 200]);
    expect(second!.at - first!.at).toBeLessThan(10_000);
    // The same message every time: the same webhook-id (receivers deduplicate on it).
    expect(new Set(receiver.received.map((r) => r.headers["webhook-id"])).size).toBe(1);
    const deliveries = (await (await server.api(`/api/v1/webhooks/${id}/deliveries`)).json()) as {
      items: Array<Record<string, unknown>>;
    };
    expect(deliveries.items[0]).toMatchObject({
      eventType: "message.received",
      status: "delivered",
      attempts: 3,
      lastStatus: 200,
      nextAttemptAt: null,
    });
    await server.api(`/api/v1/webhooks/${id}`, { method: "DELETE" });
    await receiver.close();
  }, 60_000);

  test("in order per webhook: while the first event is retried, the later ones wait behind it", async () => {
    const receiver = await startReceiver([503]);
    const address = await freshAccount(server);
    const { id } = (await (
      await server.api("/api/v1/webhooks", {
        method: "POST",
        json: { url: receiver.url, events: ["message.received"] },
      })
    ).json()) as { id: number };
    for (const subject of ["o1", "o2", "o3", "o4"]) await deliver(address, subject);
    await eventually(() => receiver.received.filter((r) => r.status === 200).length >= 4, "four deliveries", {
      timeoutMs: 30_000,
    });
    const subjects = receiver.received.map((r) => `${JSON.parse(r.body).data.subject}:${r.status}`);
    expect(subjects).toEqual(["o1:503", "o1:200", "o2:200", "o3:200", "o4:200"]);
    const ids = receiver.received.slice(1).map((r) => JSON.parse(r.body).id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    await server.api(`/api/v1/webhooks/${id}`, { method: "DELETE" });
    await receiver.close();
  }, 60_000);

  test("a delivery pending when the server stops is sent after it starts again on the same database", async () => {
    const receiver = await startReceiver([500]);
    const dataDir = mkdtempSync(join(tmpdir(), "mailroom-webhook-restart-"));
    let first: TestServer | undefined = await startTestServer({ webhooksAllowPrivate: true }, { dataDir });
    let second: TestServer | undefined;
    try {
      const address = await freshAccount(first);
      const { id } = (await (
        await first.api("/api/v1/webhooks", {
          method: "POST",
          json: { url: receiver.url, events: ["message.received"] },
        })
      ).json()) as { id: number };
      await sendMail(
        first.ports.smtp!,
        "a@remote.example",
        [address],
        makeMessage({ subject: "survives", to: address }),
      );
      await eventually(() => receiver.received.length === 1, "the first (failing) attempt");
      await eventually(
        async () => (await webhookDeliveriesList(first!.store.read, id, { limit: 1 }))[0]?.attempts === 1,
        "the failed attempt to be recorded",
      );
      await first.stop();
      first = undefined;
      second = await startTestServer({ webhooksAllowPrivate: true }, { dataDir });
      await eventually(() => receiver.received.length === 2, "the delivery after the restart", {
        timeoutMs: 30_000,
      });
      expect(receiver.received[1]!.status).toBe(200);
      expect(receiver.received[1]!.headers["webhook-id"]).toBe(receiver.received[0]!.headers["webhook-id"]);
      expect(JSON.parse(receiver.received[1]!.body).data.subject).toBe("survives");
    } finally {
      await first?.stop();
      await second?.stop();
      rmSync(dataDir, { recursive: true, force: true });
      await receiver.close();
    }
  }, 60_000);
});

describe("where webhooks may go", () => {
  let strict: TestServer;

  beforeAll(async () => {
    strict = await startTestServer();
  });

  afterAll(async () => {
    await strict?.close();
  });

  test("loopback, private, link-local and localhost URLs are refused with a 422 unless MAILROOM_WEBHOOKS_ALLOW_PRIVATE", async () => {
    for (const url of [
      "http://127.0.0.1:8080/",
      "http://localhost/",
      "http://10.1.2.3/",
      "http://192.168.0.1/",
      "http://169.254.169.254/latest/meta-data",
      "http://[::1]/",
      "http://[::ffff:127.0.0.1]/",
      "http://[fd00::1]/",
    ]) {
      const problem = await expectProblem(
        await strict.api("/api/v1/webhooks", { method: "POST", json: { url, events: ["*"] } }),
        422,
      );
      expect(problem.detail).toContain("MAILROOM_WEBHOOKS_ALLOW_PRIVATE");
    }
  });

  test("the address check: RFC 6890 internal ranges, IPv4-mapped IPv6 judged as IPv4, public addresses pass", () => {
    for (const a of [
      "127.0.0.1",
      "10.0.0.1",
      "172.16.5.4",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "::1",
      "fe80::1",
      "fd12::1",
      "::ffff:7f00:1",
      "::ffff:10.0.0.1",
    ])
      expect([a, isInternalAddress(a)]).toEqual([a, true]);
    for (const a of ["192.0.2.10", "8.8.8.8", "2001:db8::1", "::ffff:808:808"])
      expect([a, isInternalAddress(a)]).toEqual([a, false]);
  });

  describe("DNS rebinding", () => {
    let knot: TestDnsServer;
    let dir: string;
    let store: Store;

    beforeAll(async () => {
      knot = await startDnsServer([
        { origin: "hooks.test", records: [{ name: "rebind", type: "A", ttl: 0, value: "192.0.2.10" }] },
      ]);
      dir = mkdtempSync(join(tmpdir(), "mailroom-rebind-"));
      store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
    });

    afterAll(async () => {
      await store?.close();
      await knot?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test("a name that resolved to a public address at creation and to loopback at send time is not sent to", async () => {
      const receiver = await startReceiver();
      let now = Date.now();
      const resolver = new DnsResolver({ servers: [knot.server], log: silentLogger, now: () => now });
      const bus = new EventBus();
      const dispatcher = new WebhookDispatcher({
        store,
        bus,
        log: silentLogger,
        resolver,
        allowPrivate: false,
      });
      await dispatcher.start();
      try {
        const port = new URL(receiver.url).port;
        // 192.0.2.10 (TEST-NET-1) passes the check; nothing is ever sent there (see below).
        const hook = await dispatcher.create({
          url: `http://rebind.hooks.test:${port}/hook`,
          events: ["*"],
          secret: `whsec_${Buffer.alloc(24, 1).toString("base64")}`,
        });
        await knot.setZone({
          origin: "hooks.test",
          records: [{ name: "rebind", type: "A", ttl: 0, value: "127.0.0.1" }],
        });
        // Past the cached answer (the resolver's clock, not a sleep).
        now += 5_000;
        bus.publish("message.received", "a@example.com", { subject: "rebound" });
        const delivery = await eventually(async () => {
          const [d] = await webhookDeliveriesList(store.read, hook.id, { limit: 1 });
          return d && d.attempts > 0 ? d : undefined;
        }, "the attempt to be recorded");
        expect(delivery.status).toBe("pending");
        expect(delivery.lastError).toContain("127.0.0.1");
        expect(delivery.lastStatus).toBeNull();
        expect(receiver.received).toEqual([]);
      } finally {
        await dispatcher.stop();
        await receiver.close();
      }
    });
  });
});
