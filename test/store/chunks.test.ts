/** The one helper that cuts id lists into IN (...)-sized slices. */
import { expect, test } from "bun:test";
import { chunksOf, inChunks, placeholders } from "../../src/store/chunks.ts";

test("chunksOf() cuts a list into slices of at most the given size, in order", () => {
  expect(chunksOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  expect(chunksOf([1, 2, 3, 4], 2)).toEqual([
    [1, 2],
    [3, 4],
  ]);
  expect(chunksOf([], 500)).toEqual([]);
});

test("inChunks() runs one call per slice, one after another, and concatenates the results", async () => {
  const calls: number[][] = [];
  let running = 0;
  const out = await inChunks([1, 2, 3, 4, 5], 2, async (chunk) => {
    running++;
    expect(running).toBe(1);
    calls.push(chunk);
    await Promise.resolve();
    running--;
    return chunk.map((n) => n * 10);
  });
  expect(calls).toEqual([[1, 2], [3, 4], [5]]);
  expect(out).toEqual([10, 20, 30, 40, 50]);
  expect(await inChunks([1, 2, 3], 2, async () => undefined)).toEqual([]);
});

test("placeholders() lists one ? per value", () => {
  expect(placeholders(3)).toBe("?, ?, ?");
  expect(placeholders(1)).toBe("?");
});
