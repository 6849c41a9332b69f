/**
 * Migration 0009 (SORT/THREAD keys and the trigram search index) on a database written by
 * the release before them: the index is filled from the stored search text in the migration, and
 * the sort keys, which SQL cannot derive, are derived at startup. The real migrator, on a real file.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import { Store } from "../../src/store/mod.ts";
import { migrationDir, migrationsUpTo } from "../harness/migrations.ts";

const dir = migrationDir();

test("an older database gets its search index filled and its sort keys derived", async () => {
  const url = `file:${join(dir.path, "old.db")}`;
  const old = await Store.open(url, migrationsUpTo("0008_housekeeping"));
  const header = "Message-ID: <m@x>\r\nReferences: <p@x>\r\nSubject: Re: Quarterly figures\r\n\r\n";
  const envelope = JSON.stringify({
    subject: "Re: Quarterly figures",
    messageId: "<m@x>",
    from: null,
    to: null,
    cc: null,
  });
  await old.execute(
    `INSERT INTO contents (size, header_end, envelope, structure, search_headers, search_text) VALUES
      (${header.length}, ${header.length}, '${envelope}', '{}', 'subject: re: quarterly figures', 'the numbers inside')`,
  );
  await old.execute(
    `INSERT INTO blobs (content_id, data) VALUES (1, X'${Buffer.from(header).toString("hex")}')`,
  );
  await old.close();

  const store = await Store.open(url, embeddedMigrations);
  await store.sortKeysReady();
  expect(
    await store.execute(`SELECT rowid FROM contents_fts WHERE contents_fts MATCH 'headers : "rterly fig"'`),
  ).toEqual([{ rowid: 1 }]);
  expect(
    await store.execute(`SELECT rowid FROM contents_fts WHERE contents_fts MATCH 'body : "rterly"'`),
  ).toEqual([]);
  expect(
    await store.execute(
      "SELECT k.base_subject, c.is_reply, c.message_id, c.refs, c.sort_version FROM contents c JOIN sort_keys k ON k.content_id = c.id",
    ),
  ).toEqual([
    { base_subject: "QUARTERLY FIGURES", is_reply: 1, message_id: "<m@x>", refs: "<p@x>", sort_version: 1 },
  ]);
  await store.close();
});
