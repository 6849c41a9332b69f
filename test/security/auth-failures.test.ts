/** AuthFailures and ConnectionLimits: the shared defences, on their own. */
import { describe, expect, test } from "bun:test";
import { AuthFailures } from "../../src/security/auth-failures.ts";
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

  test("recordSuccess() forgets the address's failures; other addresses are unaffected", () => {
    const failures = new AuthFailures({ baseDelayMs: 100 });
    failures.recordFailure("a", "x");
    failures.recordFailure("a", "x");
    failures.recordFailure("b", "y");
    failures.recordSuccess("a");
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
