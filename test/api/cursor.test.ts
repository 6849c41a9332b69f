/** The list cursors of GET .../messages and GET /queue: one codec, each with its own wire form. */
import { expect, test } from "bun:test";
import { afterIdCursor, beforeUidCursor } from "../../src/api/params.ts";

const json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

test("the cursors keep the wire form of the cursors issued before, so a client's next page still works", () => {
  expect(beforeUidCursor.encode(42)).toBe(json({ b: 42 }));
  expect(afterIdCursor.encode(42)).toBe(json({ a: 42 }));
  expect(beforeUidCursor.decode(json({ b: 42 }))).toBe(42);
  expect(afterIdCursor.decode(json({ a: 0 }))).toBe(0);
});

test.each([
  ["a UID below 1", beforeUidCursor, json({ b: 0 })],
  ["a queue cursor given to the message list", beforeUidCursor, json({ a: 5 })],
  ["a message cursor given to the queue", afterIdCursor, json({ b: 5 })],
  ["a negative id", afterIdCursor, json({ a: -1 })],
  ["a fraction", afterIdCursor, json({ a: 1.5 })],
  ["not base64url", afterIdCursor, "a+b/c="],
  ["not JSON", beforeUidCursor, Buffer.from("{b:").toString("base64url")],
  ["JSON null", beforeUidCursor, json(null)],
])("decode() refuses %s with a 400", (_, cursor, text) => {
  expect(() => cursor.decode(text)).toThrow(expect.objectContaining({ status: 400 }));
});
