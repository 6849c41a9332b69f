/**
 * The cache of recently verified logins (src/store/credential-cache.ts): on its own, with an
 * injectable clock, then through a real server where passwords change and accounts are disabled.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AuthFailures } from "../../src/security/auth-failures.ts";
import { passwordCheck } from "../../src/security/password-check.ts";
import { accountAuthenticate, accountGet, CredentialCache } from "../../src/store/mod.ts";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient, quote } from "../harness/imap-client.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

const HASH = "scrypt$16384$8$1$c2FsdA==$aGFzaA==";

describe("CredentialCache", () => {
  test("has() is true only for the account, stored hash and password that were added", () => {
    const cache = new CredentialCache();
    cache.add(1, HASH, "right");
    expect(cache.has(1, HASH, "right")).toBe(true);
    expect(cache.has(1, HASH, "wrong")).toBe(false);
    expect(cache.has(1, HASH, "Right")).toBe(false);
    expect(cache.has(2, HASH, "right")).toBe(false);
    // A new hash (the password was set again) never finds the entry made with the old one.
    expect(cache.has(1, "scrypt$16384$8$1$b3RoZXI=$aGFzaA==", "right")).toBe(false);
  });

  test("entries expire ttlMs after the full check, however often they are used meanwhile", () => {
    let now = 1_000_000;
    const cache = new CredentialCache({ ttlMs: 60_000, now: () => now });
    cache.add(1, HASH, "pw");
    now += 59_000;
    expect(cache.has(1, HASH, "pw")).toBe(true);
    now += 1_000;
    expect(cache.has(1, HASH, "pw")).toBe(false);
    // An expired entry is dropped when looked at.
    expect(cache.size).toBe(0);
  });

  test("the cache holds at most maxEntries, dropping the least recently used", () => {
    const cache = new CredentialCache({ maxEntries: 2 });
    cache.add(1, HASH, "a");
    cache.add(2, HASH, "b");
    expect(cache.has(1, HASH, "a")).toBe(true); // 1 is now the most recently used
    cache.add(3, HASH, "c");
    expect(cache.size).toBe(2);
    expect(cache.has(2, HASH, "b")).toBe(false);
    expect(cache.has(1, HASH, "a")).toBe(true);
    expect(cache.has(3, HASH, "c")).toBe(true);
  });

  test("an account-updated or account-deleted change drops that account's entries only", () => {
    const cache = new CredentialCache();
    cache.add(1, HASH, "a");
    cache.add(2, HASH, "b");
    cache.add(3, HASH, "c");
    cache.apply({ kind: "account-updated", accountId: 1 });
    cache.apply({ kind: "account-deleted", accountId: 2 });
    cache.apply({ kind: "mailbox-created", accountId: 3, mailboxId: 9, name: "x" });
    expect(cache.has(1, HASH, "a")).toBe(false);
    expect(cache.has(2, HASH, "b")).toBe(false);
    expect(cache.has(3, HASH, "c")).toBe(true);
  });

  test("one entry per account: a later correct check replaces it, and only its password matches", () => {
    const cache = new CredentialCache();
    cache.add(1, HASH, "first");
    cache.add(1, HASH, "second");
    expect(cache.size).toBe(1);
    expect(cache.has(1, HASH, "first")).toBe(false);
    expect(cache.has(1, HASH, "second")).toBe(true);
  });

  test("an expired entry is not revived by a lookup with the right password", () => {
    let now = 0;
    const cache = new CredentialCache({ ttlMs: 1000, now: () => now });
    cache.add(1, HASH, "pw");
    now = 1000;
    expect(cache.has(1, HASH, "pw")).toBe(false);
    now = 0; // even a clock that goes back finds nothing: the entry was dropped
    expect(cache.has(1, HASH, "pw")).toBe(false);
  });

  test("the defaults are bounded: at most 10,000 entries, each good for 15 minutes", () => {
    let now = 0;
    const cache = new CredentialCache({ now: () => now });
    for (let id = 1; id <= 10_001; id++) cache.add(id, HASH, "pw");
    expect(cache.size).toBe(10_000);
    expect(cache.has(1, HASH, "pw")).toBe(false);
    expect(cache.has(10_001, HASH, "pw")).toBe(true);
    now = 15 * 60_000;
    expect(cache.has(10_001, HASH, "pw")).toBe(false);
  });

  test("an entry holds neither the password nor the stored hash", () => {
    const cache = new CredentialCache();
    cache.add(1, HASH, "very-secret-password");
    const seen = Bun.inspect(cache, { depth: 10 });
    expect(seen).not.toContain("very-secret-password");
    expect(seen).not.toContain(HASH);
  });
});

describe("logins with the credential cache", () => {
  let server: TestServer;
  let limiter: AuthFailures;

  beforeAll(async () => {
    // No waiting after a failure, and no lockout: these tests count failures, they do not wait them out.
    limiter = new AuthFailures({ baseDelayMs: 0, lockoutAfter: 0, accountLockoutAfter: 0 });
    server = await startTestServer({}, { authFailures: limiter });
  });

  afterAll(async () => {
    await server.close();
  });

  async function imapLogin(user: string, password: string): Promise<string> {
    const { client } = await ImapClient.connect(server.ports.imap!);
    try {
      return (await client.command(`LOGIN ${quote(user)} ${quote(password)}`)).status;
    } finally {
      await client.command("LOGOUT").catch(() => undefined);
    }
  }

  const accountId = async (address: string) => (await accountGet(server.store.read, address)).id;
  const patch = (address: string, json: unknown) =>
    server.api(`/api/v1/accounts/${encodeURIComponent(address)}`, { method: "PATCH", json });

  test("a correct IMAP LOGIN is cached; a wrong password is never served from it and is counted", async () => {
    const user = await freshAccount(server, { password: "right-password" });
    const cache = server.store.credentials;
    const id = await accountId(user);
    expect(await imapLogin(user, "right-password")).toBe("OK");
    expect(await imapLogin(user, "right-password")).toBe("OK");
    const stored = await server.store.execute(`SELECT password_hash FROM accounts WHERE id = ${id}`);
    expect(cache.has(id, String(stored[0]!.password_hash), "right-password")).toBe(true);

    const before = limiter.entries().find((e) => e.key === `account:${user}`)?.failures ?? 0;
    expect(await imapLogin(user, "wrong-password")).toBe("NO");
    const after = limiter.entries().find((e) => e.key === `account:${user}`)?.failures ?? 0;
    expect(after).toBe(before + 1);
  });

  test("a changed password drops the cached login: the old password is refused at once", async () => {
    const user = await freshAccount(server, { password: "old-password" });
    expect(await imapLogin(user, "old-password")).toBe("OK");
    expect((await patch(user, { password: "new-password" })).status).toBe(200);
    expect(await imapLogin(user, "old-password")).toBe("NO");
    expect(await imapLogin(user, "new-password")).toBe("OK");
  });

  test("a disabled account is refused at once, although its login is cached", async () => {
    const user = await freshAccount(server, { password: "pw-before-disable" });
    expect(await imapLogin(user, "pw-before-disable")).toBe("OK");
    expect((await patch(user, { disabled: true })).status).toBe(200);
    expect(await imapLogin(user, "pw-before-disable")).toBe("NO");
    expect((await patch(user, { disabled: false })).status).toBe(200);
    expect(await imapLogin(user, "pw-before-disable")).toBe("OK");
  });

  test("a cache that never heard of a password change still refuses the old password", async () => {
    // E.g. the change was made by another process on the same database: the stored hash decides.
    const user = await freshAccount(server, { password: "first-password" });
    const detached = new CredentialCache();
    const options = { primaryDomain: "example.com", cache: detached };
    expect(await accountAuthenticate(server.store.read, user, "first-password", options)).toBeDefined();
    expect(detached.size).toBe(1);
    expect((await patch(user, { password: "second-password" })).status).toBe(200);
    expect(await accountAuthenticate(server.store.read, user, "first-password", options)).toBeUndefined();
    expect(await accountAuthenticate(server.store.read, user, "second-password", options)).toBeDefined();
  });

  test("a wrong password right after a cached login still takes the full scrypt derivation", async () => {
    const user = await freshAccount(server, { password: "cached-password" });
    const options = { primaryDomain: "example.com", cache: server.store.credentials };
    expect(await accountAuthenticate(server.store.read, user, "cached-password", options)).toBeDefined();
    const started = performance.now();
    expect(await accountAuthenticate(server.store.read, user, "cached-passwore", options)).toBeUndefined();
    // scrypt N=2^14, r=8 takes tens of milliseconds of CPU; a cache lookup, microseconds. Load only
    // makes the derivation slower, so this lower bound holds on a busy machine too.
    expect(performance.now() - started).toBeGreaterThan(10);
  });

  test("a locked-out client is refused with the right, cached password, and the lockout is not reset", async () => {
    const user = await freshAccount(server, { password: "owner-password" });
    const strict = new AuthFailures({ baseDelayMs: 0, lockoutAfter: 3, accountLockoutAfter: 0 });
    const check = (password: string) =>
      passwordCheck(
        { store: server.store, authFailures: strict, primaryDomain: "example.com" },
        { client: "192.0.2.7", login: user, password },
      );
    expect((await check("owner-password")).ok).toBe(true); // now cached
    for (let i = 0; i < 3; i++) expect((await check("a-guess")).ok).toBe(false);
    const refused = await check("owner-password");
    expect(refused).toMatchObject({ ok: false, lockedOut: true });
    expect((await check("owner-password")).ok).toBe(false);
    expect(strict.entries().find((e) => e.key === "192.0.2.7")?.lockedUntil ?? 0).toBeGreaterThan(0);
  });

  test("POP3 USER/PASS uses the cache too, and a disabled account is refused there at once", async () => {
    const user = await freshAccount(server, { password: "pop-password" });
    const id = await accountId(user);
    const pop = await Pop3Client.login(server.ports.pop3!, user, "pop-password");
    await pop.quit();
    const stored = await server.store.execute(`SELECT password_hash FROM accounts WHERE id = ${id}`);
    expect(server.store.credentials.has(id, String(stored[0]!.password_hash), "pop-password")).toBe(true);
    expect((await patch(user, { disabled: true })).status).toBe(200);
    const { client } = await Pop3Client.connect(server.ports.pop3!);
    expect((await client.command(`USER ${user}`)).ok).toBe(true);
    expect((await client.command("PASS pop-password")).ok).toBe(false);
    await client.drop();
  });

  test("a deleted account is refused, although its login was cached", async () => {
    const user = await freshAccount(server, { password: "pw-before-delete" });
    expect(await imapLogin(user, "pw-before-delete")).toBe("OK");
    const del = await server.api(`/api/v1/accounts/${encodeURIComponent(user)}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect(await imapLogin(user, "pw-before-delete")).toBe("NO");
  });
});
