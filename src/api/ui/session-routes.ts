/**
 * /ui/session: the web interface signs in here (issue 17). The admin token, or an account's address
 * and password, is exchanged for a session cookie; the answer carries the session's CSRF token,
 * which the page keeps in memory and sends with every write (../auth.ts).
 *
 * The cookie is HttpOnly (a script that got into the page cannot read it) and SameSite=Strict (no
 * other site's page makes the browser send it); Secure when the request came over HTTPS. Sign-in
 * always makes a new session id and ends the one the browser presented (no session fixation).
 * Sign-in itself is a write a foreign page could try to force (login CSRF): it must be JSON (a
 * cross-site form cannot send that without a preflight) and any Origin must be ours.
 */
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { clientAddressKey } from "../../security/connection-limits.ts";
import { passwordCheck } from "../../security/password-check.ts";
import { CSRF_HEADER, SESSION_COOKIE, secretEquals, sessionOf } from "../auth.ts";
import { jsonBody } from "../body.ts";
import type { ApiEnv } from "../deps.ts";
import { problem } from "../problem.ts";
import { SESSION_LIMITS } from "./limits.ts";
import type { Session } from "./sessions.ts";

const SignIn = z.union([
  z.strictObject({ token: z.string().min(1).max(1024) }),
  z.strictObject({ address: z.string().min(1).max(320), password: z.string().min(1).max(1024) }),
]);

/** What the page learns about its session: who it is, and the CSRF token for its writes. */
function sessionJson(session: Session) {
  return {
    kind: session.principal.kind,
    ...(session.principal.kind === "account" ? { address: session.principal.address } : {}),
    csrfToken: session.csrf,
  };
}

/** An Origin header, when the browser sent one, must be this server's own. */
function foreignOrigin(c: Context<ApiEnv>): boolean {
  const origin = c.req.header("origin");
  if (origin === undefined) return false;
  return origin !== new URL(c.req.url).origin;
}

const unauthorized = (c: Context<ApiEnv>) =>
  problem(c, 401, "Unauthorized", "wrong admin token, or wrong address or password");

export const sessionRoutes = new Hono<ApiEnv>()
  .get("/", async (c) => {
    const session = await sessionOf(c, c.get("deps").sessions!);
    // Not signed in is an answer, not an error: the page asks this on every load.
    if (!session) return c.body(null, 204);
    return c.json(sessionJson(session));
  })
  .post("/", async (c) => {
    const deps = c.get("deps");
    if (!/^application\/json\b/i.test(c.req.header("content-type") ?? "") || foreignOrigin(c)) {
      return problem(c, 403, "Forbidden", "sign in with a JSON body from this server's own page");
    }
    const body = await jsonBody(c, SignIn);
    let principal: Session["principal"];
    if ("token" in body) {
      if (!secretEquals(body.token, deps.adminToken)) return unauthorized(c);
      principal = { kind: "admin" };
    } else {
      // The limiter every protocol shares: guessing over the web counts with guessing over IMAP.
      // No catch policy here: a catch-mode address needs no password over IMAP, but the web's account
      // view is for a real account's owner.
      const check = await passwordCheck(
        { store: deps.store, authFailures: deps.authFailures!, primaryDomain: deps.config.domain },
        {
          client: clientAddressKey(c.env?.clientAddress?.(c.req.raw)),
          login: body.address,
          password: body.password,
          protocol: "web",
        },
      );
      if (!check.ok) {
        deps.log.warn("ui.sign_in_failed", { login: body.address, failures: check.failures });
        if (check.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, check.delayMs));
        return unauthorized(c);
      }
      principal = { kind: "account", address: check.account.address };
    }
    const session = await deps.sessions!.create(principal, getCookie(c, SESSION_COOKIE));
    // The account was disabled or deleted between the password check and now.
    if (!session) return unauthorized(c);
    setCookie(c, SESSION_COOKIE, session.id, {
      httpOnly: true,
      sameSite: "Strict",
      secure: new URL(c.req.url).protocol === "https:",
      path: "/",
      maxAge: Math.floor(SESSION_LIMITS.absoluteMs / 1000),
    });
    deps.log.info("ui.signed_in", { kind: principal.kind, ...("address" in principal ? principal : {}) });
    return c.json(sessionJson(session), 201);
  })
  .delete("/", async (c) => {
    const { sessions } = c.get("deps");
    const session = await sessionOf(c, sessions!);
    if (session) {
      const given = c.req.header(CSRF_HEADER);
      if (given === undefined || !secretEquals(given, session.csrf)) {
        return problem(c, 403, "Forbidden", `signing out needs the session's ${CSRF_HEADER} header`);
      }
      await sessions!.delete(session.id);
    }
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.body(null, 204);
  });
