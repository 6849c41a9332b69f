/**
 * Bytes on disk per message (issue 12: <= 2x raw for small messages, not counting the full-text
 * index). Delivers N small messages (~360 bytes each with the trace headers SMTP delivery prepends)
 * through the one ingest path (messageIngest, in commit groups as the delivery writer makes them),
 * then reads SQLite's dbstat virtual table and prints, per table and index, the bytes per message
 * (pages in use, and the payload stored in them), the raw bytes per message and the ratio.
 *
 *   bun bench/storage.ts [--messages 100000] [--group 100] [--checkout DIR] [--keep]
 *
 * `--checkout DIR` ingests with another checkout's src/ (an export of another commit with a
 * node_modules), to print the before and after of a storage change from one program.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import Database from "libsql";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "100000" },
    group: { type: "string", default: "100" },
    checkout: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const count = Number(values.messages);
const group = Number(values.group);
const root = resolve(values.checkout ?? join(import.meta.dir, ".."));

const mime = await import(join(root, "src/mime/mod.ts"));
const store = await import(join(root, "src/store/mod.ts"));
const { embeddedMigrations } = await import(join(root, "src/runtime/embedded.ts"));
const { traceHeaders } = await import(join(root, "src/smtp/trace-headers.ts"));

const words = ["meeting", "invoice", "lunch", "report", "update", "question", "reminder", "photos", "plan"];

/** A small everyday message as SMTP delivery stores it: our trace headers, then what the client sent. */
function smallMessage(n: number): Buffer {
  const date = new Date(Date.UTC(2026, 10, 26, 10) + n * 37_000);
  const trace = traceHeaders({
    mailFrom: `s${n % 97}@remote.example`,
    helo: "remote.example",
    clientAddress: "127.0.0.1",
    clientHostname: "[127.0.0.1]",
    by: "mx.example.com",
    protocol: "ESMTP",
    id: `${(n * 2654435761).toString(36).slice(0, 10)}`,
    recipients: ["user@example.com"],
    date,
    utf8: false,
  });
  const word = words[n % words.length];
  const head =
    `From: Sam ${n % 97} <s${n % 97}@remote.example>\r\nTo: user@example.com\r\n` +
    `Subject: ${word} ${n}\r\nDate: ${date.toUTCString().replace("GMT", "+0000")}\r\n` +
    `Message-ID: <${n}@remote.example>\r\n\r\n`;
  return Buffer.from(`${trace}${head}About the ${word}: see you at ${n % 24}.\r\n`);
}

const dir = mkdtempSync(join(tmpdir(), "mailroom-bench-storage-"));
const file = join(dir, "mailroom.db");
const s = await store.Store.open(`file:${file}`, embeddedMigrations);
const prepared = await store.accountPrepare({ address: "user@example.com", password: "secret" });
const accountId = await s.write(async (w: never) => {
  await store.domainCreate(w, prepared.domain, { ifMissing: true });
  return (await store.accountCreate(w, prepared)).id;
});

let rawBytes = 0;
const t0 = performance.now();
for (let start = 0; start < count; start += group) {
  const batch = Array.from({ length: Math.min(group, count - start) }, (_, i) => {
    const raw = smallMessage(start + i);
    rawBytes += raw.byteLength;
    return { raw, parsed: mime.parseMessage(raw) };
  });
  await s.write(async (w: never) => {
    for (const m of batch) {
      await store.messageIngest(w, {
        ...m,
        targets: [{ accountId, mailboxName: "INBOX" }],
        enforceQuota: true,
      });
    }
  });
}
const ingestSeconds = (performance.now() - t0) / 1000;
await s.close();

const db = new Database(file);
db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
const owners = new Map<string, string>(
  (
    db.prepare("SELECT name, tbl_name FROM sqlite_schema").all() as Array<{ name: string; tbl_name: string }>
  ).map((r) => [r.name, r.tbl_name]),
);
const objects = db
  .prepare(
    "SELECT name, sum(pgsize) AS bytes, sum(payload) AS payload FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC",
  )
  .all() as Array<{ name: string; bytes: number; payload: number }>;
const pageSize = Number((db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size);
const freePages = Number(
  (db.prepare("PRAGMA freelist_count").get() as { freelist_count: number }).freelist_count,
);
db.close();

/** The full-text index and its shadow tables (contents_fts, contents_fts_data, ...): reported apart. */
const isFts = (name: string) => name.startsWith("contents_fts");
const per = (bytes: number) => (bytes / count).toFixed(1);
console.log(`${count} messages, raw ${per(rawBytes)} bytes each, ingest ${ingestSeconds.toFixed(1)} s`);
console.log("object (table or index of table)                bytes/msg  payload/msg");
let total = 0;
let fts = 0;
for (const o of objects) {
  if (o.bytes < pageSize * 4 && !isFts(o.name)) {
    total += o.bytes;
    continue;
  }
  if (isFts(o.name)) fts += o.bytes;
  else total += o.bytes;
  const owner = owners.get(o.name);
  const label = owner && owner !== o.name ? `${o.name} (index of ${owner})` : o.name;
  console.log(`${label.padEnd(48)} ${per(o.bytes).padStart(9)}  ${per(o.payload).padStart(11)}`);
}
const fileBytes = statSync(file).size;
console.log(`all but the full-text index: ${per(total)} bytes/msg, ${(total / rawBytes).toFixed(2)}x raw`);
console.log(`full-text index (contents_fts*): ${per(fts)} bytes/msg, ${(fts / rawBytes).toFixed(2)}x raw`);
console.log(
  `database file: ${(fileBytes / 1e6).toFixed(1)} MB (${per(fileBytes)} bytes/msg, ${(fileBytes / rawBytes).toFixed(2)}x raw; ${freePages} free pages)`,
);
if (values.keep) console.log(`kept: ${dir}`);
else rmSync(dir, { recursive: true, force: true });
