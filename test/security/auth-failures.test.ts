/** AuthFailures and ConnectionLimits: the shared defences, on their own. */
import { describe, expect, test } from "bun:test";
import { createLogger } from "../../src/log.ts";
import { AuthFailures, accountKey } from "../../src/security/auth-failures.ts";
import { ConnectionLimits, clientAddressKey } from "../../src/security/connection-limits.ts";

describe("AuthFailures", () => {
  test("delayFor() is 0 before the first failure, then doubles from the base up to the cap", () => {
    const failures = new AuthFailures({ baseDelayMs: 1000, maxDelayMs: 10_000 });
    const delays = [];
    for (let i = 0; i < 7; i++) {
      delays.push(failures.delayFor("192.0.2.1"));
      failures.recordFailure("192.0.2.1", "alice");
    }
    expect(delays).toEqual([0, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  test("a correct password forgets the address's failures; other addresses are unaffected", () => {
    const failures = new AuthFailures({ baseDelayMs: 100 });
    failures.recordFailure("a", "x");
    failures.recordFailure("a", "x");
    failures.recordFailure("b", "y");
    succeed(failures, "a", "account:x@example.com");
    expect(failures.delayFor("a")).toBe(0);
    expect(failures.delayFor("b")).toBe(100);
  });

  test("failures older than the window are forgotten", () => {
    const failures = new AuthFailures({ baseDelayMs: 100, windowMs: -1 });
    failures.recordFailure("a", "x");
    failures.recordFailure("a", "x");
    expect(failures.delayFor("a")).toBe(0);
  });

  test("the table holds at most maxTracked addresses, dropping the oldest", () => {
    const failures = new AuthFailures({ baseDelayMs: 100, maxTracked: 2 });
    for (const address of ["a", "b", "c"]) {
      failures.recordFailure(address, "x");
      failures.recordFailure(address, "x");
    }
    expect(failures.delayFor("a")).toBe(0);
    expect(failures.delayFor("c")).toBe(200);
  });
});

describe("AuthFailures lockout", () => {
  /** A limiter with small thresholds and a log that keeps its events. */
  function limiter(options: ConstructorParameters<typeof AuthFailures>[0] = {}) {
    const events: Array<Record<string, unknown>> = [];
    const log = createLogger({ level: "debug", write: (line) => events.push(JSON.parse(line)) });
    const failures = new AuthFailures({
      lockoutAfter: 3,
      accountLockoutAfter: 5,
      lockoutMs: 60_000,
      log,
      ...options,
    });
    return { failures, lockouts: () => events.filter((e) => e.event === "auth.locked_out") };
  }

  test("isLockedOut() turns true at the address threshold and auth.locked_out is logged once", () => {
    const { failures, lockouts } = limiter();
    failures.recordFailure("192.0.2.1", "alice");
    failures.recordFailure("192.0.2.1", "alice");
    expect(failures.isLockedOut("192.0.2.1")).toBe(false);
    failures.recordFailure("192.0.2.1", "alice");
    expect(failures.isLockedOut("192.0.2.1")).toBe(true);
    failures.recordFailure("192.0.2.1", "bob");
    expect(lockouts()).toHaveLength(1);
    expect(lockouts()[0]).toMatchObject({ key: "192.0.2.1", kind: "address", failures: 3, login: "alice" });
    expect(failures.isLockedOut("192.0.2.2")).toBe(false);
  });

  test("an account key locks at its own (higher) threshold, from any address", () => {
    const { failures, lockouts } = limiter();
    const account = accountKey("alice", "example.com");
    for (let i = 1; i <= 5; i++) {
      expect(failures.isLockedOut([`198.51.100.${i}`, account])).toBe(false);
      failures.recordFailure([`198.51.100.${i}`, account], "alice");
    }
    expect(failures.isLockedOut(["203.0.113.9", account])).toBe(true);
    expect(failures.isLockedOut("203.0.113.9")).toBe(false);
    expect(lockouts()).toEqual([
      expect.objectContaining({ key: "account:alice@example.com", kind: "account" }),
    ]);
  });

  test("a correct password does not lift a running lockout (it is not even checked)", () => {
    const { failures } = limiter();
    for (let i = 0; i < 3; i++) failures.recordFailure("a", "x");
    expect(failures.begin({ client: "a", account: "account:x@example.com", login: "x" }).allowed).toBe(false);
    expect(failures.isLockedOut("a")).toBe(true);
  });

  test("a lockout ends after lockoutMs and the count starts afresh", () => {
    let clock = Date.parse("2030-01-01T00:00:00Z");
    const { failures, lockouts } = limiter({ windowMs: 1000, now: () => clock });
    for (let i = 0; i < 3; i++) failures.recordFailure("a", "x");
    // Outlives the window (1 s) but not the lockout (60 s).
    clock = Date.parse("2030-01-01T00:00:30Z");
    expect(failures.isLockedOut("a")).toBe(true);
    clock = Date.parse("2030-01-01T00:01:00Z");
    expect(failures.isLockedOut("a")).toBe(false);
    expect(failures.delayFor("a")).toBe(0);
    failures.recordFailure("a", "x");
    expect(failures.isLockedOut("a")).toBe(false);
    for (let i = 0; i < 2; i++) failures.recordFailure("a", "x");
    expect(failures.isLockedOut("a")).toBe(true);
    expect(lockouts()).toHaveLength(2);
  });

  test("a threshold of 0 never locks out", () => {
    const { failures } = limiter({ lockoutAfter: 0, accountLockoutAfter: 0 });
    for (let i = 0; i < 50; i++) failures.recordFailure(["a", "account:x@example.com"], "x");
    expect(failures.isLockedOut(["a", "account:x@example.com"])).toBe(false);
  });

  test("delayFor() of several keys is the longest of their delays", () => {
    const failures = new AuthFailures({ baseDelayMs: 100, maxDelayMs: 10_000 });
    failures.recordFailure(["client", "account:a@x"], "a");
    failures.recordFailure("account:a@x", "a");
    failures.recordFailure("account:a@x", "a");
    expect(failures.delayFor("client")).toBe(100);
    expect(failures.delayFor(["client", "account:a@x"])).toBe(400);
  });

  test("recordFailure() with several keys returns the first key's count", () => {
    const failures = new AuthFailures();
    failures.recordFailure("account:a@x", "a");
    failures.recordFailure("account:a@x", "a");
    expect(failures.recordFailure(["client", "account:a@x"], "a")).toBe(1);
  });

  test("a huge login costs a bounded key: the table cannot be made to hold megabytes", () => {
    const failures = new AuthFailures({ accountLockoutAfter: 2 });
    const huge = `${"x".repeat(60_000)}@example.com`;
    failures.recordFailure(accountKey(huge, "example.com"), huge);
    failures.recordFailure(accountKey(`${huge}y`, "example.com"), huge);
    // Both cut to the same bounded key: one entry, counted twice (no real address is that long).
    expect(failures.isLockedOut(accountKey(huge, "example.com"))).toBe(true);
  });

  test.each([
    ["Alice", "account:alice@example.com"],
    [" alice@Example.COM ", "account:alice@example.com"],
    ["bob@other.example", "account:bob@other.example"],
  ])("accountKey(%j) is %j, as accountAuthenticate() reads the login", (login, key) => {
    expect(accountKey(login, "Example.com")).toBe(key);
  });
});

/** One attempt from `client` against `account` whose password was right. */
function succeed(failures: AuthFailures, client: string, account: string): void {
  const start = failures.begin({ client, account, login: account.slice("account:".length) });
  if (!start.allowed) throw new Error(`${client} was refused`);
  start.attempt.succeeded();
}

describe("AuthFailures attempts in flight", () => {
  const account = "account:alice@example.com";
  const from = (client: string) => ({ client, account, login: "alice@example.com" });

  test("begin() counts an attempt when it starts: past the address threshold in flight, the next is refused", () => {
    const failures = new AuthFailures({ lockoutAfter: 10, accountLockoutAfter: 20, baseDelayMs: 100 });
    const started = Array.from({ length: 20 }, () => failures.begin(from("192.0.2.1")));
    // Ten may check a password; the other ten are refused before any failure is known.
    expect(started.filter((s) => s.allowed)).toHaveLength(10);
    expect(started.slice(10).every((s) => !s.allowed)).toBe(true);
    for (const s of started) if (s.allowed) s.attempt.failed();
    expect(failures.isLockedOut("192.0.2.1")).toBe(true);
    // The account took ten failures, not twenty: below its threshold, so the owner elsewhere gets in.
    expect(failures.isLockedOut(account)).toBe(false);
    expect(failures.begin(from("198.51.100.7")).allowed).toBe(true);
  });

  test("failed() waits as if every attempt in flight had failed before it", () => {
    const failures = new AuthFailures({ lockoutAfter: 0, accountLockoutAfter: 0, baseDelayMs: 100 });
    const started = [1, 2, 3, 4].map(() => failures.begin(from("192.0.2.1")));
    const delays = started.map((s) => (s.allowed ? s.attempt.failed().delayMs : -1));
    // Each one's delay counts the three others in flight or failed: 2^2 · base.
    expect(delays).toEqual([400, 400, 400, 400]);
  });

  test("a finished attempt gives its slot back: succeeded() and abandoned() count no failure", () => {
    const failures = new AuthFailures({ lockoutAfter: 2, accountLockoutAfter: 0 });
    const first = failures.begin(from("192.0.2.1"));
    const second = failures.begin(from("192.0.2.1"));
    expect(failures.begin(from("192.0.2.1")).allowed).toBe(false);
    if (!first.allowed || !second.allowed) throw new Error("refused");
    first.attempt.abandoned();
    second.attempt.succeeded();
    // Settling twice changes nothing.
    second.attempt.failed();
    expect(failures.delayFor("192.0.2.1")).toBe(0);
    expect(failures.begin(from("192.0.2.1")).allowed).toBe(true);
  });

  test("an address that logged in to an account before is not locked out of it by the account's lockout", () => {
    const failures = new AuthFailures({ lockoutAfter: 100, accountLockoutAfter: 5 });
    succeed(failures, "192.0.2.1", account);
    for (let i = 1; i <= 5; i++) {
      const s = failures.begin(from(`198.51.100.${i}`));
      if (s.allowed) s.attempt.failed();
    }
    expect(failures.isLockedOut(account)).toBe(true);
    // The owner's own address still gets its password checked; a fresh address is refused.
    expect(failures.begin(from("192.0.2.1")).allowed).toBe(true);
    expect(failures.begin(from("203.0.113.9")).allowed).toBe(false);
    // Known for this account only.
    expect(
      failures.begin({ client: "203.0.113.9", account: "account:bob@example.com", login: "bob" }).allowed,
    ).toBe(true);
  });

  test("the known addresses of an account are bounded: the least recent is forgotten first", () => {
    const failures = new AuthFailures({
      lockoutAfter: 100,
      accountLockoutAfter: 1,
      knownAddressesPerAccount: 2,
    });
    for (const client of ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) succeed(failures, client, account);
    const s = failures.begin(from("198.51.100.1"));
    if (s.allowed) s.attempt.failed();
    expect(failures.begin(from("10.0.0.1")).allowed).toBe(false);
    expect(failures.begin(from("10.0.0.3")).allowed).toBe(true);
  });

  test("known addresses are forgotten after knownAddressMs", () => {
    const failures = new AuthFailures({ lockoutAfter: 100, accountLockoutAfter: 1, knownAddressMs: -1 });
    succeed(failures, "10.0.0.1", account);
    const s = failures.begin(from("198.51.100.1"));
    if (s.allowed) s.attempt.failed();
    expect(failures.begin(from("10.0.0.1")).allowed).toBe(false);
  });
});

describe("AuthFailures for the operator", () => {
  test("entries() lists each key with its counts and when it expires (epoch ms)", () => {
    const now = Date.parse("2030-01-01T00:00:00Z");
    const failures = new AuthFailures({
      lockoutAfter: 2,
      accountLockoutAfter: 10,
      lockoutMs: 60_000,
      windowMs: 1000,
      now: () => now,
    });
    for (let i = 0; i < 2; i++) failures.recordFailure(["192.0.2.1", "account:alice@example.com"], "alice");
    const inFlight = failures.begin({
      client: "192.0.2.2",
      account: "account:bob@example.com",
      login: "bob",
    });
    expect(inFlight.allowed).toBe(true);
    const byKey = Object.fromEntries(failures.entries().map((e) => [e.key, e]));
    expect(byKey["192.0.2.1"]).toEqual({
      key: "192.0.2.1",
      kind: "address",
      failures: 2,
      inFlight: 0,
      lockedUntil: now + 60_000,
      expiresAt: now + 60_000,
      lastAttemptAt: now,
      lastLogin: "alice",
    });
    expect(byKey["account:alice@example.com"]).toMatchObject({
      kind: "account",
      failures: 2,
      lockedUntil: null,
      expiresAt: now + 1000,
    });
    expect(byKey["192.0.2.2"]).toMatchObject({ failures: 0, inFlight: 1, lockedUntil: null });
  });

  test("clear() lifts a lockout and forgets the key's failures; false for a key it does not hold", () => {
    const events: Array<Record<string, unknown>> = [];
    const log = createLogger({ level: "debug", write: (line) => events.push(JSON.parse(line)) });
    const failures = new AuthFailures({ lockoutAfter: 2, baseDelayMs: 100, log });
    for (let i = 0; i < 2; i++) failures.recordFailure("192.0.2.1", "alice");
    expect(failures.isLockedOut("192.0.2.1")).toBe(true);
    expect(failures.clear("192.0.2.1")).toBe(true);
    expect(failures.isLockedOut("192.0.2.1")).toBe(false);
    expect(failures.delayFor("192.0.2.1")).toBe(0);
    expect(failures.clear("192.0.2.1")).toBe(false);
    expect(events.filter((e) => e.event === "auth.lockout_cleared")).toEqual([
      expect.objectContaining({ key: "192.0.2.1", failures: 2, wasLocked: true }),
    ]);
  });
});

describe("ConnectionLimits", () => {
  test("tryAcquire() refuses past the per-address and the total limit, release() frees a slot", () => {
    const limits = new ConnectionLimits({ perAddress: 2, total: 3 });
    expect(limits.tryAcquire("a")).toBeUndefined();
    expect(limits.tryAcquire("a")).toBeUndefined();
    expect(limits.tryAcquire("a")).toBe("address");
    expect(limits.tryAcquire("b")).toBeUndefined();
    expect(limits.tryAcquire("c")).toBe("total");
    limits.release("a");
    expect(limits.open).toBe(2);
    expect(limits.tryAcquire("c")).toBeUndefined();
  });

  test.each([
    ["::ffff:192.0.2.7", "192.0.2.7"],
    ["192.0.2.7", "192.0.2.7"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::9", "2001:db8:1:2::/64"],
    ["2001:DB8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    [undefined, "unknown"],
  ])("clientAddressKey(%j) is %j", (address, key) => {
    expect(clientAddressKey(address)).toBe(key);
  });
});
