/** eventually(), the one way tests wait for a state: resolves with the answer, fails naming the wait. */
import { describe, expect, test } from "bun:test";
import { eventually } from "./eventually.ts";

describe("eventually()", () => {
  test("resolves with the probe's first answer that is not undefined, null or false", async () => {
    const answers = [undefined, null, false, 0, 7];
    let calls = 0;
    expect(await eventually(() => answers[calls++], "an answer", { intervalMs: 1 })).toBe(0);
    expect(calls).toBe(4);
  });

  test("fails after the deadline naming what it waited for and the last answer", async () => {
    const started = performance.now();
    await expect(eventually(async () => false, "the queue to empty", { timeoutMs: 50 })).rejects.toThrow(
      "timed out after 50 ms waiting for the queue to empty (last answer: false)",
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test("a described wait says what was last seen", async () => {
    let seen = 0;
    const probe = () => {
      seen++;
      return false;
    };
    await expect(
      eventually(probe, () => `attempts to reach 99 (last seen: ${seen})`, { timeoutMs: 30, intervalMs: 1 }),
    ).rejects.toThrow(/waiting for attempts to reach 99 \(last seen: \d+\)/);
    expect(seen).toBeGreaterThan(1);
  });

  test("an error thrown by the probe fails at once, without waiting for the deadline", async () => {
    const started = performance.now();
    await expect(
      eventually(
        () => {
          throw new Error("broken probe");
        },
        "nothing",
        { timeoutMs: 5000 },
      ),
    ).rejects.toThrow("broken probe");
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test("wakeOn asks again as soon as the subscription fires, and unsubscribes every time", async () => {
    let ready = false;
    const listeners = new Set<() => void>();
    const subscribe = (wake: () => void) => {
      listeners.add(wake);
      return () => listeners.delete(wake);
    };
    setTimeout(() => {
      ready = true;
      for (const wake of listeners) wake();
    }, 20);
    const started = performance.now();
    // The interval alone would make this take 10 s: only the wake-up can make it fast.
    expect(await eventually(() => ready, "ready", { intervalMs: 10_000, wakeOn: subscribe })).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(listeners.size).toBe(0);
  });
});
