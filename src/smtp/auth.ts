/**
 * AUTH PLAIN and LOGIN (RFC 4954, RFC 4616) against Mailroom accounts. smtp-server runs the SASL
 * exchange; this hook checks the credentials. Failures are answered after a delay that grows per
 * client address and per account (whichever is longer), so neither one host guessing many accounts
 * nor many hosts guessing one account get more than a handful of tries a minute. The reply never says
 * whether the account exists. Passwords need TLS except from trusted networks (tls.ts).
 */
import type {
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerSession,
} from "smtp-server";
import { clientAddressKey } from "../security/connection-limits.ts";
import { passwordCheck } from "../security/password-check.ts";
import type { CatchLogin } from "./catch.ts";
import type { SmtpContext, SmtpUser } from "./context.ts";
import { reply } from "./replies.ts";
import { passwordsNeedTls } from "./tls.ts";

type Callback = (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void;

export function onAuth(ctx: SmtpContext) {
  return (auth: SMTPServerAuthentication, session: SMTPServerSession, callback: Callback): void => {
    authenticate(ctx, auth, session).then(
      (user) => callback(null, { user }),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  };
}

async function authenticate(
  ctx: SmtpContext,
  auth: SMTPServerAuthentication,
  session: SMTPServerSession,
): Promise<SmtpUser | CatchLogin> {
  const login = (auth.username ?? "").trim();
  const password = auth.password ?? "";
  // The guard in tls.ts answers AUTH with 538 before any credentials are read; should a password get
  // here all the same, it is not even checked, so a guess over plain text teaches nothing.
  if (passwordsNeedTls(session)) throw reply.encryptionRequired();
  // RFC 4616 §2: an authorization identity other than the authentication identity asks to act as
  // someone else, which nobody may. (smtp-server takes the login from authzid when authcid is empty.)
  if (
    auth.method === "PLAIN" &&
    auth.authzid &&
    auth.authcid &&
    !sameLogin(ctx, auth.authzid, auth.authcid)
  ) {
    ctx.log.warn("smtp.auth_failed", {
      session: session.id,
      client: session.remoteAddress,
      login,
      reason: "authzid",
    });
    throw reply.authzDenied();
  }
  // Issue 16: catch mode takes any credentials. The login is no account (see catch.ts), so it can
  // neither relay nor change the sender rules; it only lets clients that insist on AUTH through.
  if (ctx.catching?.all) {
    ctx.log.info("smtp.auth", { session: session.id, client: session.remoteAddress, login, catch: true });
    return { catchLogin: login };
  }
  let check: Awaited<ReturnType<typeof passwordCheck>>;
  try {
    check = await passwordCheck({
      read: ctx.store.read,
      limiter: ctx.authFailures,
      protocol: "smtp",
      client: clientAddressKey(session.remoteAddress),
      login,
      password,
      primaryDomain: ctx.primaryDomain,
    });
  } catch (error) {
    ctx.log.error("smtp.auth_error", { session: session.id, client: session.remoteAddress, error });
    throw reply.authUnavailable();
  }
  if (!check.ok) {
    // The login helps an operator tell guessing from a typo; the password is never logged.
    ctx.log.warn("smtp.auth_failed", {
      session: session.id,
      client: session.remoteAddress,
      method: auth.method,
      login,
      failures: check.failures,
      delayMs: check.delayMs,
      ...(check.lockedOut ? { lockedOut: true } : {}),
    });
    if (check.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, check.delayMs));
    throw reply.authFailed();
  }
  const account = check.account;
  ctx.log.info("smtp.auth", {
    session: session.id,
    client: session.remoteAddress,
    method: auth.method,
    account: account.address,
  });
  return { accountId: account.id, address: account.address };
}

/** A login as accountAuthenticate() reads it: lower-case, bare local parts in the primary domain. */
function normalLogin(ctx: SmtpContext, login: string): string {
  const name = login.trim().toLowerCase();
  return name.includes("@") ? name : `${name}@${ctx.primaryDomain}`;
}

function sameLogin(ctx: SmtpContext, a: string, b: string): boolean {
  return normalLogin(ctx, a) === normalLogin(ctx, b);
}
