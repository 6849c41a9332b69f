/** SessionStore (issue 17): fresh ids and tokens, expiry when idle and when old, a bounded size. */
import { expect, test } from "bun:test";
import { accountMayReach } from "../../src/api/auth.ts";
import { SessionStore } from "../../src/api/ui/sessions.ts";

test("SessionStore.create() makes a new id and CSRF token each time and ends the session it replaces", () => {
  const store = new SessionStore();
  const a = store.create({ kind: "admin" });
  const b = store.create({ kind: "admin" }, a.id);
  expect(b.id).not.toBe(a.id);
  expect(b.csrf).not.toBe(a.csrf);
  expect(b.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(store.get(a.id)).toBeUndefined();
  expect(store.get(b.id)?.principal).toEqual({ kind: "admin" });
});

test("SessionStore ends a session idle too long, and any session past its absolute lifetime", () => {
  let now = 0;
  const store = new SessionStore({ limits: { idleMs: 100, absoluteMs: 250 }, now: () => now });
  const idle = store.create({ kind: "admin" });
  const busy = store.create({ kind: "admin" });
  for (now = 50; now <= 200; now += 50) expect(store.get(busy.id)).toBeDefined();
  expect(store.get(idle.id)).toBeUndefined();
  now = 260;
  expect(store.get(busy.id)).toBeUndefined();
});

test("SessionStore holds at most maxSessions, dropping the least recently used", () => {
  const store = new SessionStore({ limits: { maxSessions: 3 } });
  const [a, b, c] = [1, 2, 3].map(() => store.create({ kind: "admin" })) as [
    ReturnType<typeof store.create>,
    ReturnType<typeof store.create>,
    ReturnType<typeof store.create>,
  ];
  store.get(a.id);
  store.create({ kind: "admin" });
  expect(store.size).toBe(3);
  expect(store.get(b.id)).toBeUndefined();
  expect(store.get(a.id)).toBeDefined();
  expect(store.get(c.id)).toBeDefined();
});

test("SessionStore.endAccount() ends that account's sessions only", () => {
  const store = new SessionStore();
  const bob = store.create({ kind: "account", address: "bob@example.com" });
  const eve = store.create({ kind: "account", address: "eve@example.com" });
  store.endAccount("bob@example.com");
  expect(store.get(bob.id)).toBeUndefined();
  expect(store.get(eve.id)).toBeDefined();
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
