/**
 * Migration 0005 on a database written by the release before it: subscriptions move from the
 * mailbox rows to their own table, messages already there count as claimed for \Recent, and each
 * mailbox's keyword set is read from its messages. The real migrator, on a real file.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import { Store } from "../../src/store/mod.ts";
import { migrationDir, migrationsUpTo } from "../harness/migrations.ts";

const dir = migrationDir();

describe("migration 0009_imap_recent_sort_search (subscriptions, \\Recent, keywords)", () => {
  test("moves subscriptions, claims existing messages for \\Recent and collects keywords", async () => {
    const url = `file:${join(dir.path, "old.db")}`;
    const old = await Store.open(url, migrationsUpTo("0004_save_date_quota_messages"));
    await old.execute("INSERT INTO domains (name) VALUES ('example.com')");
    await old.execute(
      "INSERT INTO accounts (address, domain_id, password_hash) VALUES ('u@example.com', 1, 'x')",
    );
    await old.execute(`INSERT INTO mailboxes (account_id, name, uid_validity, uid_next, subscribed) VALUES
      (1, 'INBOX', 1, 4, 1), (1, 'Hidden', 2, 1, 0), (1, 'Work', 3, 3, 1)`);
    await old.execute(
      "INSERT INTO contents (size, header_end, envelope, structure) VALUES (1, 0, '{}', '{}')",
    );
    await old.execute(`INSERT INTO messages (account_id, mailbox_id, uid, modseq, content_id, keywords, internal_date, size) VALUES
      (1, 1, 1, 1, 1, '["$Work","Urgent"]', 0, 1), (1, 1, 2, 1, 1, '[]', 0, 1), (1, 1, 3, 1, 1, '["$Work"]', 0, 1),
      (1, 3, 1, 1, 1, '[]', 0, 1), (1, 3, 2, 1, 1, '[]', 0, 1)`);
    await old.close();

    const store = await Store.open(url, embeddedMigrations);
    expect(await store.execute("SELECT account_id, name FROM subscriptions ORDER BY name")).toEqual([
      { account_id: 1, name: "INBOX" },
      { account_id: 1, name: "Work" },
    ]);
    expect(await store.execute("SELECT name, recent_uid, keywords FROM mailboxes ORDER BY id")).toEqual([
      { name: "INBOX", recent_uid: 3, keywords: '["$Work","Urgent"]' },
      { name: "Hidden", recent_uid: 0, keywords: "[]" },
      { name: "Work", recent_uid: 2, keywords: "[]" },
    ]);
    const columns = await store.execute("SELECT name FROM pragma_table_info('mailboxes')");
    expect(columns.map((c) => c.name)).not.toContain("subscribed");
    await store.close();
  });
});
