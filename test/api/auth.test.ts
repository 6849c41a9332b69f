/**
 * The admin token check (src/api/auth.ts): every near miss is refused, and the comparison is made in
 * constant time: whatever the presented token, crypto.timingSafeEqual compares two SHA-256 digests
 * of the same length, so neither the token's length nor a matching prefix shows in the timing.
 */
import { describe, expect, mock, test } from "bun:test";
import * as crypto from "node:crypto";
import { Hono } from "hono";
import type { ApiEnv } from "../../src/api/deps.ts";

const comparisons: Array<[number, number]> = [];
const realTimingSafeEqual = crypto.timingSafeEqual;
// Every other user of node:crypto keeps the real function: the spy only records the lengths.
mock.module("node:crypto", () => ({
  ...crypto,
  timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    comparisons.push([a.byteLength, b.byteLength]);
    return realTimingSafeEqual(a, b);
  },
}));
const { bearerAuth } = await import("../../src/api/auth.ts");

const TOKEN = "correct-horse-battery-staple-0123";

function app(): Hono<ApiEnv> {
  const a = new Hono<ApiEnv>();
  a.use(bearerAuth(TOKEN));
  a.get("/", (c) => c.text("in"));
  return a;
}

const status = async (authorization: string | undefined) =>
  (await app().request("/", { headers: authorization === undefined ? {} : { authorization } })).status;

describe("bearerAuth()", () => {
  test("the right token is accepted, with the scheme in any case and spaces around it", async () => {
    expect(await status(`Bearer ${TOKEN}`)).toBe(200);
    expect(await status(`bearer ${TOKEN}`)).toBe(200);
    expect(await status(`Bearer   ${TOKEN}  `)).toBe(200);
  });

  test.each([
    ["no header", undefined],
    ["an empty header", ""],
    ["another scheme", `Basic ${TOKEN}`],
    ["the token without a scheme", TOKEN],
    ["a prefix of the token", `Bearer ${TOKEN.slice(0, -1)}`],
    ["the token and one more character", `Bearer ${TOKEN}4`],
    ["the token with its last character changed", `Bearer ${TOKEN.slice(0, -1)}4`],
    ["the token in upper case", `Bearer ${TOKEN.toUpperCase()}`],
    ["the token twice", `Bearer ${TOKEN}${TOKEN}`],
  ])("%s is refused with 401", async (_what, header) => {
    expect(await status(header)).toBe(401);
  });

  test("the comparison is timingSafeEqual over equal-length digests, whatever the presented length", async () => {
    comparisons.length = 0;
    for (const presented of ["x", TOKEN.slice(0, -1), `${TOKEN.slice(0, -1)}4`, TOKEN, "y".repeat(10_000)])
      await status(`Bearer ${presented}`);
    expect(comparisons).toEqual(Array(5).fill([32, 32]));
  });
});
