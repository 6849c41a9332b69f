/** Breather: long work on the one JavaScript thread gives the event loop a turn every slice. */
import { describe, expect, test } from "bun:test";
import { Breather } from "../../src/imap/breather.ts";

describe("Breather", () => {
  test("breathe() in a busy loop lets a timer that falls due meanwhile run within a slice or two", async () => {
    const start = performance.now();
    let firedAt = 0;
    setTimeout(() => {
      firedAt = performance.now() - start;
    }, 1);
    const breather = new Breather(5);
    let pauses = 0;
    while (performance.now() - start < 100) {
      const pause = breather.breathe();
      if (pause) {
        pauses++;
        await pause;
      }
    }
    expect(firedAt).toBeGreaterThan(0);
    expect(firedAt).toBeLessThan(40);
    // About one pause per slice, not one per iteration.
    expect(pauses).toBeGreaterThan(5);
    expect(pauses).toBeLessThan(40);
  });

  test("breathe() costs nothing while the slice lasts", () => {
    const breather = new Breather(60_000);
    for (let i = 0; i < 1000; i++) expect(breather.breathe()).toBeUndefined();
  });
});
