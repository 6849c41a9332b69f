/**
 * A backup of a large database does not stop the server: while POST /api/v1/backups copies a
 * ~120 MB database (in a child process, src/backup/child.ts), /healthz and an IMAP NOOP keep
 * answering within 250 ms, housekeeping's checkpoint does not wait for the copy's reader, SMTP
 * deliveries go on, and the backup holds every message acknowledged before it was asked for.
 * (Taken in the server process, the copy held the event loop for its whole length: see the figures
 * in the commit that moved it.)
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseMessage } from "../../src/mime/mod.ts";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import {
  accountCreate,
  accountGet,
  accountPrepare,
  domainCreate,
  mailboxGet,
  messageIngest,
  Store,
} from "../../src/store/mod.ts";
import { eventually } from "../harness/eventually.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";
import { inboxSubjects } from "../harness/subjects.ts";

/** The bound the brief sets for any answer while a backup runs. */
const MAX_STALL_MS = 250;
/** Messages of the fixture and the size of each body: ~120 MB of database with the search index. */
const FIXTURE_MESSAGES = 1000;
const FIXTURE_BODY_BYTES = 40_000;

const dirs: string[] = [];
let dataDir: string;
let server: TestServer;

/** Fills a new database with FIXTURE_MESSAGES messages for big@example.com, through the store. */
async function fixture(dir: string): Promise<number> {
  const url = `file:${join(dir, "mailroom.db")}`;
  const store = await Store.open(url, embeddedMigrations);
  try {
    const prepared = await accountPrepare({ address: "big@example.com", password: "secret" });
    await store.write(async (w) => {
      await domainCreate(w, "example.com", { ifMissing: true });
      return accountCreate(w, prepared);
    });
    const account = await accountGet(store.read, "big@example.com");
    const inbox = await mailboxGet(store.read, account.id, "INBOX");
    const line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor\r\n";
    for (let i = 0; i < FIXTURE_MESSAGES; i += 100) {
      const batch: Buffer[] = [];
      for (let j = i; j < Math.min(FIXTURE_MESSAGES, i + 100); j++) {
        let body = `message ${j}\r\n`;
        while (body.length < FIXTURE_BODY_BYTES) body += `${j} ${line}`;
        batch.push(Buffer.from(`From: a${j % 97}@example.org\r\nSubject: filler ${j}\r\n\r\n${body}`));
      }
      await store.write(async (w) => {
        for (const raw of batch)
          await messageIngest(w, {
            raw,
            parsed: parseMessage(raw),
            targets: [{ accountId: account.id, mailboxId: inbox.id }],
          });
      });
    }
  } finally {
    await store.close();
  }
  return statSync(join(dir, "mailroom.db")).size;
}

/** Subjects of the INBOX of `address` in a database file (read from a copy: opening writes). */
function subjectsIn(file: string, address: string): Promise<Set<string>> {
  const dir = mkdtempSync(join(tmpdir(), "mailroom-backup-read-"));
  dirs.push(dir);
  copyFileSync(file, join(dir, "mailroom.db"));
  return inboxSubjects(join(dir, "mailroom.db"), address);
}

/** Runs `probe` back to back until `until` settles; returns the longest single answer (ms) and how many. */
async function longest(
  probe: () => Promise<void>,
  until: Promise<unknown>,
): Promise<{ max: number; n: number }> {
  let done = false;
  until.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  let max = 0;
  let n = 0;
  while (!done) {
    const started = performance.now();
    await probe();
    max = Math.max(max, performance.now() - started);
    n++;
    // A turn of the event loop between probes, so that `done` can be seen.
    await new Promise<void>((r) => setImmediate(r));
  }
  return { max, n };
}

let databaseBytes = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "mailroom-backup-serving-"));
  dirs.push(dataDir);
  databaseBytes = await fixture(dataDir);
  server = await startTestServer({}, { dataDir });
}, 180_000);

afterAll(async () => {
  await server?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("during POST /api/v1/backups of a ~120 MB database, /healthz and IMAP NOOP answer within 250 ms and the backup has every message acknowledged before it", async () => {
  const imap = await ImapClient.login(server.ports.imap!, "big@example.com");
  expect((await imap.command("SELECT INBOX")).status).toBe("OK");

  // Live deliveries before, during and after the backup.
  const acknowledged: string[] = [];
  let stop = false;
  let sent = 0;
  const sender = async (lane: number) => {
    while (!stop) {
      const subject = `live ${lane}-${sent++}`;
      const r = await sendMail(
        server.ports.smtp!,
        "sender@remote.test",
        ["big@example.com"],
        `Subject: ${subject}\r\n\r\nbody\r\n`,
      );
      if (r.code === 250) acknowledged.push(subject);
    }
  };
  const lanes = [1, 2].map(sender);
  await eventually(() => acknowledged.length >= 20, "20 deliveries before the backup");

  const before = [...acknowledged];
  const started = performance.now();
  const backup = server.api("/api/v1/backups", { method: "POST" });
  const health = longest(async () => {
    const r = await fetch(`http://127.0.0.1:${server.ports.http}/healthz`);
    expect(r.status).toBe(200);
    await r.arrayBuffer();
  }, backup);
  const noop = longest(async () => {
    expect((await imap.command("NOOP")).status).toBe("OK");
  }, backup);
  // Housekeeping while the copy's read transaction is open: its checkpoint must not wait for it.
  const backupsDir = join(dataDir, "backups");
  await eventually(() => {
    try {
      return readdirSync(backupsDir).some((n) => n.endsWith(".partial"));
    } catch {
      return false;
    }
  }, "the copy has begun");
  const duringBefore = acknowledged.length;
  const housekeepStarted = performance.now();
  await server.store.housekeep();
  const housekeepMs = performance.now() - housekeepStarted;

  const response = await backup;
  const elapsed = performance.now() - started;
  const duringBackup = acknowledged.length - duringBefore;
  const [h, n] = await Promise.all([health, noop]);
  stop = true;
  await Promise.all(lanes);
  await imap.close();
  expect(response.status).toBe(201);
  const created = (await response.json()) as { name: string; bytes: number; messages: number; ms: number };
  console.log(
    `backup of a ${databaseBytes}-byte database: ${created.bytes} bytes, ${created.messages} messages, ${created.ms} ms (request ${Math.round(elapsed)} ms); ` +
      `longest /healthz ${Math.round(h.max)} ms over ${h.n} requests, longest IMAP NOOP ${Math.round(n.max)} ms over ${n.n}, ` +
      `housekeeping during the copy ${Math.round(housekeepMs)} ms, ${duringBackup}+ deliveries acknowledged during the copy`,
  );
  expect(h.max).toBeLessThan(MAX_STALL_MS);
  expect(n.max).toBeLessThan(MAX_STALL_MS);
  expect(housekeepMs).toBeLessThan(MAX_STALL_MS);

  const subjects = await subjectsIn(join(backupsDir, created.name), "big@example.com");
  for (const s of before) expect(subjects.has(s)).toBe(true);
  expect(subjects.has("filler 0") && subjects.has(`filler ${FIXTURE_MESSAGES - 1}`)).toBe(true);
}, 180_000);
