/** The shared memory budget: leases within the limit, waiting first come first served, and bounds on the wait. */
import { expect, test } from "bun:test";
import { MemoryBudget } from "../../src/security/memory-budget.ts";

test("tryReserve() grants leases up to the limit and refuses past it; release() gives the bytes back once", () => {
  const budget = new MemoryBudget(100);
  const a = budget.tryReserve(60)!;
  expect(budget.tryReserve(50)).toBeUndefined();
  const b = budget.tryReserve(40)!;
  expect(budget.used).toBe(100);
  a.release();
  a.release();
  expect(budget.used).toBe(40);
  b.release();
  expect(budget.used).toBe(0);
});

test("a request larger than the whole budget is granted alone, as all of it", () => {
  const budget = new MemoryBudget(100);
  const big = budget.tryReserve(1000)!;
  expect(big.bytes).toBe(100);
  expect(budget.tryReserve(1)).toBeUndefined();
  big.release();
});

test("reserve() waits for room, first come first served, and a later small request does not overtake", async () => {
  const budget = new MemoryBudget(100);
  const held = budget.tryReserve(100)!;
  const order: string[] = [];
  const first = budget.reserve(80, 5000).then((l) => {
    order.push("first");
    return l;
  });
  const second = budget.reserve(10, 5000).then((l) => {
    order.push("second");
    return l;
  });
  // Room for the second alone, but the first is ahead of it.
  expect(budget.tryReserve(10)).toBeUndefined();
  held.release();
  const [a, b] = await Promise.all([first, second]);
  expect(order).toEqual(["first", "second"]);
  expect(budget.used).toBe(90);
  a!.release();
  b!.release();
});

test("reserve() gives up after its wait, and then lets the ones behind it through", async () => {
  const budget = new MemoryBudget(100);
  const held = budget.tryReserve(50)!;
  const tooBig = budget.reserve(80, 50);
  const fits = budget.reserve(40, 5000);
  expect(await tooBig).toBeUndefined();
  const lease = await fits;
  expect(lease?.bytes).toBe(40);
  lease!.release();
  held.release();
});

test("reserve() refuses at once when too many are waiting already", async () => {
  const budget = new MemoryBudget(10, { maxWaiting: 1 });
  const held = budget.tryReserve(10)!;
  const waiting = budget.reserve(5, 5000);
  expect(await budget.reserve(5, 5000)).toBeUndefined();
  held.release();
  (await waiting)!.release();
});
