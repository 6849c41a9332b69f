/**
 * Path and query inputs shared by the routes: query-string schemas, the opaque list cursor, message
 * ids, and turning the `{address}` / `{mailbox}` path segments into store objects (404 when absent).
 * Hono's c.req.param() already percent-decodes, so "Archive%2F2024" arrives as "Archive/2024".
 */
import type { Context } from "hono";
import { z } from "zod";
import {
  type Account,
  accountFind,
  accountGet,
  type Mailbox,
  mailboxGet,
  messageLatestId,
  type Reader,
} from "../store/mod.ts";
import { ApiError } from "./problem.ts";
import { FlagList } from "./schemas.ts";

/** Query strings arrive as text; only "true"/"false", so "?unseen=0" is an error rather than true. */
const QueryBoolean = z.enum(["true", "false"]).transform((v) => v === "true");

export const MessageListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(200).optional(),
  unseen: QueryBoolean.optional(),
  q: z.string().min(1).max(200).optional(),
});

export const MessageImportQuery = z.strictObject({
  /** Comma-separated, e.g. "\Seen,\Flagged". */
  flags: z
    .string()
    .max(4096)
    .transform((s) =>
      s
        .split(",")
        .map((f) => f.trim())
        .filter((f) => f !== ""),
    )
    .pipe(FlagList)
    .optional(),
});

export const AccountListQuery = z.strictObject({
  domain: z.string().min(1).max(253).optional(),
});

/**
 * Validates the query string; a bad value is a ZodError, answered as 422 naming the parameter. The
 * schemas are strict like the bodies': a misspelt parameter ("?unsen=true") is a 422, not ignored.
 */
export function queryParams<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return schema.parse(c.req.query());
}

/** A list's `next` cursor: one integer position, opaque to clients. */
export interface ListCursor {
  encode(position: number): string;
  /** The position, or a 400 for anything this server did not issue. */
  decode(cursor: string): number;
}

/**
 * A list cursor is opaque to clients (base64url of JSON, `{ [key]: position }`) so its content can
 * change without breaking them; positions below `min` were never issued.
 */
function listCursor(key: string, min: number): ListCursor {
  const bad = () =>
    new ApiError(
      400,
      "Bad Request",
      "cursor is not one this server issued; pass the `next` value of a previous page",
    );
  return {
    encode: (position) => Buffer.from(JSON.stringify({ [key]: position })).toString("base64url"),
    decode(cursor) {
      if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
      } catch {
        throw bad();
      }
      const position = (value as Record<string, unknown> | null)?.[key];
      if (typeof position !== "number" || !Number.isSafeInteger(position) || position < min) throw bad();
      return position;
    },
  };
}

/** Messages are listed newest first: the cursor is the UID to continue below. */
export const beforeUidCursor = listCursor("b", 1);

/** The queue is listed oldest first: the cursor is the item id to continue after. */
export const afterIdCursor = listCursor("a", 0);

/** A search across accounts is listed newest first: the cursor is the message id to continue below. */
export const beforeIdCursor = listCursor("i", 1);

/**
 * A message id: a positive integer, unique across accounts (store/message-find.ts), or "latest", the
 * newest message (of the `{address}` account when the path has one, else of all). Anything else
 * names no message, so it is a 404 like an unknown id.
 */
export async function messageIdParam(c: Context, r: Reader): Promise<number> {
  const text = c.req.param("id") ?? "";
  if (text === "latest") {
    const address = c.req.param("address");
    const account = address === undefined ? undefined : await accountFind(r, address);
    const latest = address !== undefined && !account ? undefined : await messageLatestId(r, account?.id);
    if (latest === undefined) throw new ApiError(404, "Not Found", "there is no message yet");
    return latest;
  }
  const id = /^[1-9][0-9]{0,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id)) throw new ApiError(404, "Not Found", `message ${text} not found`);
  return id;
}

/** The `{address}` path segment as an account; StoreError not_found (404) when there is none. */
export function accountParam(c: Context, r: Reader): Promise<Account> {
  return accountGet(r, c.req.param("address") ?? "");
}

/** The `{address}` and `{mailbox}` path segments as store objects; 404 when either is unknown. */
export async function mailboxParam(c: Context, r: Reader): Promise<{ account: Account; mailbox: Mailbox }> {
  const account = await accountParam(c, r);
  const mailbox = await mailboxGet(r, account.id, c.req.param("mailbox") ?? "");
  return { account, mailbox };
}
