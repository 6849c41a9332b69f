/**
 * Messages by their global id (issue 16): `/api/v1/messages/{id}` and its raw bytes, whoever owns
 * them (ids are unique across accounts, store/message-find.ts), and releasing a caught message to a
 * real server: one SMTP transaction to the given route, with each recipient's answer reported.
 */
import { Hono } from "hono";
import { parseRoutes, type Route } from "../../config.ts";
import { headerEnd, parseAddressList, parseHeaders } from "../../mime/mod.ts";
import { contentRaw, StoreError } from "../../store/mod.ts";
import { jsonBody } from "../body.ts";
import { type ApiEnv, handedOver } from "../deps.ts";
import { messageOfPath } from "../message-locate.ts";
import { messageViewWithAccount } from "../message-view.ts";
import { ApiError, problem } from "../problem.ts";
import { MessageRelease } from "../schemas.ts";

/**
 * The envelope sender to release with: the Return-Path we put first at delivery (RFC 5321 §4.4,
 * "" for the null sender), else the first From address, else the null sender.
 */
function senderOf(raw: Uint8Array): string {
  const fields = parseHeaders(raw, 0, headerEnd(raw));
  const returnPath = fields.find((f) => f.name.toLowerCase() === "return-path");
  const path = returnPath && /<([^<>]*)>/.exec(returnPath.value);
  if (path) return path[1]!.trim();
  const from = fields.find((f) => f.name.toLowerCase() === "from");
  const first = from ? parseAddressList(from.value).find((a) => a.host !== null && a.mailbox) : undefined;
  return first ? `${first.mailbox}@${first.host}` : "";
}

/** "smtp://host:port" and friends, read as MAILROOM_ROUTES reads a route (config.ts). */
function routeOf(text: string): Route {
  try {
    const [route] = parseRoutes(`*=${text.trim()}`);
    if (route && !text.includes(",")) return route;
  } catch {
    // Answered below, without echoing the text: it may hold a password.
  }
  throw new ApiError(
    422,
    "Unprocessable Content",
    "route: must be smtp://host:port, smtps://host:port or host:port (smtp://user:pass@host:port to log in over TLS)",
  );
}

export const messageGlobalRoutes = new Hono<ApiEnv>()
  .get("/:id", async (c) => {
    const { store } = c.get("deps");
    const message = await messageOfPath(c);
    const view = await messageViewWithAccount(store.read, message);
    if (!view) throw new StoreError("not_found", `message ${message.id} not found`);
    return c.json(view);
  })
  .get("/:id/raw", async (c) => {
    const { store } = c.get("deps");
    const message = await messageOfPath(c);
    const raw = await contentRaw(store.read, message.contentId);
    if (!raw) throw new StoreError("not_found", `message ${message.id} not found`);
    return c.body(raw as Uint8Array<ArrayBuffer>, 200, { "content-type": "message/rfc822" });
  })
  .post("/:id/release", async (c) => {
    const { store } = c.get("deps");
    const release = handedOver(c, "release");
    const body = await jsonBody(c, MessageRelease);
    const route = routeOf(body.route);
    const message = await messageOfPath(c);
    const raw = await contentRaw(store.read, message.contentId);
    if (!raw) throw new StoreError("not_found", `message ${message.id} not found`);
    const sender = body.from ?? senderOf(raw);
    const outcome = await release.release({ raw, sender, recipients: body.to, route });
    const to = `${route.host}:${route.port}`;
    if (outcome.kind === "unreachable")
      return problem(c, 502, "Bad Gateway", `${to} did not take the message: ${outcome.reply}`);
    return c.json({ id: message.id, route: to, sender, recipients: outcome.recipients });
  });
