/**
 * The \Recent watermark (src/store/recent.ts) on a real store: each UID goes to one read-write view,
 * read-only views only look, and the watermark reaches mailboxes.recent_uid behind the claims.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import {
  accountCreate,
  accountPrepare,
  domainCreate,
  mailboxGet,
  mailboxSnapshot,
  Store,
} from "../../src/store/mod.ts";
import { eventually } from "../harness/eventually.ts";

let dir: string;
let store: Store;
let inboxId: number;
let accountId: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-recent-"));
  store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
  const prepared = await accountPrepare({ address: "r@example.com", password: "pw" });
  const account = await store.write(async (w) => {
    await domainCreate(w, "example.com");
    return accountCreate(w, prepared);
  });
  accountId = account.id;
  inboxId = (await mailboxGet(store.read, account.id, "INBOX")).id;
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("RecentClaims", () => {
  test("each UID goes to one read-write view; a read-only one sees what is left", () => {
    const a = store.recent.open(inboxId, 0);
    const b = store.recent.open(inboxId, 0);
    expect(b.peek(5)).toEqual({ from: 1, to: 5 });
    expect(a.claim(5)).toEqual({ from: 1, to: 5 });
    expect(b.claim(5)).toBeUndefined();
    expect(b.peek(5)).toBeUndefined();
    expect(b.claim(7)).toEqual({ from: 6, to: 7 });
    expect(a.claim(7)).toBeUndefined();
    a.close();
    b.close();
    // A later opener, even one that read an older value from the database, starts above.
    const c = store.recent.open(inboxId, 3);
    expect(c.claim(7)).toBeUndefined();
    c.close();
  });

  test("the watermark is written behind to the mailbox row and read back by SELECT's snapshot", async () => {
    const view = store.recent.open(inboxId, 0);
    view.claim(12);
    view.close();
    // Written behind, one write at a time per mailbox: wait for the one that carries 12.
    const snapshot = await eventually(
      async () => {
        const s = await mailboxSnapshot(store.read, accountId, "INBOX");
        return s?.recentUid === 12 && s;
      },
      () => "recent_uid 12 in the mailbox row",
    );
    expect(snapshot.recentUid).toBe(12);
    expect(store.recent.unwrittenAll().has(inboxId)).toBe(false);
  });

  test("Store.close() writes the last watermark first, however many claims were still queued", async () => {
    const url = `file:${join(dir, "closing.db")}`;
    const first = await Store.open(url, embeddedMigrations);
    const prepared = await accountPrepare({ address: "c@example.com", password: "pw" });
    const account = await first.write(async (w) => {
      await domainCreate(w, "example.com");
      return accountCreate(w, prepared);
    });
    const id = (await mailboxGet(first.read, account.id, "INBOX")).id;
    const view = first.recent.open(id, 0);
    for (let uid = 1; uid <= 5; uid++) view.claim(uid);
    view.close();
    await first.close();
    const again = await Store.open(url, embeddedMigrations);
    expect((await mailboxSnapshot(again.read, account.id, "INBOX"))?.recentUid).toBe(5);
    await again.close();
  });
});
