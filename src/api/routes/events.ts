/**
 * `GET /api/v1/events` (issue 16): the live events as Server-Sent Events (text/event-stream).
 * `?account=` keeps one account's events, `?type=` a comma-separated list of types (or `message.*`);
 * `Last-Event-ID` (the header EventSource sends on reconnecting, or `?lastEventId=`) replays the
 * retained events after that id first (sse-clients.ts, EVENT_LIMITS for the retention).
 */
import { Hono } from "hono";
import { z } from "zod";
import { EVENT_TYPES, type EventType } from "../../events/types.ts";
import type { ApiEnv } from "../deps.ts";
import { problem } from "../problem.ts";
import { TooManyStreams } from "../sse-clients.ts";

const TypeList = z
  .string()
  .max(500)
  .transform((text, ctx) => {
    const types = text
      .split(",")
      .map((t) => t.trim())
      .filter((t) => t.length > 0);
    for (const t of types) {
      const known = t.endsWith(".*")
        ? EVENT_TYPES.some((e) => e.startsWith(t.slice(0, -1)))
        : (EVENT_TYPES as readonly string[]).includes(t);
      if (!known) {
        ctx.addIssue({
          code: "custom",
          message: `unknown event type ${JSON.stringify(t)}: one of ${EVENT_TYPES.join(", ")}, or a prefix like message.*`,
        });
        return z.NEVER;
      }
    }
    return types as Array<EventType | `${string}.*`>;
  });

const EventId = z
  .string()
  .regex(/^\d{1,16}$/, "must be an event id (digits)")
  .transform(Number);

const EventsQuery = z
  .object({
    account: z
      .string()
      .min(1)
      .max(320)
      .transform((a) => a.toLowerCase())
      .optional(),
    type: TypeList.optional(),
    lastEventId: EventId.optional(),
    /** RFC 6750 §2.3, for EventSource (checked by bearerAuth). */
    access_token: z.string().optional(),
  })
  .strict();

export const eventRoutes = new Hono<ApiEnv>().get("/", (c) => {
  const { sse } = c.get("deps");
  if (!sse) throw new Error("createApp sets deps.sse");
  const query = EventsQuery.parse(c.req.query());
  const header = c.req.header("last-event-id");
  const lastEventId =
    header !== undefined && header.trim() !== "" ? EventId.parse(header.trim()) : query.lastEventId;
  let body: ReadableStream<Uint8Array>;
  try {
    body = sse.open(
      { account: query.account, types: query.type },
      { ...(lastEventId !== undefined ? { lastEventId } : {}), signal: c.req.raw.signal },
    );
  } catch (error) {
    if (!(error instanceof TooManyStreams)) throw error;
    c.header("retry-after", "1");
    return problem(c, 503, "Service Unavailable", error.message);
  }
  // A stream lasts as long as the client stays: the heartbeat, not the idle timeout, keeps it honest.
  c.env?.keepOpen?.(c.req.raw);
  return new Response(body, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      // Proxies such as nginx would otherwise buffer the stream.
      "x-accel-buffering": "no",
    },
  });
});
