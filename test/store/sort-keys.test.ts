/**
 * The SORT/THREAD keys on a real store: delivery stores them on the content and gives the message a
 * THREADID through its references (RFC 8474 §5.2); contents from before the columns existed
 * (sort_version 0) get them derived at startup, in batches, before sortKeysReady() settles.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseMessage } from "../../src/mime/mod.ts";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import { accountCreate, accountPrepare, domainCreate, messageIngest, Store } from "../../src/store/mod.ts";
import { SORT_KEYS_BATCH } from "../../src/store/sort-keys-backfill.ts";

let dir: string;
let url: string;
let store: Store;
let accountId: number;

async function deliver(header: string): Promise<void> {
  const raw = Buffer.from(`${header.replace(/\n/g, "\r\n")}\r\n\r\nbody\r\n`);
  await store.write((w) => messageIngest(w, { raw, parsed: parseMessage(raw), targets: [{ accountId }] }));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-sortkeys-"));
  url = `file:${join(dir, "mailroom.db")}`;
  store = await Store.open(url, embeddedMigrations);
  const prepared = await accountPrepare({ address: "s@example.com", password: "pw" });
  const account = await store.write(async (w) => {
    await domainCreate(w, "example.com");
    return accountCreate(w, prepared);
  });
  accountId = account.id;
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test("delivery stores the keys and threads a reply with its parent, not an unrelated message", async () => {
  await deliver('Message-ID: <p@x>\nSubject: Re: [list] Plan\nFrom: "Ann" <ann@x.org>');
  await deliver("Message-ID: <q@x>\nReferences: <p@x>\nSubject: Re: Plan");
  await deliver("Message-ID: <r@x>\nSubject: Plan");
  const rows = await store.execute(
    "SELECT k.base_subject, c.is_reply, k.display_from, c.message_id, c.refs, c.sort_version, m.thread_id FROM messages m JOIN contents c ON c.id = m.content_id JOIN sort_keys k ON k.content_id = c.id ORDER BY m.uid",
  );
  expect(
    rows.map((r) => [r.base_subject, r.is_reply, r.display_from, r.message_id, r.refs, r.sort_version]),
  ).toEqual([
    ["PLAN", 1, "ANN", "<p@x>", "", 1],
    ["PLAN", 1, "", "<q@x>", "<p@x>", 1],
    ["PLAN", 0, "", "<r@x>", "", 1],
  ]);
  expect(rows[1]!.thread_id).toBe(rows[0]!.thread_id);
  expect(rows[2]!.thread_id).not.toBe(rows[0]!.thread_id);
});

test("contents without keys (an older release) get them at the next startup, in batches", async () => {
  const extra = SORT_KEYS_BATCH + 20;
  for (let i = 0; i < extra; i++) await deliver(`Message-ID: <b${i}@x>\nSubject: Fwd: batch ${i}`);
  // As an older release stored them: the Message-ID in the envelope itself, not a reference to the
  // message_id column (content-codec.ts), which that release did not fill.
  await store.execute(
    "UPDATE contents SET envelope = json_array(envelope, 1, 1, 0, 0, 1, 0, 0, 0, message_id) WHERE json_type(envelope) = 'integer'",
  );
  await store.execute(
    "UPDATE contents SET envelope = json_set(envelope, '$[9]', message_id) WHERE json_extract(envelope, '$[9]') = 1",
  );
  await store.execute("UPDATE contents SET sort_version = 0, is_reply = 0, message_id = '', refs = ''");
  await store.execute("UPDATE sort_keys SET base_subject = '', display_from = ''");
  await store.close();
  store = await Store.open(url, embeddedMigrations);
  await store.sortKeysReady();
  const left = await store.execute("SELECT count(*) AS n FROM contents WHERE sort_version = 0");
  expect(left[0]!.n).toBe(0);
  const rows = await store.execute(
    "SELECT k.base_subject, c.is_reply, c.message_id, c.refs, k.display_from FROM contents c JOIN sort_keys k ON k.content_id = c.id ORDER BY c.id",
  );
  expect(rows.length).toBe(3 + extra);
  expect(rows[0]).toEqual({
    base_subject: "PLAN",
    is_reply: 1,
    message_id: "<p@x>",
    refs: "",
    display_from: "ANN",
  });
  expect(rows[1]!.refs).toBe("<p@x>");
  expect(rows[3 + extra - 1]).toEqual({
    base_subject: `BATCH ${extra - 1}`,
    is_reply: 1,
    message_id: `<b${extra - 1}@x>`,
    refs: "",
    display_from: "",
  });
}, 60_000);
