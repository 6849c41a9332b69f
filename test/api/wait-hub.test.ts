/**
 * The wait hub's ordering and bounds (src/api/wait-hub.ts) on a real store: a message committed
 * right after the wait's query ran (the window a wait-then-subscribe design loses) is still the
 * answer; an overflowing queue of added messages makes every waiter look again instead of missing;
 * waits are bounded and leave the hub when their signal aborts.
 *
 * The window is made to happen every time: the store's read side is wrapped so that, after the
 * wait's own query has run and before its result comes back, a real delivery commits.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InStatement } from "@libsql/client";
import { TooManyWaits, WaitHub } from "../../src/api/wait-hub.ts";
import { silentLogger } from "../../src/log.ts";
import { parseMessage } from "../../src/mime/mod.ts";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import {
  accountCreate,
  accountPrepare,
  domainCreate,
  messageIngest,
  type Reader,
  Store,
} from "../../src/store/mod.ts";

let dir: string;
let store: Store;
let accountId: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-wait-hub-"));
  store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
  const prepared = await accountPrepare({ address: "hub@example.com", password: "secret" });
  accountId = (
    await store.write(async (w) => {
      await domainCreate(w, "example.com");
      return accountCreate(w, prepared);
    })
  ).id;
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function deliver(...subjects: string[]): Promise<unknown> {
  return store.write(async (w) => {
    for (const subject of subjects) {
      const raw = Buffer.from(`From: a@b.example\r\nSubject: ${subject}\r\n\r\nbody\r\n`);
      await messageIngest(w, {
        raw,
        parsed: parseMessage(raw),
        targets: [{ accountId, mailboxName: "INBOX" }],
      });
    }
  });
}

/**
 * The store with its read side wrapped: the first query that looks for the first match (the
 * wait's own) runs, then `between` runs (and commits), then the query's result is returned.
 */
function storeWithDeliveryAfterQuery(between: () => Promise<unknown>): Store {
  const db = store.read as unknown as { $client: { execute(s: InStatement): Promise<unknown> } };
  const client = db.$client;
  let armed = true;
  const hooked = {
    async execute(statement: InStatement) {
      const result = await client.execute(statement);
      const sql = typeof statement === "string" ? statement : statement.sql;
      if (armed && /ORDER BY m\.id ASC/.test(sql)) {
        armed = false;
        await between();
      }
      return result;
    },
  };
  const read = new Proxy(db, {
    get: (target, key) => (key === "$client" ? hooked : Reflect.get(target, key)),
  });
  return { read: read as unknown as Reader, changes: store.changes } as unknown as Store;
}

test("a message committed after the wait's query ran, before its answer came back, is the answer", async () => {
  const hub = new WaitHub({
    store: storeWithDeliveryAfterQuery(() => deliver("in the window")),
    log: silentLogger,
  });
  const found = await hub.wait({ subject: "in the window" }, { timeoutMs: 3_000 });
  expect(found?.subject).toBe("in the window");
  expect(hub.size).toBe(0);
});

test("when the queue of added messages overflows, waiters look in the store again and miss nothing", async () => {
  const hub = new WaitHub({ store, log: silentLogger, limits: { maxPendingAdds: 1 } });
  const wait = hub.wait({ subject: "overflow five" }, { timeoutMs: 3_000 });
  // Let the waiter's own query run first (it settles within the microtasks before setImmediate
  // fires), so that only the hub can see the new messages.
  await new Promise((r) => setImmediate(r));
  await deliver("overflow one", "overflow two", "overflow three", "overflow four", "overflow five");
  expect((await wait)?.subject).toBe("overflow five");
});

test("waits past maxWaits throw TooManyWaits; an aborted wait ends at once and leaves the hub", async () => {
  const hub = new WaitHub({ store, log: silentLogger, limits: { maxWaits: 2 } });
  const controllers = [new AbortController(), new AbortController()];
  const waits = controllers.map((c) =>
    hub.wait({ subject: "never" }, { timeoutMs: 60_000, signal: c.signal }),
  );
  expect(hub.size).toBe(2);
  await expect(hub.wait({ subject: "never" }, { timeoutMs: 10 })).rejects.toBeInstanceOf(TooManyWaits);
  for (const c of controllers) c.abort();
  expect(await Promise.all(waits)).toEqual([undefined, undefined]);
  expect(hub.size).toBe(0);
});

test("a wait whose timeout is 0 still answers from what is stored", async () => {
  await deliver("zero timeout");
  const hub = new WaitHub({ store, log: silentLogger });
  expect((await hub.wait({ subject: "zero timeout" }, { timeoutMs: 0 }))?.subject).toBe("zero timeout");
});

test("a wait on body text that joins while added messages are read without their text does not take them", async () => {
  let joined: Promise<unknown> | undefined;
  const db = store.read as unknown as { $client: { execute(s: InStatement): Promise<unknown> } };
  const client = db.$client;
  let hub: WaitHub | undefined;
  const hooked = {
    async execute(statement: InStatement) {
      const sql = typeof statement === "string" ? statement : statement.sql;
      // While the hub reads the added message (for a waiter on the subject alone, so without its
      // text), a second waiter on the same subject and other body text joins.
      if (!joined && /IN \(VALUES/.test(sql))
        joined = hub!.wait({ subject: "text join", text: "not in the body" }, { timeoutMs: 300 });
      return client.execute(statement);
    },
  };
  const read = new Proxy(db, {
    get: (target, key) => (key === "$client" ? hooked : Reflect.get(target, key)),
  });
  hub = new WaitHub({ store: { read, changes: store.changes } as unknown as Store, log: silentLogger });
  const first = hub.wait({ subject: "text join" }, { timeoutMs: 3_000 });
  await new Promise((r) => setImmediate(r));
  await deliver("text join");
  expect((await first)?.subject).toBe("text join");
  expect(joined).toBeDefined();
  expect(await joined).toBeUndefined();
});
