/**
 * Request bodies, read with a byte limit: a declared Content-Length over the limit is refused before
 * reading, and a body without one (chunked) is refused as soon as it passes the limit, so an oversized
 * upload is never buffered whole. JSON is parsed and validated with zod: malformed JSON is a 400, a
 * bad field a 422, too large a 413.
 */
import { Buffer } from "node:buffer";
import type { Context } from "hono";
import type { z } from "zod";
import { ApiError } from "./problem.ts";

/** JSON bodies are small (settings, names); anything larger is refused before parsing. */
export const MAX_JSON_BODY = 64 * 1024;

/** Reads the raw body up to `limit` bytes; 413 (naming `what`) past it. */
export async function rawBody(c: Context, limit: number, what: string): Promise<Uint8Array> {
  const tooLarge = () => new ApiError(413, "Content Too Large", `${what} is limited to ${limit} bytes`);
  const declared = Number(c.req.header("content-length") ?? 0);
  if (declared > limit) throw tooLarge();
  const body = c.req.raw.body;
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const bytes = await rawBody(c, MAX_JSON_BODY, "a JSON body");
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ApiError(400, "Bad Request", "the request body is not valid JSON");
  }
  return schema.parse(value);
}
