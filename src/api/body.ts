/** Request bodies: JSON parsed and validated with zod; malformed JSON is a 400, a bad field a 422. */
import type { Context } from "hono";
import type { z } from "zod";
import { ApiError } from "./problem.ts";

/** JSON bodies are small (settings, names); anything larger is refused before parsing. */
export const MAX_JSON_BODY = 64 * 1024;

export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const length = Number(c.req.header("content-length") ?? 0);
  if (length > MAX_JSON_BODY)
    throw new ApiError(413, "Content Too Large", `JSON bodies are limited to ${MAX_JSON_BODY} bytes`);
  const text = await c.req.text();
  if (text.length > MAX_JSON_BODY)
    throw new ApiError(413, "Content Too Large", `JSON bodies are limited to ${MAX_JSON_BODY} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, "Bad Request", "the request body is not valid JSON");
  }
  return schema.parse(value);
}
