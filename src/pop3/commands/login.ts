/**
 * The one path by which USER/PASS and AUTH log in: check the credentials, slow down guessers (per
 * client address and per account, with a temporary lockout after many failures), take an account
 * session slot, and open the maildrop snapshot. A failure says only "[AUTH]" (RFC 3206): never
 * whether the account exists or is disabled.
 */
import { passwordCheck } from "../../security/password-check.ts";
import { maildropOpen } from "../maildrop.ts";
import { type Reply, reply } from "../protocol/response.ts";
import { SeenMarker } from "../seen.ts";
import type { Session } from "../session.ts";

/**
 * The answer to USER, PASS or AUTH where passwords may not be sent in the clear. RFC 3206 §4 names
 * "an attempt to authenticate in violation of policy" as a case for [AUTH]. No password is checked.
 */
export function privacyRequired(session: Session): Reply {
  return reply.err(
    session.canStartTls
      ? "plain-text authentication needs TLS here: use STLS first"
      : "plain-text authentication needs an encrypted connection",
    "AUTH",
  );
}

export async function logIn(session: Session, login: string, password: string): Promise<Reply> {
  const { ctx, authFailures, accountSessions } = session.shared;
  let check: Awaited<ReturnType<typeof passwordCheck>>;
  try {
    check = await passwordCheck({
      read: ctx.store.read,
      limiter: authFailures,
      protocol: "pop3",
      client: session.client,
      login,
      password,
      primaryDomain: ctx.primaryDomain,
      catching: ctx.catching,
    });
  } catch (error) {
    ctx.log.error("pop3.auth_error", { session: session.id, client: session.client, error });
    return reply.err("cannot check credentials now, try again later", "SYS/TEMP");
  }
  if (!check.ok) return loginFailed(session, login, check);
  const account = check.account;

  if (!accountSessions.tryAcquire(account.id)) {
    ctx.log.warn("pop3.in_use", { session: session.id, client: session.client, account: account.address });
    return reply.err("too many sessions open for this maildrop", "IN-USE");
  }
  let maildrop: Awaited<ReturnType<typeof maildropOpen>>;
  try {
    maildrop = await maildropOpen(ctx.store, account.id);
  } catch (error) {
    accountSessions.release(account.id);
    ctx.log.error("pop3.maildrop_error", { session: session.id, account: account.address, error });
    return reply.err("maildrop not available, try again later", "SYS/TEMP");
  }
  const accountId = account.id;
  session.onClose(() => {
    maildrop.close();
    accountSessions.release(accountId);
  });
  session.state = {
    kind: "transaction",
    account,
    maildrop,
    deleted: new Set(),
    seen: new SeenMarker(ctx.store, maildrop.mailbox.id, {
      log: ctx.log,
      delayMs: session.shared.limits.seenFlushDelayMs,
    }),
  };
  const octets = maildrop.messages.reduce((sum, m) => sum + m.size, 0);
  ctx.log.info("pop3.login", {
    session: session.id,
    client: session.client,
    account: account.address,
    messages: maildrop.messages.length,
  });
  return reply.ok(`${account.address} has ${maildrop.messages.length} messages (${octets} octets)`);
}

async function loginFailed(
  session: Session,
  login: string,
  check: { delayMs: number; failures: number | undefined; lockedOut: boolean },
): Promise<Reply> {
  const { ctx, limits } = session.shared;
  session.authFailures++;
  // The login name helps an operator tell guessing from a typo; the password is never logged.
  ctx.log.warn("pop3.login_failed", {
    session: session.id,
    client: session.client,
    login,
    failures: check.failures,
    delayMs: check.delayMs,
    ...(check.lockedOut ? { lockedOut: true } : {}),
  });
  await sleep(check.delayMs, session.signal);
  const answer = reply.err("invalid login or password", "AUTH");
  return session.authFailures >= limits.maxAuthFailuresPerConnection ? reply.closing(answer) : answer;
}

/** Waits, or stops waiting as soon as the connection is gone. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
