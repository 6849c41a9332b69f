/**
 * SEARCH's trigram index written behind delivery (store/search-indexer.ts) on a real store: a message
 * is a candidate from its commit on, indexed or not; the index catches up in batches and moves the
 * watermark; contents left unindexed by a process that stopped are indexed at the next start; a
 * content gone before its batch is not indexed; the header a delivery hands over indexes as the one
 * read back from the blob, and a rolled-back delivery hands none over; a database from before
 * migration 0015 counts as indexed.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseMessage } from "../../src/mime/mod.ts";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import {
  accountCreate,
  accountPrepare,
  domainCreate,
  messageIngest,
  messagesTextCandidates,
  Store,
} from "../../src/store/mod.ts";
import { SEARCH_INDEX_BATCH } from "../../src/store/search-indexer.ts";
import { migrationsUpTo } from "../harness/migrations.ts";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-search-indexer-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function openWithAccount(name: string, migrations = embeddedMigrations) {
  const store = await Store.open(`file:${join(dir, name)}`, migrations);
  const prepared = await accountPrepare({ address: "s@example.com", password: "pw" });
  const account = await store.write(async (w) => {
    await domainCreate(w, "example.com");
    return accountCreate(w, prepared);
  });
  return { store, accountId: account.id };
}

async function deliver(store: Store, accountId: number, subject: string, body = "body") {
  const raw = Buffer.from(`Subject: ${subject}\r\nFrom: ann@example.org\r\n\r\n${body}\r\n`);
  const [added] = await store.write((w) =>
    messageIngest(w, { raw, parsed: parseMessage(raw), targets: [{ accountId }] }),
  );
  return added!;
}

async function indexed(store: Store): Promise<{ rows: number; upto: number }> {
  const [fts] = await store.execute("SELECT count(*) AS n FROM contents_fts");
  const [meta] = await store.execute("SELECT value FROM meta WHERE key = 'search_indexed_upto'");
  return { rows: Number(fts!.n), upto: Number(meta!.value) };
}

/** As a process killed before its batch leaves a database: the rows and the watermark behind, nothing handed over. */
async function forgetIndexAndReopen(store: Store, name: string): Promise<Store> {
  await store.execute("DELETE FROM contents_fts");
  await store.execute("UPDATE meta SET value = '0' WHERE key = 'search_indexed_upto'");
  await store.close();
  return Store.open(`file:${join(dir, name)}`, embeddedMigrations);
}

/** The content ids whose indexed header text matches `phrase`. */
async function headerMatches(store: Store, phrase: string): Promise<number[]> {
  const rows = await store.execute(
    `SELECT rowid FROM contents_fts WHERE contents_fts MATCH 'headers : "${phrase}"' ORDER BY rowid`,
  );
  return rows.map((row) => Number(row.rowid));
}

test("a delivered message is a candidate before and after its batch, which moves the watermark", async () => {
  const { store, accountId } = await openWithAccount("behind.db");
  try {
    const quiet = await deliver(store, accountId, "quarterly figures", "the numbers inside");
    const other = await deliver(store, accountId, "lunch", "soup");
    const needle = [{ column: "any" as const, needle: "quarterly" }];
    // Indexed or not yet (the batch waits for more deliveries): the exact check decides, so the
    // message must be among the candidates either way.
    expect(await messagesTextCandidates(store.read, quiet.mailboxId, needle)).toContain(quiet.uid);
    await store.searchIndexSettled();
    expect(await indexed(store)).toEqual({ rows: 2, upto: other.contentId });
    expect(await messagesTextCandidates(store.read, quiet.mailboxId, needle)).toEqual([quiet.uid]);
    const body = await store.execute(
      `SELECT rowid FROM contents_fts WHERE contents_fts MATCH 'body : "soup"'`,
    );
    expect(body).toEqual([{ rowid: other.contentId }]);
  } finally {
    await store.close();
  }
});

test("contents a stopped process left unindexed are indexed at the next start, in batches", async () => {
  const name = "restart.db";
  const { store, accountId } = await openWithAccount(name);
  const count = SEARCH_INDEX_BATCH + 7;
  for (let i = 0; i < count; i++) await deliver(store, accountId, `note ${i}`);
  await store.searchIndexSettled();
  const again = await forgetIndexAndReopen(store, name);
  try {
    await again.searchIndexSettled();
    const [max] = await again.execute("SELECT max(id) AS id FROM contents");
    expect(await indexed(again)).toEqual({ rows: count, upto: Number(max!.id) });
  } finally {
    await again.close();
  }
});

test("the header a delivery hands over is indexed as the one read back from the blob after a restart", async () => {
  const name = "handed.db";
  const { store, accountId } = await openWithAccount(name);
  const phrases = ["quarterly", "ann@example.org", "subject: lunch"];
  await deliver(store, accountId, "quarterly figures");
  await deliver(store, accountId, "lunch");
  await store.searchIndexSettled();
  const handedOver = await Promise.all(phrases.map((p) => headerMatches(store, p)));
  expect(handedOver.map((ids) => ids.length)).toEqual([1, 2, 1]);
  // Nothing handed over after the restart: the headers come from the blobs.
  const again = await forgetIndexAndReopen(store, name);
  try {
    await again.searchIndexSettled();
    expect(await Promise.all(phrases.map((p) => headerMatches(again, p)))).toEqual(handedOver);
  } finally {
    await again.close();
  }
});

test("a delivery that rolled back hands over no header, even when the next content gets its id", async () => {
  const { store, accountId } = await openWithAccount("rolled-back.db");
  try {
    const raw = Buffer.from("Subject: ghost\r\nFrom: ann@example.org\r\n\r\nboo\r\n");
    const failed = store.write(async (w) => {
      await messageIngest(w, { raw, parsed: parseMessage(raw), targets: [{ accountId }] });
      throw new Error("refused after the ingest");
    });
    await expect(failed).rejects.toThrow("refused after the ingest");
    const real = await deliver(store, accountId, "real");
    await store.searchIndexSettled();
    expect(await headerMatches(store, "ghost")).toEqual([]);
    expect(await headerMatches(store, "real")).toEqual([real.contentId]);
  } finally {
    await store.close();
  }
});

test("a content gone before its batch is not indexed", async () => {
  const { store, accountId } = await openWithAccount("gone.db");
  try {
    const kept = await deliver(store, accountId, "kept");
    const gone = await deliver(store, accountId, "gone");
    // Removed in one write right after delivery, before the batch's delay has passed.
    await store.execute(`DELETE FROM messages WHERE id = ${gone.id}`);
    await store.execute(`DELETE FROM contents WHERE id = ${gone.contentId}`);
    await store.searchIndexSettled();
    const rows = await store.execute("SELECT rowid FROM contents_fts ORDER BY rowid");
    expect(rows).toEqual([{ rowid: kept.contentId }]);
  } finally {
    await store.close();
  }
});

test("a database from before migration 0015 counts as indexed up to its last content", async () => {
  const name = "old.db";
  const { store: old, accountId } = await openWithAccount(
    name,
    migrationsUpTo("0014_contents_sort_keys_out"),
  );
  const raw = Buffer.from("Subject: old\r\n\r\nx\r\n");
  await old.write((w) => messageIngest(w, { raw, parsed: parseMessage(raw), targets: [{ accountId }] }));
  // That release indexed at delivery; this one's indexer finds no watermark row on it and leaves it.
  await old.searchIndexSettled();
  const [content] = await old.execute("SELECT max(id) AS id FROM contents");
  await old.execute(
    `INSERT INTO contents_fts (rowid, headers, body) VALUES (${content!.id}, 'subject: old', 'x')`,
  );
  await old.close();
  const store = await Store.open(`file:${join(dir, name)}`, embeddedMigrations);
  try {
    await store.searchIndexSettled();
    expect(await indexed(store)).toEqual({ rows: 1, upto: Number(content!.id) });
  } finally {
    await store.close();
  }
});
