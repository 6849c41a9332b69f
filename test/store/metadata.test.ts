/**
 * METADATA annotations in the store (store/metadata.ts) on a real libSQL file through the real
 * migrator: set, replace, remove, depth, the per-account limits, the change published after commit,
 * and their life with the mailbox and the account.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import {
  accountCreate,
  accountDelete,
  accountGet,
  accountPrepare,
  type Change,
  domainCreate,
  METADATA_LIMITS,
  mailboxCreate,
  mailboxDelete,
  metadataGet,
  metadataSet,
  SERVER_METADATA,
  Store,
  StoreError,
} from "../../src/store/mod.ts";

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-metadata-"));
  store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
  await store.write((w) => domainCreate(w, "example.com"));
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
async function account(): Promise<{ id: number; address: string }> {
  const address = `m${++counter}@example.com`;
  const prepared = await accountPrepare({ address, password: "pw" });
  await store.write((w) => accountCreate(w, prepared));
  return { id: (await accountGet(store.read, address)).id, address };
}

const v = (s: string) => Buffer.from(s);

test("metadataSet() stores, replaces and removes entries; metadataGet() follows DEPTH", async () => {
  const { id } = await account();
  const set = (entries: Array<{ name: string; value: Buffer | null }>) =>
    store.write((w) => metadataSet(w, id, { mailboxId: SERVER_METADATA, entries }));
  await set([
    { name: "/private/a", value: v("1") },
    { name: "/private/a/b", value: v("2") },
    { name: "/private/a/b/c", value: v("3") },
  ]);
  await set([{ name: "/private/a", value: v("one") }]);
  const get = (depth: 0 | 1 | "infinity") =>
    metadataGet(store.read, id, { mailboxId: SERVER_METADATA, names: ["/private/a"], depth });
  expect((await get(0)).map((e) => [e.name, e.value.toString()])).toEqual([["/private/a", "one"]]);
  expect((await get(1)).map((e) => e.name)).toEqual(["/private/a", "/private/a/b"]);
  expect((await get("infinity")).map((e) => e.name)).toEqual([
    "/private/a",
    "/private/a/b",
    "/private/a/b/c",
  ]);
  await set([{ name: "/private/a/b", value: null }]);
  expect((await get("infinity")).map((e) => e.name)).toEqual(["/private/a", "/private/a/b/c"]);
  // "_" in a name is itself, not LIKE's any-character.
  await set([
    { name: "/private/u_v/c", value: v("1") },
    { name: "/private/uxv/c", value: v("2") },
  ]);
  const under = await metadataGet(store.read, id, {
    mailboxId: SERVER_METADATA,
    names: ["/private/u_v"],
    depth: "infinity",
  });
  expect(under.map((e) => e.name)).toEqual(["/private/u_v/c"]);
});

test("metadataSet() publishes metadata-changed after commit with the names that changed", async () => {
  const { id } = await account();
  const seen: Change[] = [];
  const stop = store.changes.subscribe(id, (c) => seen.push(c));
  await store.write((w) =>
    metadataSet(w, id, { mailboxId: SERVER_METADATA, entries: [{ name: "/shared/x", value: v("x") }] }),
  );
  // Removing what is not there changes nothing and says nothing.
  await store.write((w) =>
    metadataSet(w, id, { mailboxId: SERVER_METADATA, entries: [{ name: "/shared/none", value: null }] }),
  );
  stop();
  expect(seen).toEqual([{ kind: "metadata-changed", accountId: id, mailboxId: null, names: ["/shared/x"] }]);
});

test("a value over the limit and an entry beyond the account's count are refused, all or nothing", async () => {
  const { id } = await account();
  const big = Buffer.alloc(METADATA_LIMITS.maxValueBytes + 1, 0x61);
  const tooBig = store.write((w) =>
    metadataSet(w, id, { mailboxId: SERVER_METADATA, entries: [{ name: "/private/big", value: big }] }),
  );
  await expect(tooBig).rejects.toBeInstanceOf(StoreError);
  const entries = Array.from({ length: METADATA_LIMITS.maxEntriesPerAccount + 1 }, (_, i) => ({
    name: `/private/n${i}`,
    value: v("v"),
  }));
  const tooMany = store.write((w) => metadataSet(w, id, { mailboxId: SERVER_METADATA, entries }));
  await expect(tooMany).rejects.toMatchObject({ code: "limit" });
  const names = entries.map((e) => e.name);
  expect(await metadataGet(store.read, id, { mailboxId: SERVER_METADATA, names, depth: 0 })).toEqual([]);
});

test("a mailbox's annotations go with DELETE; an account's go with the account", async () => {
  const { id, address } = await account();
  const box = await store.write((w) => mailboxCreate(w, id, "Notes"));
  await store.write((w) =>
    metadataSet(w, id, { mailboxId: box.id, entries: [{ name: "/private/comment", value: v("c") }] }),
  );
  await store.write((w) =>
    metadataSet(w, id, {
      mailboxId: SERVER_METADATA,
      entries: [{ name: "/private/comment", value: v("s") }],
    }),
  );
  await store.write((w) => mailboxDelete(w, id, "Notes"));
  const names = ["/private/comment"];
  expect(await metadataGet(store.read, id, { mailboxId: box.id, names, depth: 0 })).toEqual([]);
  expect((await metadataGet(store.read, id, { mailboxId: SERVER_METADATA, names, depth: 0 })).length).toBe(1);
  await store.write((w) => accountDelete(w, address));
  expect(await metadataGet(store.read, id, { mailboxId: SERVER_METADATA, names, depth: 0 })).toEqual([]);
});
