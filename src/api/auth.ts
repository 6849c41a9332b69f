/**
 * Who may call /api/v1: the admin token (`Authorization: Bearer`, compared in constant time so
 * response timing leaks nothing about it), or a web-interface session cookie (issue 17, see
 * ui/sessions.ts). A cookie session must send its CSRF token on every write, and an account's
 * session reaches only that account's own mail.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { ApiEnv } from "./deps.ts";
import { problem } from "./problem.ts";
import type { Principal, Session, SessionStore } from "./ui/sessions.ts";

const digest = (s: string) => createHash("sha256").update(s).digest();

/** The session cookie's name (HttpOnly, SameSite=Strict: see ui/session-routes.ts). */
export const SESSION_COOKIE = "mailroom_session";
/** The header a cookie session's writes carry its CSRF token in. */
export const CSRF_HEADER = "x-csrf-token";

/**
 * Issue 16: the event stream also takes the token as `?access_token=` (RFC 6750 §2.3), because a
 * browser's (and Deno's) EventSource cannot send an Authorization header. Only there: elsewhere a
 * token in a URL would end up in logs and histories for no reason.
 */
const QUERY_TOKEN_PATHS = new Set(["/api/v1/events"]);

/** Methods that change nothing (RFC 9110 §9.2.1): the only ones a cookie session may send without CSRF token. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Constant-time equality of two secrets of any length. */
export function secretEquals(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The live session the request's cookie names, if any. */
export async function sessionOf(c: Context<ApiEnv>, sessions: SessionStore): Promise<Session | undefined> {
  const id = getCookie(c, SESSION_COOKIE);
  return id === undefined ? undefined : await sessions.get(id);
}

/**
 * What an account's session may reach: its own account (read only) and everything under it
 * (mailboxes, messages, their parts), and the event stream narrowed to its own events
 * (`?account=` its address). Compared on the decoded path segment, as the router decodes it.
 */
export function accountMayReach(address: string, method: string, path: string, account?: string): boolean {
  if (path === "/api/v1/events") return method === "GET" && account?.trim().toLowerCase() === address;
  const match = /^\/api\/v1\/accounts\/([^/]+)(\/.*)?$/.exec(path);
  if (!match) return false;
  let segment: string;
  try {
    segment = decodeURIComponent(match[1]!);
  } catch {
    return false;
  }
  if (segment.trim().toLowerCase() !== address) return false;
  // The account row itself (quota, disabled) is the admin's to change.
  return match[2] !== undefined || SAFE_METHODS.has(method);
}

/** The admin token, or (with `sessions`) a web session's cookie. */
export function apiAuth(token: string, sessions?: SessionStore): MiddlewareHandler<ApiEnv> {
  const expected = digest(token);
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (header === undefined && sessions) {
      const session = await sessionOf(c, sessions);
      if (session) {
        const refused = cookieRefusal(c, session);
        if (refused) return refused;
        c.set("principal", session.principal);
        return next();
      }
    }
    const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
    const presented =
      match?.[1]?.trim() ??
      (c.req.method === "GET" && QUERY_TOKEN_PATHS.has(c.req.path) ? c.req.query("access_token") : undefined);
    // Comparing digests keeps the comparison constant-time whatever the presented length.
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      c.header("WWW-Authenticate", 'Bearer realm="mailroom"');
      return problem(
        c,
        401,
        "Unauthorized",
        "a valid admin token is required: Authorization: Bearer <token>",
      );
    }
    c.set("principal", { kind: "admin" } satisfies Principal);
    await next();
  };
}

/** Why a cookie-authenticated request is refused (CSRF, another account's mail), or undefined. */
function cookieRefusal(c: Context<ApiEnv>, session: Session): Response | undefined {
  const method = c.req.method;
  if (!SAFE_METHODS.has(method)) {
    const given = c.req.header(CSRF_HEADER);
    if (given === undefined || !secretEquals(given, session.csrf)) {
      return problem(c, 403, "Forbidden", `a write from a browser session needs its ${CSRF_HEADER} header`);
    }
  }
  const { principal } = session;
  if (
    principal.kind === "account" &&
    !accountMayReach(principal.address, method, c.req.path, c.req.query("account"))
  ) {
    return problem(c, 403, "Forbidden", `an account's session reaches ${principal.address}'s own mail only`);
  }
  return undefined;
}

/** The admin token alone, without sessions (kept for callers that mount a bare API). */
export function bearerAuth(token: string): MiddlewareHandler<ApiEnv> {
  return apiAuth(token);
}
