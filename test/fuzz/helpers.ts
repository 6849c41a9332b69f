/**
 * Shared pieces of the fuzz tests: a time budget around parser calls, arbitrary chunking of a byte
 * stream, a fake socket for the IMAP CommandReader, and byte helpers. Every property runs with a
 * fixed seed so a failure in CI replays exactly.
 */
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import fc from "fast-check";

// Failures report the assertion that failed, and shrinking a complex counterexample is cut short
// after 20 s (far above any passing run here) so a regression fails fast instead of timing out.
fc.configureGlobal({ includeErrorInReport: true, interruptAfterTimeLimit: 20_000 });

/** Runs `fn` and fails when it took longer than `budgetMs` (a parser that "hangs" is one that is slow). */
export function withinBudget<T>(budgetMs: number, what: string, fn: () => T): T {
  const started = performance.now();
  const result = fn();
  const took = performance.now() - started;
  if (took > budgetMs) throw new Error(`${what} took ${took.toFixed(1)} ms (budget ${budgetMs} ms)`);
  return result;
}

/** Resolves with `promise`, or rejects when it has not settled after `ms` (an async reader that hangs). */
export async function settlesWithin<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Calls `fn`; an error that is an instance of one of `allowed` is swallowed, any other is rethrown. */
export function onlyThrows(
  allowed: ReadonlyArray<abstract new (...args: never[]) => Error>,
  fn: () => void,
): void {
  try {
    fn();
  } catch (error) {
    if (allowed.some((type) => error instanceof type)) return;
    throw error;
  }
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const encoder = new TextEncoder();
export const utf8 = (text: string): Uint8Array => encoder.encode(text);
export const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);

/** Splits `bytes` at the given cut points (any numbers; they are reduced modulo the length). */
export function cut(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  if (bytes.length === 0) return [];
  const points = [...new Set(cuts.map((c) => c % bytes.length))].filter((c) => c > 0).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

/**
 * Strings over an alphabet: `first` (one character) then `min`..`max` more from `rest`. Much cheaper
 * to generate than fc.stringMatching, which matters inside recursive arbitraries.
 */
export function chars(rest: string, min: number, max: number, first?: string): fc.Arbitrary<string> {
  const tail = fc.string({ unit: fc.constantFrom(...rest), minLength: min, maxLength: max });
  if (first === undefined) return tail;
  return fc.tuple(fc.constantFrom(...first), tail).map(([a, b]) => a + b);
}

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
export const ALPHABET = {
  lower: LOWER,
  upper: LOWER.toUpperCase(),
  digits: DIGITS,
  alnum: LOWER + LOWER.toUpperCase() + DIGITS,
  lowerDigits: LOWER + DIGITS,
};

/** Cut points for `cut()`: up to `max` of them. */
export const cutsArb = (max = 8) => fc.array(fc.nat(), { maxLength: max });

/**
 * Byte strings built from a vocabulary of protocol-significant tokens mixed with random bytes: far
 * more likely than uniform bytes to reach the interesting branches (literals, quotes, lists).
 */
export function tokenSoup(vocabulary: readonly string[], maxTokens = 40): fc.Arbitrary<Uint8Array> {
  const token = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...vocabulary).map(utf8) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 12 }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 8 }).map(utf8) },
  );
  return fc.array(token, { maxLength: maxTokens }).map(concatBytes);
}

/**
 * The minimal Socket surface CommandReader uses ("data" and "close" events, pause/resume), so a
 * property can drive it without the kernel: deterministic and fast.
 */
export class FakeSocket extends EventEmitter {
  paused = false;
  pauses = 0;

  pause(): this {
    this.paused = true;
    this.pauses++;
    return this;
  }

  resume(): this {
    this.paused = false;
    return this;
  }

  asSocket(): Socket {
    return this as unknown as Socket;
  }
}

/** Lets pending I/O callbacks and promise continuations run (one macrotask turn). */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
