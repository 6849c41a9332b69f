/**
 * Migrations 0013-0014 (issue 12, bytes on disk) on a database written by the release before them:
 * the string sort keys move to table sort_keys, the header search text is dropped (SEARCH derives it
 * from the stored header), a body search text equal to the lower-cased preview is stored once, and
 * the object-form envelope and structure of those rows still read. The real migrator, on a real file.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { parseMessage } from "../../src/mime/mod.ts";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import {
  accountCreate,
  accountPrepare,
  contentView,
  domainCreate,
  mailboxGet,
  messagesSearchRows,
  messagesSorted,
  Store,
} from "../../src/store/mod.ts";
import { migrationDir, migrationsUpTo } from "../harness/migrations.ts";

const dir = migrationDir();

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

test("an older database keeps its sort keys, search texts, envelopes and structures", async () => {
  const url = `file:${join(dir.path, "old.db")}`;
  const old = await Store.open(url, migrationsUpTo("0011_namespaces_webhooks"));
  const prepared = await accountPrepare({ address: "user@example.com", password: "secret" });
  const accountId = await old.write(async (w) => {
    await domainCreate(w, prepared.domain, { ifMissing: true });
    return (await accountCreate(w, prepared)).id;
  });
  const mailboxId = (await mailboxGet(old.read, accountId, "INBOX")).id;
  const texts = [
    "From: Ann <ann@x.example>\r\nSubject: Zebra crossing\r\nMessage-ID: <z@x>\r\n\r\nMeet at the Zebra.\r\n",
    "From: Bob <bob@x.example>\r\nSubject: Apple pie\r\nMessage-ID: <a@x>\r\n\r\nBring the Äpfel.\r\n",
  ];
  for (const [i, text] of texts.entries()) {
    const raw = Buffer.from(text);
    const p = parseMessage(raw);
    const k = p.sortKeys;
    // As the release before stored it: objects as JSON, both search texts, the keys on the row.
    await old.execute(
      `INSERT INTO contents (id, size, header_end, envelope, structure, subject, preview, search_headers, search_text,
         sort_version, base_subject, is_reply, sort_from, sort_to, sort_cc, display_from, display_to, message_id, refs)
       VALUES (${i + 1}, ${raw.length}, ${p.headerEnd}, ${q(JSON.stringify(p.envelope))}, ${q(JSON.stringify(p.structure))},
         ${q(p.subject)}, ${q(p.preview)}, ${q(p.searchHeaders)}, ${q(p.searchText)}, 1, ${q(k.baseSubject)}, 0,
         ${q(k.sortFrom)}, ${q(k.sortTo)}, ${q(k.sortCc)}, ${q(k.displayFrom)}, ${q(k.displayTo)}, ${q(k.messageId)}, '')`,
    );
    await old.execute(`INSERT INTO blobs (content_id, data) VALUES (${i + 1}, X'${raw.toString("hex")}')`);
    await old.execute(
      `INSERT INTO messages (account_id, mailbox_id, uid, modseq, content_id, internal_date, size)
       VALUES (${accountId}, ${mailboxId}, ${i + 1}, 1, ${i + 1}, 0, ${raw.length})`,
    );
  }
  await old.close();

  const store = await Store.open(url, embeddedMigrations);
  await store.sortKeysReady();
  expect(
    await store.execute("SELECT content_id, base_subject, sort_from FROM sort_keys ORDER BY content_id"),
  ).toEqual([
    { content_id: 1, base_subject: "ZEBRA CROSSING", sort_from: "ANN" },
    { content_id: 2, base_subject: "APPLE PIE", sort_from: "BOB" },
  ]);
  expect(await messagesSorted(store.read, mailboxId, [{ key: "SUBJECT", reverse: false }])).toEqual([2, 1]);
  // ASCII-only text is its lower-cased preview and is stored once; "Äpfel" is not what lower() gives.
  expect(await store.execute("SELECT id, search_text FROM contents ORDER BY id")).toEqual([
    { id: 1, search_text: "" },
    { id: 2, search_text: "bring the äpfel." },
  ]);
  const rows = await messagesSearchRows(store.read, mailboxId, { searchHeaders: true, searchText: true });
  expect(rows.map((r) => [r.searchHeaders, r.searchText])).toEqual(
    texts.map((t) => {
      const p = parseMessage(Buffer.from(t));
      return [p.searchHeaders, p.searchText];
    }),
  );
  const view = await contentView(store.read, 1, (s) => [s]);
  expect(view?.envelope).toEqual(parseMessage(Buffer.from(texts[0]!)).envelope);
  expect(view?.structure).toEqual(parseMessage(Buffer.from(texts[0]!)).structure);
  await store.close();
});
