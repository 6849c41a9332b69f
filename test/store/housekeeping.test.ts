/**
 * Database care: a clean stop leaves mailroom.db self-contained (WAL checkpointed and truncated),
 * auto_vacuum=INCREMENTAL on new and existing files, incremental vacuum after deletions, and the
 * bounded QRESYNC history with its fallback (RFC 7162 §3.2.5.2).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { parseMessage } from "../../src/mime/mod.ts";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import {
  accountCreate,
  accountGet,
  accountPrepare,
  domainCreate,
  mailboxGet,
  messageIngest,
  messagesExpunge,
  Store,
} from "../../src/store/mod.ts";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "mailroom-hk-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function storeWithMessages(path: string, count: number): Promise<Store> {
  const store = await Store.open(`file:${path}`, embeddedMigrations);
  const prepared = await accountPrepare({ address: "a@example.com", password: "secret" });
  await store.write(async (w) => {
    await domainCreate(w, "example.com", { ifMissing: true });
    await accountCreate(w, prepared);
  });
  const account = await accountGet(store.read, "a@example.com");
  await store.write(async (w) => {
    for (let i = 0; i < count; i++) {
      const raw = Buffer.from(`Subject: m${i}\r\n\r\n${"x".repeat(8000)}\r\n`);
      await messageIngest(w, { raw, parsed: parseMessage(raw), targets: [{ accountId: account.id }] });
    }
  });
  return store;
}

describe("stopping", () => {
  test("Store.close() checkpoints and truncates the WAL, so mailroom.db alone holds every table and message", async () => {
    const dir = tempDir();
    const path = join(dir, "mailroom.db");
    const store = await storeWithMessages(path, 1);
    await store.close();
    expect(!existsSync(`${path}-wal`) || statSync(`${path}-wal`).size === 0).toBe(true);
    // The main file copied alone (what a fault run saw with only tables in the WAL) is complete.
    const alone = join(tempDir(), "copy.db");
    copyFileSync(path, alone);
    const client = createClient({ url: `file:${alone}` });
    const rows = await client.execute("SELECT count(*) AS n FROM messages");
    expect(Number(rows.rows[0]!.n)).toBe(1);
    client.close();
  });
});

describe("auto_vacuum", () => {
  test("a new database is created with auto_vacuum=INCREMENTAL", async () => {
    const store = await Store.open(`file:${join(tempDir(), "new.db")}`, embeddedMigrations);
    expect(Number(Object.values((await store.execute("PRAGMA auto_vacuum"))[0]!)[0])).toBe(2);
    await store.close();
  });

  test("an existing database without auto_vacuum is vacuumed once into INCREMENTAL, keeping its data", async () => {
    const path = join(tempDir(), "old.db");
    const old = createClient({ url: `file:${path}` });
    await old.execute("CREATE TABLE keep (v TEXT)");
    await old.execute("INSERT INTO keep VALUES ('still here')");
    expect(Number((await old.execute("PRAGMA auto_vacuum")).rows[0]![0])).toBe(0);
    old.close();
    const store = await Store.open(`file:${path}`, embeddedMigrations);
    expect(Number(Object.values((await store.execute("PRAGMA auto_vacuum"))[0]!)[0])).toBe(2);
    expect((await store.execute("SELECT v FROM keep"))[0]!.v).toBe("still here");
    await store.close();
  });

  test("housekeep() gives the pages of deleted messages back to the file system", async () => {
    const path = join(tempDir(), "vac.db");
    const store = await storeWithMessages(path, 1000);
    const account = await accountGet(store.read, "a@example.com");
    const inbox = await mailboxGet(store.read, account.id, "INBOX");
    const uids = Array.from({ length: 1000 }, (_, i) => i + 1);
    await store.write((w) => messagesExpunge(w, inbox, uids));
    const pages = async () => Number(Object.values((await store.execute("PRAGMA page_count"))[0]!)[0]);
    const before = await pages();
    const report = await store.housekeep();
    expect(report.pagesFreed).toBeGreaterThan(0);
    expect(await pages()).toBeLessThan(before);
    expect(report.walPages).toBeGreaterThanOrEqual(0);
    await store.close();
  });
});

describe("bounded QRESYNC history", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  async function expungedRows(mailboxId: number): Promise<number> {
    const rows = await server.store.execute(
      `SELECT count(*) AS n FROM expunged WHERE mailbox_id = ${mailboxId}`,
    );
    return Number(rows[0]!.n);
  }

  test("housekeep() keeps only the newest expunged UIDs of a mailbox", async () => {
    const address = await freshAccount(server, { messages: 10 });
    const account = await accountGet(server.store.read, address);
    const inbox = await mailboxGet(server.store.read, account.id, "INBOX");
    for (const uid of [1, 2, 3, 4, 5, 6]) await server.store.write((w) => messagesExpunge(w, inbox, [uid]));
    expect(await expungedRows(inbox.id)).toBe(6);
    const report = await server.store.housekeep(2);
    expect(report.expungedPruned).toBe(4);
    expect(await expungedRows(inbox.id)).toBe(2);
  });

  test("SELECT (QRESYNC) from before the forgotten history reports every missing UID as VANISHED (EARLIER)", async () => {
    const address = await freshAccount(server, { messages: 10 });
    const account = await accountGet(server.store.read, address);
    const inbox = await mailboxGet(server.store.read, account.id, "INBOX");
    const since = (await mailboxGet(server.store.read, account.id, "INBOX")).highestModseq;
    for (const uid of [2, 3, 5, 8, 9]) await server.store.write((w) => messagesExpunge(w, inbox, [uid]));
    await server.store.housekeep(1);
    const client = await ImapClient.login(server.ports.imap!, address);
    await client.command("ENABLE QRESYNC");
    const r = await client.command(`SELECT INBOX (QRESYNC (${inbox.uidValidity} ${since}))`);
    expect(r.status).toBe("OK");
    expect(r.untagged).toContain("VANISHED (EARLIER) 2:3,5,8:9");
    // Limited to the UIDs the client says it knows (RFC 7162 §3.3.1 known-uids).
    await client.command("CLOSE");
    const k = await client.command(`SELECT INBOX (QRESYNC (${inbox.uidValidity} ${since} 1:4))`);
    expect(k.untagged).toContain("VANISHED (EARLIER) 2:3");
    // Within the history that is kept, the exact answer as before.
    const recent = await client.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${since + 4} VANISHED)`);
    expect(recent.untagged).toContain("VANISHED (EARLIER) 9");
    const old = await client.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${since} VANISHED)`);
    expect(old.untagged).toContain("VANISHED (EARLIER) 2:3,5,8:9");
    await client.close();
  });

  test("a clean server stop leaves no data in mailroom.db-wal", async () => {
    const s = await startTestServer({}, { dataDir: tempDir() });
    await freshAccount(s as TestServer, { messages: 3 });
    await s.stop();
    const wal = join(s.dataDir, "mailroom.db-wal");
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
  });
});
