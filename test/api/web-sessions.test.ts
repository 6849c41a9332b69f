/**
 * SessionStore (issue 17): durable web sign-in sessions in the real database. Fresh ids, expiry when
 * idle and when old, a bounded number, the id itself never stored, and a session ends when what it
 * was signed in with changes (password, disabled, admin token).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accountMayReach } from "../../src/api/auth.ts";
import { type Session, SessionStore } from "../../src/api/ui/sessions.ts";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import { rawOf } from "../../src/store/db.ts";
import {
  accountCreate,
  accountPrepare,
  accountUpdate,
  domainCreate,
  passwordHash,
  Store,
  webSessionCount,
} from "../../src/store/mod.ts";

let dir: string;
let store: Store;
const TOKEN = "admin-token-for-sessions";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-web-sessions-"));
  store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
  for (const address of ["bob@example.com", "eve@example.com"]) {
    const prepared = await accountPrepare({ address, password: "old-password" });
    await store.write(async (w) => {
      await domainCreate(w, prepared.domain, { ifMissing: true });
      return accountCreate(w, prepared);
    });
  }
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const sessions = (options: Partial<ConstructorParameters<typeof SessionStore>[0]> = {}) =>
  new SessionStore({ store, adminToken: TOKEN, ...options });

async function made(s: SessionStore, principal: Session["principal"], replacing?: string): Promise<Session> {
  const session = await s.create(principal, replacing);
  if (!session) throw new Error("no session made");
  return session;
}

test("SessionStore.create() makes a new id and CSRF token each time and ends the session it replaces", async () => {
  const s = sessions();
  const a = await made(s, { kind: "admin" });
  const b = await made(s, { kind: "admin" }, a.id);
  expect(b.id).not.toBe(a.id);
  expect(b.csrf).not.toBe(a.csrf);
  expect(b.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(await s.get(a.id)).toBeUndefined();
  expect((await s.get(b.id))?.principal).toEqual({ kind: "admin" });
  expect((await s.get(b.id))?.csrf).toBe(b.csrf);
});

test("a session outlives its SessionStore (a restart), and the database holds a hash of its id, not the id", async () => {
  const a = await made(sessions(), { kind: "account", address: "bob@example.com" });
  const again = await sessions().get(a.id);
  expect(again?.principal).toEqual({ kind: "account", address: "bob@example.com" });
  expect(again?.csrf).toBe(a.csrf);
  const { rows } = await rawOf(store.read).execute("SELECT * FROM web_sessions");
  const dump = JSON.stringify(rows);
  expect(dump).not.toContain(a.id);
  expect(dump).not.toContain(a.csrf);
});

test("SessionStore ends a session idle too long, and any session past its absolute lifetime", async () => {
  let now = Date.now();
  const start = now;
  const s = sessions({ limits: { idleMs: 100, absoluteMs: 250, touchMs: 0 }, now: () => now });
  const idle = await made(s, { kind: "admin" });
  const busy = await made(s, { kind: "admin" });
  for (now = start + 50; now <= start + 200; now += 50) expect(await s.get(busy.id)).toBeDefined();
  expect(await s.get(idle.id)).toBeUndefined();
  now = start + 260;
  expect(await s.get(busy.id)).toBeUndefined();
});

test("SessionStore holds at most maxSessions, dropping the least recently used", async () => {
  let now = Date.now() + 10_000;
  const s = sessions({ limits: { maxSessions: 3, touchMs: 0 }, now: () => now++ });
  const [a, b, c] = [
    await made(s, { kind: "admin" }),
    await made(s, { kind: "admin" }),
    await made(s, { kind: "admin" }),
  ];
  await s.get(a.id);
  await made(s, { kind: "admin" });
  expect(await webSessionCount(store.read)).toBe(3);
  expect(await s.get(b.id)).toBeUndefined();
  expect(await s.get(a.id)).toBeDefined();
  expect(await s.get(c.id)).toBeDefined();
});

test("SessionStore.endAccount() ends that account's sessions only", async () => {
  const s = sessions();
  const bob = await made(s, { kind: "account", address: "bob@example.com" });
  const eve = await made(s, { kind: "account", address: "eve@example.com" });
  await s.endAccount("bob@example.com");
  expect(await s.get(bob.id)).toBeUndefined();
  expect(await s.get(eve.id)).toBeDefined();
});

test("a new password or a disabled account ends the account's sessions, however it was changed", async () => {
  const s = sessions();
  const bob = await made(s, { kind: "account", address: "bob@example.com" });
  const eve = await made(s, { kind: "account", address: "eve@example.com" });
  const hash = await passwordHash("new-password");
  // Straight in the store (as the CLI would), not through the API route that also calls endAccount.
  await store.write((w) => accountUpdate(w, "bob@example.com", { passwordHash: hash }));
  expect(await s.get(bob.id)).toBeUndefined();
  expect(await s.get(eve.id)).toBeDefined();
  await store.write((w) => accountUpdate(w, "eve@example.com", { disabled: true }));
  expect(await s.get(eve.id)).toBeUndefined();
  expect(await s.create({ kind: "account", address: "eve@example.com" })).toBeUndefined();
  await store.write((w) => accountUpdate(w, "eve@example.com", { disabled: false }));
});

test("admin sessions end when the admin token is another one (a restart with a new token)", async () => {
  const admin = await made(sessions(), { kind: "admin" });
  expect(await sessions().get(admin.id)).toBeDefined();
  expect(await sessions({ adminToken: "a-new-token" }).get(admin.id)).toBeUndefined();
});

test("a cookie value that is not one of our ids is refused without a lookup", async () => {
  expect(await sessions().get("' OR 1=1 --")).toBeUndefined();
  expect(await sessions().get("")).toBeUndefined();
});

test("accountMayReach() allows an account's own paths and events, nothing else", () => {
  const me = "bob@example.com";
  expect(accountMayReach(me, "GET", "/api/v1/accounts/bob%40example.com")).toBe(true);
  expect(accountMayReach(me, "PATCH", "/api/v1/accounts/bob%40example.com")).toBe(false);
  expect(accountMayReach(me, "DELETE", "/api/v1/accounts/bob@example.com")).toBe(false);
  expect(accountMayReach(me, "DELETE", "/api/v1/accounts/bob@example.com/messages/3")).toBe(true);
  expect(accountMayReach(me, "GET", "/api/v1/accounts/BOB%40Example.com/mailboxes")).toBe(true);
  expect(accountMayReach(me, "GET", "/api/v1/accounts/alice%40example.com/mailboxes")).toBe(false);
  expect(accountMayReach(me, "GET", "/api/v1/accounts/bob%40example.com.evil/mailboxes")).toBe(false);
  expect(accountMayReach(me, "GET", "/api/v1/accounts/%E0%A4%A/mailboxes")).toBe(false);
  expect(accountMayReach(me, "GET", "/api/v1/accounts")).toBe(false);
  expect(accountMayReach(me, "GET", "/api/v1/messages/1")).toBe(false);
  expect(accountMayReach(me, "GET", "/api/v1/events", "bob@example.com")).toBe(true);
  expect(accountMayReach(me, "GET", "/api/v1/events", "alice@example.com")).toBe(false);
  expect(accountMayReach(me, "GET", "/api/v1/events")).toBe(false);
});
