/**
 * The store on a real libSQL file in a temp dir, through the real migrator: durability settings,
 * group commit, UIDs, UIDVALIDITY and expunge bookkeeping.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseMessage } from "../../src/mime/mod.ts";
import { EMBEDDED_SQL, embeddedMigrations } from "../../src/runtime/embedded.ts";
import { BUSY_TIMEOUT_MS, JOURNAL_SIZE_LIMIT_BYTES } from "../../src/store/connection-setup.ts";
import { rawOf } from "../../src/store/db.ts";
import {
  accountCreate,
  accountGet,
  accountPrepare,
  type Change,
  contentSlices,
  contentView,
  domainCreate,
  mailboxCreate,
  mailboxDelete,
  mailboxGet,
  mailboxRename,
  mailboxSnapshot,
  messageIngest,
  messagesExpunge,
  messagesOfMailbox,
  messagesUpdateFlags,
  SEEN,
  Store,
  StoreError,
} from "../../src/store/mod.ts";

let dir: string;
let store: Store;
let accountId: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-store-"));
  store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
  const prepared = await accountPrepare({ address: "u@example.com", password: "pw" });
  await store.write(async (w) => {
    await domainCreate(w, "example.com");
    return accountCreate(w, prepared);
  });
  accountId = (await accountGet(store.read, "u@example.com")).id;
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const raw = (n: number) => Buffer.from(`Subject: message ${n}\r\n\r\nbody ${n}\r\n`);

async function ingest(mailbox = "INBOX", n = 0) {
  const box = await mailboxGet(store.read, accountId, mailbox);
  const bytes = raw(n);
  const [m] = await store.write((w) =>
    messageIngest(w, {
      raw: bytes,
      parsed: parseMessage(bytes),
      targets: [{ accountId, mailboxId: box.id }],
    }),
  );
  return m!;
}

describe("durability", () => {
  test("the database runs in WAL mode with synchronous=FULL on every pooled connection", async () => {
    const journal = await store.execute("PRAGMA journal_mode");
    expect(String(journal[0]!.journal_mode).toLowerCase()).toBe("wal");
    // Several concurrent reads force the pool to open more connections; each must be FULL (2).
    const results = await Promise.all(Array.from({ length: 8 }, () => store.execute("PRAGMA synchronous")));
    for (const r of results) expect(Number(r[0]!.synchronous)).toBe(2);
  });

  test("every connection the store opens (the writer's, a second pool connection, the read connection) reports the per-connection settings", async () => {
    const settings =
      "SELECT * FROM pragma_synchronous, pragma_foreign_keys, pragma_busy_timeout, pragma_journal_size_limit";
    const expected = {
      synchronous: 2,
      foreign_keys: 1,
      timeout: BUSY_TIMEOUT_MS,
      journal_size_limit: JOURNAL_SIZE_LIMIT_BYTES,
    };
    const seen: Array<Record<string, unknown>> = [];
    // Inside a write, the Writer's transaction holds one pool connection, so store.execute() opens
    // (or borrows) another; rawOf(store.read) runs on the read connection.
    await store.write(async (w) => {
      seen.push((await w.exec(settings)).rows[0] as unknown as Record<string, unknown>);
      seen.push((await store.execute(settings))[0]!);
    });
    seen.push((await rawOf(store.read).execute(settings)).rows[0]!);
    expect(seen).toHaveLength(3);
    for (const row of seen) {
      expect({
        synchronous: Number(row.synchronous),
        foreign_keys: Number(row.foreign_keys),
        timeout: Number(row.timeout),
        journal_size_limit: Number(row.journal_size_limit),
      }).toEqual(expected);
    }
  });

  test("every migration in the journal has its SQL embedded", () => {
    const journal = JSON.parse(readFileSync("migrations/meta/_journal.json", "utf8")) as {
      entries: Array<{ tag: string }>;
    };
    for (const entry of journal.entries) {
      expect(EMBEDDED_SQL[entry.tag]).toBe(readFileSync(`migrations/${entry.tag}.sql`, "utf8"));
    }
  });

  test("opening a migrated database again applies nothing", async () => {
    expect(await Store.migrateOnly(`file:${join(dir, "mailroom.db")}`, embeddedMigrations)).toEqual([]);
  });
});

describe("group commit", () => {
  test("concurrent writes all commit and a failing one rolls back alone", async () => {
    const box = await mailboxGet(store.read, accountId, "INBOX");
    const before = (await messagesOfMailbox(store.read, box.id)).length;
    const writes = Array.from({ length: 50 }, (_, i) =>
      store.write(async (w) => {
        const bytes = raw(1000 + i);
        const added = await messageIngest(w, {
          raw: bytes,
          parsed: parseMessage(bytes),
          targets: [{ accountId, mailboxId: box.id }],
        });
        if (i === 7) throw new Error("this write fails after inserting");
        return added;
      }),
    );
    const results = await Promise.allSettled(writes);
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
    const after = await messagesOfMailbox(store.read, box.id);
    expect(after.length - before).toBe(49);
    const uids = after.map((m) => m.uid);
    expect([...uids].sort((a, b) => a - b)).toEqual(uids);
    expect(new Set(uids).size).toBe(uids.length);
  });

  test("changes are published after commit, and not for a write that failed", async () => {
    const seen: Change[] = [];
    const unsubscribe = store.changes.subscribe(accountId, (c) => seen.push(c));
    await ingest("INBOX", 1);
    await store
      .write(async (w) => {
        const box = await mailboxGet(w.tx, accountId, "INBOX");
        const bytes = raw(2);
        await messageIngest(w, {
          raw: bytes,
          parsed: parseMessage(bytes),
          targets: [{ accountId, mailboxId: box.id }],
        });
        throw new Error("roll back");
      })
      .catch(() => undefined);
    unsubscribe();
    expect(seen.filter((c) => c.kind === "message-added")).toHaveLength(1);
  });
});

describe("UIDs and MODSEQ", () => {
  test("UIDs are never reused after an expunge", async () => {
    await store.write((w) => mailboxCreate(w, accountId, "Work"));
    const a = await ingest("Work", 1);
    const b = await ingest("Work", 2);
    const box = await mailboxGet(store.read, accountId, "Work");
    await store.write((w) => messagesExpunge(w, box, [b.uid]));
    const c = await ingest("Work", 3);
    expect(a.uid).toBe(1);
    expect(b.uid).toBe(2);
    expect(c.uid).toBe(3);
    expect(
      (await store.execute(`SELECT uid FROM expunged WHERE mailbox_id = ${box.id}`)).map((r) => r.uid),
    ).toEqual([2]);
  });

  test("a flag change raises MODSEQ and HIGHESTMODSEQ; an unchanged flag does not", async () => {
    const m = await ingest("Work", 4);
    const box = await mailboxGet(store.read, accountId, "Work");
    const {
      changed: [changed],
    } = await store.write((w) =>
      messagesUpdateFlags(w, box.id, [m.uid], { mode: "add", flags: SEEN, keywords: [] }),
    );
    expect(changed!.modseq).toBeGreaterThan(m.modseq);
    expect((await mailboxGet(store.read, accountId, "Work")).highestModseq).toBe(changed!.modseq);
    const { changed: again } = await store.write((w) =>
      messagesUpdateFlags(w, box.id, [m.uid], { mode: "add", flags: SEEN, keywords: [] }),
    );
    expect(again).toHaveLength(0);
  });

  test("a mailbox deleted and re-created gets a new UIDVALIDITY", async () => {
    const first = await store.write((w) => mailboxCreate(w, accountId, "Temp"));
    await store.write((w) => mailboxDelete(w, accountId, "Temp"));
    const second = await store.write((w) => mailboxCreate(w, accountId, "Temp"));
    expect(second.uidValidity).not.toBe(first.uidValidity);
  });

  test("renaming INBOX moves its messages into the new mailbox and leaves INBOX empty", async () => {
    await ingest("INBOX", 5);
    const inbox = await mailboxGet(store.read, accountId, "INBOX");
    const count = (await messagesOfMailbox(store.read, inbox.id)).length;
    const moved = await store.write((w) => mailboxRename(w, accountId, "inbox", "Old mail"));
    expect((await messagesOfMailbox(store.read, moved.id)).length).toBe(count);
    expect(await messagesOfMailbox(store.read, inbox.id)).toHaveLength(0);
  });

  test("renaming a mailbox renames its children", async () => {
    await store.write((w) => mailboxCreate(w, accountId, "Projects/Alpha"));
    await store.write((w) => mailboxCreate(w, accountId, "Projects"));
    await store.write((w) => mailboxRename(w, accountId, "Projects", "Done"));
    expect((await mailboxGet(store.read, accountId, "Done/Alpha")).name).toBe("Done/Alpha");
  });

  test("INBOX cannot be deleted", async () => {
    const error = await store.write((w) => mailboxDelete(w, accountId, "INBOX")).catch((e) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("forbidden");
  });
});

describe("flag changes", () => {
  const keywords = (n: number, prefix = "$K") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

  test("messagesUpdateFlags() refuses to take a message past 100 keywords and writes nothing", async () => {
    const m = await ingest("Work", 20);
    const box = await mailboxGet(store.read, accountId, "Work");
    await store.write((w) =>
      messagesUpdateFlags(w, box.id, [m.uid], { mode: "add", flags: 0, keywords: keywords(60) }),
    );
    const refused = store.write((w) =>
      messagesUpdateFlags(w, box.id, [m.uid], { mode: "add", flags: SEEN, keywords: keywords(41, "$L") }),
    );
    await expect(refused).rejects.toMatchObject({ code: "invalid" });
    const [now] = (await messagesOfMailbox(store.read, box.id)).filter((x) => x.uid === m.uid);
    expect(now!.keywords).toEqual(keywords(60));
    expect(now!.flags).toBe(0);
  });

  test("messagesUpdateFlags() still sets \\Seen on a message stored with more than 100 keywords", async () => {
    const box = await mailboxGet(store.read, accountId, "Work");
    const bytes = raw(21);
    const [m] = await store.write((w) =>
      messageIngest(w, {
        raw: bytes,
        parsed: parseMessage(bytes),
        targets: [{ accountId, mailboxId: box.id, keywords: keywords(120) }],
      }),
    );
    const { changed } = await store.write((w) =>
      messagesUpdateFlags(w, box.id, [m!.uid], { mode: "add", flags: SEEN, keywords: [] }),
    );
    expect(changed.map((c) => [c.uid, c.flags, c.keywords.length])).toEqual([[m!.uid, SEEN, 120]]);
  });

  test("flag changes and expunges take more UIDs than one IN list holds", async () => {
    await store.write((w) => mailboxCreate(w, accountId, "Many"));
    const box = await mailboxGet(store.read, accountId, "Many");
    const bytes = raw(22);
    const parsed = parseMessage(bytes);
    await store.write(async (w) => {
      for (let i = 0; i < 1201; i++) {
        await messageIngest(w, { raw: bytes, parsed, targets: [{ accountId, mailboxId: box.id }] });
      }
    });
    const uids = (await messagesOfMailbox(store.read, box.id)).map((m) => m.uid);
    const { changed } = await store.write((w) =>
      messagesUpdateFlags(w, box.id, uids, { mode: "add", flags: SEEN, keywords: [] }),
    );
    expect(changed.map((c) => c.uid)).toEqual(uids);
    expect(new Set(changed.map((c) => c.modseq)).size).toBe(1);
    const removed = await store.write((w) => messagesExpunge(w, box, uids));
    expect(removed).toEqual(uids);
    expect(await messagesOfMailbox(store.read, box.id)).toEqual([]);
  });
});

describe("contents", () => {
  test("contentSlices() reads byte ranges in the order asked, empty and 8-bit ones included", async () => {
    const box = await mailboxGet(store.read, accountId, "INBOX");
    const bytes = Buffer.concat([Buffer.from("Subject: s\r\n\r\n"), Buffer.from([0x00, 0xff, 0x80, 0x41])]);
    const [m] = await store.write((w) =>
      messageIngest(w, {
        raw: bytes,
        parsed: parseMessage(bytes),
        targets: [{ accountId, mailboxId: box.id }],
      }),
    );
    const ranges: Array<[number, number]> = [
      [14, 18],
      [0, 10],
      [5, 5],
      [17, 18],
      ...Array.from({ length: 250 }, (_, i): [number, number] => [i % 18, 18]),
    ];
    const slices = await contentSlices(store.read, m!.contentId, ranges);
    expect(slices!.map((s) => Buffer.from(s).toString("hex"))).toEqual(
      ranges.map(([a, b]) => bytes.subarray(a, b).toString("hex")),
    );
  });

  test("contentView() gives the stored parse, the header and the bodies asked for, small or large", async () => {
    const box = await mailboxGet(store.read, accountId, "INBOX");
    const line = "0123456789abcdef\r\n";
    for (const lines of [3, 10_000]) {
      const bytes = Buffer.from(
        "Subject: view\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
          `--b\r\n\r\n${line.repeat(lines)}--b\r\nContent-Type: text/html\r\n\r\n<p>${line}--b--\r\n`,
      );
      const parsed = parseMessage(bytes);
      const [m] = await store.write((w) =>
        messageIngest(w, { raw: bytes, parsed, targets: [{ accountId, mailboxId: box.id }] }),
      );
      const view = await contentView(store.read, m!.contentId, (s) => [s.children[1]!]);
      expect(view).toMatchObject({ headerEnd: parsed.headerEnd, subject: "view", date: null });
      expect(view!.structure).toEqual(parsed.structure);
      expect(view!.envelope).toEqual(parsed.envelope);
      expect(Buffer.from(view!.header).equals(bytes.subarray(0, parsed.headerEnd))).toBe(true);
      expect([...view!.bodies.entries()].map(([p, b]) => [p.partId, Buffer.from(b).toString()])).toEqual([
        // The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
        ["2", "<p>0123456789abcdef"],
      ]);
    }
  });

  test("contentSlices() and contentView() of a content that is gone are undefined", async () => {
    expect(await contentSlices(store.read, 999_999, [[0, 1]])).toBeUndefined();
    expect(await contentSlices(store.read, 999_999, [])).toBeUndefined();
    expect(await contentView(store.read, 999_999, () => [])).toBeUndefined();
  });
});

describe("UID cache", () => {
  test("mailboxSnapshot() UIDs from the cache follow every add and expunge", async () => {
    const box = await store.write((w) => mailboxCreate(w, accountId, "Cached"));
    for (let i = 0; i < 5; i++) await ingest("Cached", i);
    const first = await mailboxSnapshot(store.read, accountId, "Cached", store.uidCache);
    expect(first!.uids).toEqual([1, 2, 3, 4, 5]);
    await store.write((w) => messagesExpunge(w, box, [2, 4]));
    await ingest("Cached", 6);
    const second = await mailboxSnapshot(store.read, accountId, "Cached", store.uidCache);
    expect(second!.uids).toEqual([1, 3, 5, 6]);
    // The cached answer equals a fresh read from the database.
    const fresh = await mailboxSnapshot(store.read, accountId, "Cached");
    expect(fresh!.uids).toEqual(second!.uids);
    // A caller mutating its copy does not disturb the cache.
    second!.uids.pop();
    expect((await mailboxSnapshot(store.read, accountId, "Cached", store.uidCache))!.uids).toEqual([
      1, 3, 5, 6,
    ]);
  });
});
