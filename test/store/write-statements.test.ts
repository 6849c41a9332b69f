/**
 * The Writer's statements run straight on its transaction's connection (write-statements.ts): the
 * answers are the ones `@libsql/client` gave (rows by name, rowsAffected, lastInsertRowid), they see
 * the transaction's own writes and nobody else's (two stores in one process), a failing write in a
 * group still rolls back alone, and what the direct path cannot bind (booleans) goes through the
 * client.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import { blobBytes, rawOf, readFirst } from "../../src/store/db.ts";
import { Store } from "../../src/store/mod.ts";

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-write-statements-"));
  store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
  await store.write(async (w) => {
    await w.exec("CREATE TABLE probe (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, data BLOB, flag INTEGER)");
  });
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a write's statements run on its transaction's connection, not through the client", async () => {
  const result = await store.write((w) => w.exec({ sql: "SELECT 2 AS two", args: [] }));
  // The client's ResultSet carries `columns`; the kept statements' answer does not.
  expect(result.rows).toEqual([{ two: 2 }]);
  expect("columns" in result).toBe(false);
});

test("two stores in one process writing at once each write their own database", async () => {
  const otherDir = mkdtempSync(join(tmpdir(), "mailroom-write-statements-other-"));
  const other = await Store.open(`file:${join(otherDir, "mailroom.db")}`, embeddedMigrations);
  try {
    await other.write((w) =>
      w.exec("CREATE TABLE probe (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, data BLOB, flag INTEGER)"),
    );
    // Each job waits a real turn between its statements, so the two Writers' transactions overlap.
    const job = (s: Store, n: number) =>
      s.write(async (w) => {
        await w.exec({ sql: "INSERT INTO probe (n) VALUES (?)", args: [n] });
        await new Promise((r) => setTimeout(r, 1));
        await w.exec({ sql: "INSERT INTO probe (n) VALUES (?)", args: [n] });
      });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => [job(store, 500 + i), job(other, 600 + i)]).flat(),
    );
    const ns = async (s: Store) =>
      (
        await rawOf(s.read).execute({
          sql: "SELECT DISTINCT n FROM probe WHERE n >= 500 ORDER BY n",
          args: [],
        })
      ).rows.map((r) => Number(r.n));
    expect(await ns(store)).toEqual(Array.from({ length: 20 }, (_, i) => 500 + i));
    expect(await ns(other)).toEqual(Array.from({ length: 20 }, (_, i) => 600 + i));
  } finally {
    await other.close();
    rmSync(otherDir, { recursive: true, force: true });
  }
});

test("a write statement gives rowsAffected and lastInsertRowid, one with RETURNING its rows by name", async () => {
  const result = await store.write(async (w) => {
    const inserted = await w.exec({ sql: "INSERT INTO probe (n) VALUES (?)", args: [7] });
    const returned = await w.exec({ sql: "INSERT INTO probe (n) VALUES (?) RETURNING id, n", args: [8] });
    const updated = await w.exec({ sql: "UPDATE probe SET n = n + 1 WHERE n IN (?, ?)", args: [7, 8] });
    return { inserted, returned, updated };
  });
  expect(result.inserted.rowsAffected).toBe(1);
  expect(typeof result.inserted.lastInsertRowid).toBe("bigint");
  expect(result.returned.rows).toEqual([{ id: Number(result.inserted.lastInsertRowid) + 1, n: 8 }]);
  expect(result.updated.rowsAffected).toBe(2);
});

test("reads inside a write see the transaction's own uncommitted rows, by every raw read", async () => {
  const seen = await store.write(async (w) => {
    await w.exec({ sql: "INSERT INTO probe (n) VALUES (?)", args: [100] });
    const viaExec = (await w.exec({ sql: "SELECT count(*) AS c FROM probe WHERE n = ?", args: [100] }))
      .rows[0];
    const viaRaw = (
      await rawOf(w.tx).execute({ sql: "SELECT count(*) AS c FROM probe WHERE n = ?", args: [100] })
    ).rows[0];
    const viaFirst = await readFirst(w.tx, { sql: "SELECT count(*) FROM probe WHERE n = ?", args: [100] });
    return { viaExec, viaRaw, viaFirst };
  });
  expect(seen.viaExec).toEqual({ c: 1 });
  expect(seen.viaRaw).toEqual({ c: 1 });
  expect(seen.viaFirst).toEqual([1]);
});

test("a BLOB bound from a view into a larger buffer is stored as the view's bytes", async () => {
  const whole = Buffer.from("0123456789abcdef");
  await store.write((w) =>
    w.exec({ sql: "INSERT INTO probe (n, data) VALUES (?, ?)", args: [200, whole.subarray(4, 10)] }),
  );
  const row = await readFirst(store.read, { sql: "SELECT data FROM probe WHERE n = ?", args: [200] });
  expect(Buffer.from(blobBytes(row![0])).toString()).toBe("456789");
});

test("in a group, the write that fails rolls back alone and the others commit", async () => {
  const writes = [1, 2, 3].map((k) =>
    store.write(async (w) => {
      await w.exec({ sql: "INSERT INTO probe (n) VALUES (?)", args: [300 + k] });
      if (k === 2) await w.exec({ sql: "INSERT INTO probe (id, n) VALUES (1, 0)", args: [] }); // id 1 exists
    }),
  );
  const settled = await Promise.allSettled(writes);
  expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  const { rows } = await rawOf(store.read).execute({
    sql: "SELECT n FROM probe WHERE n > 300 AND n < 310 ORDER BY n",
    args: [],
  });
  expect(rows.map((r) => r.n)).toEqual([301, 303]);
});

test("arguments the direct path does not bind as they are (booleans) go through the client", async () => {
  await store.write((w) => w.exec({ sql: "INSERT INTO probe (n, flag) VALUES (?, ?)", args: [400, true] }));
  const row = await readFirst(store.read, { sql: "SELECT flag FROM probe WHERE n = ?", args: [400] });
  expect(row).toEqual([1]);
});
