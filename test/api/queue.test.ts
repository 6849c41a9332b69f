/**
 * /api/v1/queue over real HTTP: list (paged), get, retry now, delete (with and without a bounce).
 * The server's only route leads to a port where nothing listens, so queued mail stays deferred.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { accountGet } from "../../src/store/mod.ts";
import { eventually } from "../harness/eventually.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";
import { readDsn } from "../smtp/dsn-report.ts";
import { expectProblem } from "./helpers.ts";

let server: TestServer;

interface QueueItemBody {
  id: number;
  sender: string;
  recipient: string;
  domain: string;
  status: "queued" | "deferred";
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  message?: { size: number; subject: string; from: string } | null;
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 9;
}

beforeAll(async () => {
  server = await startTestServer({
    routes: [{ domain: "*", host: "127.0.0.1", port: await closedPort() }],
    queueRetry: [3_600_000],
  });
  await createAccounts(server, [{ address: "alice@example.com", password: "alice-pw" }]);
});

afterAll(async () => {
  await server.close();
});

/** Submits on port 587 as alice; returns when the message is queued (250). */
async function submit(to: string[], subject: string): Promise<void> {
  const { client } = await SmtpClient.connect(server.ports.submission!);
  try {
    await client.command("EHLO client.test");
    const auth = await client.command(
      `AUTH PLAIN ${Buffer.from("\0alice@example.com\0alice-pw").toString("base64")}`,
    );
    expect(auth.code).toBe(235);
    expect((await client.command("MAIL FROM:<alice@example.com>")).code).toBe(250);
    for (const rcpt of to) expect((await client.command(`RCPT TO:<${rcpt}>`)).code).toBe(250);
    const sent = await client.data(
      `From: alice@example.com\r\nTo: ${to.join(", ")}\r\nSubject: ${subject}\r\n\r\nHi.\r\n`,
    );
    expect(sent.code).toBe(250);
  } finally {
    await client.close();
  }
}

async function list(query = ""): Promise<{ items: QueueItemBody[]; next: string | null }> {
  const res = await server.api(`/api/v1/queue${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { items: QueueItemBody[]; next: string | null };
}

async function itemOf(recipient: string): Promise<QueueItemBody> {
  const found = (await list("?limit=500")).items.find((i) => i.recipient === recipient);
  if (!found) throw new Error(`${recipient} is not queued`);
  return found;
}

/** Polls GET /queue/{id} (every 20 ms, hard deadline) until `check` holds. */
function until(id: number, check: (item: QueueItemBody) => boolean): Promise<QueueItemBody> {
  let item: QueueItemBody | undefined;
  return eventually(
    async () => {
      const res = await server.api(`/api/v1/queue/${id}`);
      item = (await res.json()) as QueueItemBody;
      return res.status === 200 && check(item) && item;
    },
    () => `queue item ${id} to get there (last seen: ${JSON.stringify(item)})`,
  );
}

describe("without the admin token", () => {
  test("every queue route answers 401 problem+json", async () => {
    for (const [method, path] of [
      ["GET", "/api/v1/queue"],
      ["GET", "/api/v1/queue/1"],
      ["POST", "/api/v1/queue/1/retry"],
      ["DELETE", "/api/v1/queue/1"],
    ] as const) {
      await expectProblem(await server.api(path, { method, headers: { authorization: "" } }), 401);
    }
  });
});

describe("GET /api/v1/queue", () => {
  test("lists one item per remote recipient, with attempts, next attempt and last error", async () => {
    await submit(["one@remote.example", "two@other.example"], "Listed");
    const one = await until((await itemOf("one@remote.example")).id, (i) => i.attempts >= 1);
    expect(one).toMatchObject({
      sender: "alice@example.com",
      recipient: "one@remote.example",
      domain: "remote.example",
      status: "deferred",
      attempts: 1,
    });
    expect(one.lastError).toMatch(/ECONNREFUSED|refused/i);
    expect(one.nextAttemptAt).toBeGreaterThan(Date.now() + 3_000_000);
    expect((await itemOf("two@other.example")).domain).toBe("other.example");
  });

  test("pages with limit and an opaque cursor; a forged cursor is a 400", async () => {
    await submit(["p1@remote.example", "p2@remote.example", "p3@remote.example"], "Paged");
    const all = (await list("?limit=500")).items.map((i) => i.id);
    const seen: number[] = [];
    let query = "?limit=2";
    for (;;) {
      const page = await list(query);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.id));
      if (!page.next) break;
      query = `?limit=2&cursor=${page.next}`;
    }
    expect(seen).toEqual(all);
    await expectProblem(await server.api("/api/v1/queue?cursor=bm90LW91cnM"), 400);
    await expectProblem(await server.api("/api/v1/queue?limit=0"), 422);
  });

  test("an unknown query parameter is 422 naming it, like on the other routes", async () => {
    const body = await expectProblem(await server.api("/api/v1/queue?limt=2"), 422);
    expect(body.detail).toContain("limt");
  });
});

describe("GET /api/v1/queue/{id}", () => {
  test("shows the item with its message's size, subject and From", async () => {
    await submit(["detail@remote.example"], "Details");
    const { id } = await itemOf("detail@remote.example");
    const res = await server.api(`/api/v1/queue/${id}`);
    expect(res.status).toBe(200);
    const item = (await res.json()) as QueueItemBody;
    expect(item.recipient).toBe("detail@remote.example");
    expect(item.message).toMatchObject({ subject: "Details", from: "alice@example.com" });
    expect(item.message!.size).toBeGreaterThan(50);
  });

  test("an unknown or malformed id is 404", async () => {
    await expectProblem(await server.api("/api/v1/queue/999999"), 404);
    await expectProblem(await server.api("/api/v1/queue/abc"), 404);
  });
});

describe("POST /api/v1/queue/{id}/retry", () => {
  test("makes the item due now: the runner tries it at once and counts the attempt", async () => {
    await submit(["retry@remote.example"], "Retry");
    const { id } = await itemOf("retry@remote.example");
    const before = await until(id, (i) => i.attempts >= 1);
    const res = await server.api(`/api/v1/queue/${id}/retry`, { method: "POST" });
    expect(res.status).toBe(204);
    const after = await until(id, (i) => i.attempts === before.attempts + 1);
    expect(after.nextAttemptAt).toBeGreaterThan(Date.now() + 3_000_000);
  });

  test("an unknown id is 404", async () => {
    await expectProblem(await server.api("/api/v1/queue/999999/retry", { method: "POST" }), 404);
  });
});

describe("DELETE /api/v1/queue/{id}", () => {
  test("drops the item without telling anyone by default", async () => {
    await submit(["drop@remote.example"], "Drop");
    const { id } = await itemOf("drop@remote.example");
    const inboxBefore = (await mailboxContents(server, "alice@example.com")).length;
    expect((await server.api(`/api/v1/queue/${id}`, { method: "DELETE" })).status).toBe(204);
    await expectProblem(await server.api(`/api/v1/queue/${id}`), 404);
    await expectProblem(await server.api(`/api/v1/queue/${id}`, { method: "DELETE" }), 404);
    expect((await mailboxContents(server, "alice@example.com")).length).toBe(inboxBefore);
  });

  test("with ?bounce=true the sender gets a DSN in the same commit", async () => {
    await submit(["bounce@remote.example"], "Bounce me");
    const { id } = await itemOf("bounce@remote.example");
    const account = await accountGet(server.store.read, "alice@example.com");
    const arrived = new Promise<void>((resolve) => {
      const stop = server.store.changes.subscribe(account.id, (change) => {
        if (change.kind === "message-added") {
          stop();
          resolve();
        }
      });
    });
    expect((await server.api(`/api/v1/queue/${id}?bounce=true`, { method: "DELETE" })).status).toBe(204);
    await arrived;
    await expectProblem(await server.api(`/api/v1/queue/${id}`), 404);
    const inbox = await mailboxContents(server, "alice@example.com");
    const dsn = readDsn(inbox[inbox.length - 1]!.raw);
    expect(dsn.recipients[0]).toMatchObject({
      "final-recipient": "rfc822; bounce@remote.example",
      action: "failed",
      status: "5.0.0",
    });
    expect(dsn.recipients[0]!["diagnostic-code"]).toContain("removed from the queue by the administrator");
    expect(dsn.returned).toContain("Subject: Bounce me");
  });

  test("a bounce value other than true or false is 422", async () => {
    await expectProblem(await server.api("/api/v1/queue/1?bounce=yes", { method: "DELETE" }), 422);
  });

  test("an unknown query parameter is 422 naming it, like on the other routes", async () => {
    const body = await expectProblem(
      await server.api("/api/v1/queue/1?bounse=true", { method: "DELETE" }),
      422,
    );
    expect(body.detail).toContain("bounse");
  });
});
