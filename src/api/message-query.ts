/**
 * The query string of the cross-account search and the wait-for-message (issue 16): substring
 * criteria (to, from, subject, text), `since` / `before` (an RFC 3339 time, a message id, or
 * "latest"), `flag`, `mailbox`, and for the wait its `timeout`. Turned into the store's
 * MessageCriteria; a bad value is a 422 naming the parameter, like every other query string.
 */
import type { Context } from "hono";
import { z } from "zod";
import { type MessageCriteria, messageLatestId, type Reader } from "../store/mod.ts";
import { READ_LIMITS, WAIT_LIMITS } from "./limits.ts";

const Criterion = z.string().min(1).max(READ_LIMITS.maxCriterionLength);

/** RFC 3339 §5.6 date-time (T or space, seconds required, Z or an offset). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** A point in the message stream: a time (epoch ms), a message id, or the newest message. */
type Mark = { time: number } | { id: number } | { latest: true };

const MarkParam = z
  .string()
  .max(64)
  .transform((text, ctx): Mark => {
    if (text === "latest") return { latest: true };
    if (/^[1-9][0-9]{0,15}$/.test(text)) return { id: Number(text) };
    const time = RFC3339.test(text) ? Date.parse(text.replace(" ", "T")) : Number.NaN;
    if (Number.isFinite(time)) return { time };
    ctx.addIssue({
      code: "custom",
      message: 'must be an RFC 3339 time (2024-05-01T10:00:00Z), a message id, or "latest"',
    });
    return z.NEVER;
  });

/** "30s", "500ms", "2m", "1h"; a bare number is seconds. */
const Timeout = z
  .string()
  .max(20)
  .transform((text, ctx) => {
    const m = /^(\d{1,9})(ms|s|m|h)?$/.exec(text.trim());
    if (!m) {
      ctx.addIssue({
        code: "custom",
        message: "must be a duration like 30s, 500ms, 2m (a bare number is seconds)",
      });
      return z.NEVER;
    }
    return (
      Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"]
    );
  });

/** `flag=\Seen` (has it) or `flag=!\Seen` (has it not); a system flag or a keyword. */
const FlagParam = z
  .string()
  .min(1)
  .max(257)
  .transform((text) =>
    text.startsWith("!") ? { name: text.slice(1), negate: true } : { name: text, negate: false },
  )
  .refine((f) => f.name.length > 0, "names a flag, optionally after !");

const common = {
  to: Criterion.optional(),
  from: Criterion.optional(),
  subject: Criterion.optional(),
  text: Criterion.optional(),
  since: MarkParam.optional(),
  mailbox: z.string().min(1).max(1024).optional(),
};

export const WaitQuery = z.strictObject({ ...common, timeout: Timeout.optional() });

export const SearchQuery = z.strictObject({
  ...common,
  before: MarkParam.optional(),
  flag: FlagParam.optional(),
  limit: z.coerce.number().int().min(1).max(READ_LIMITS.maxPageSize).default(50),
  cursor: z.string().min(1).max(200).optional(),
});

/** What the criteria of a query mean for the store; `accountId` scopes it ("latest" included). */
export async function criteriaOf(
  r: Reader,
  query: z.output<typeof WaitQuery> | z.output<typeof SearchQuery>,
  accountId?: number,
): Promise<MessageCriteria> {
  const criteria: MessageCriteria = {
    accountId,
    to: query.to,
    from: query.from,
    subject: query.subject,
    text: query.text,
    mailbox: query.mailbox,
  };
  const latest = async () => (await messageLatestId(r, accountId)) ?? 0;
  if (query.since) {
    const since = query.since;
    if ("time" in since) criteria.sinceTime = since.time;
    else criteria.sinceId = "id" in since ? since.id : await latest();
  }
  if ("before" in query && query.before) {
    const before = query.before;
    if ("time" in before) criteria.beforeTime = before.time;
    // Before the newest: everything but it (with no message at all, nothing).
    else criteria.beforeId = "id" in before ? before.id : await latest();
  }
  if ("flag" in query && query.flag) criteria.flag = query.flag;
  return criteria;
}

/** The wait's timeout in ms as asked (the hub caps it), WAIT_LIMITS.defaultTimeoutMs when not given. */
export function waitTimeoutOf(query: z.output<typeof WaitQuery>): number {
  return query.timeout ?? WAIT_LIMITS.defaultTimeoutMs;
}

/** Validates a query string against one of the schemas above (a ZodError is answered 422). */
export function messageQuery<S extends typeof WaitQuery | typeof SearchQuery>(
  c: Context,
  schema: S,
): z.output<S> {
  return schema.parse(c.req.query()) as z.output<S>;
}
