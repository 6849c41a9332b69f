/**
 * The one password check every protocol uses (SMTP AUTH, POP3, IMAP): the attempt takes its slots in
 * the shared limiter first (a locked-out client or account, or one with every slot in flight, is
 * refused without looking at the password), then the account's password is checked, then the attempt
 * is settled. Callers only log, wait `delayMs` and answer in their protocol — the same answer whether
 * the password was wrong, the account unknown, or the key locked out.
 */
import type { CatchPolicy } from "../catch/policy.ts";
import { type Account, accountAuthenticate, type CredentialCache, type Reader } from "../store/mod.ts";
import { type AuthFailures, accountKey } from "./auth-failures.ts";

/** What the check needs of the server: every protocol's context carries these under these names. */
export interface LoginServices {
  /**
   * `credentials`: recently verified logins; a correct password seen within its TTL skips the hash
   * derivation. The attempt is counted and settled exactly as without it.
   */
  store: { read: Reader; credentials?: CredentialCache };
  /** The limiter all protocols share. */
  authFailures: AuthFailures;
  primaryDomain: string;
  /**
   * Issue 16: the catch policy, consulted before the password: a login it names (catch mode, a live
   * namespace's addresses) needs no password. The check itself stays the same for everyone.
   */
  catching?: CatchPolicy | undefined;
}

export interface LoginAttempt {
  /** The client's key from clientAddressKey() (IPv6 per /64), as the connection limits use it. */
  client: string;
  login: string;
  password: string;
  /** Named in the auth.failed event (issue 16): smtp, imap, pop3 or web (issue 17). */
  protocol?: string;
}

export type PasswordCheck =
  | { ok: true; account: Account }
  /** `failures` is undefined when the attempt was refused (locked out): not counted as a guess. */
  | { ok: false; delayMs: number; failures: number | undefined; lockedOut: boolean };

/** Throws only when the store cannot be read (callers answer "try again later"). */
export async function passwordCheck(services: LoginServices, input: LoginAttempt): Promise<PasswordCheck> {
  const { primaryDomain } = services;
  // Per client and per account, so neither one host guessing many accounts nor many hosts guessing
  // one account get far. Counted from the start, so guesses sent in parallel count too.
  const start = services.authFailures.begin({
    client: input.client,
    account: accountKey(input.login, primaryDomain),
    login: input.login,
  });
  // Issue 16: every failed login is an auth.failed event (SSE, webhooks).
  const report = (lockedOut: boolean) =>
    services.authFailures.reportFailure({
      protocol: input.protocol ?? "unknown",
      client: input.client,
      login: input.login,
      lockedOut,
    });
  if (!start.allowed) {
    report(true);
    return { ok: false, delayMs: start.delayMs, failures: undefined, lockedOut: true };
  }
  let account: Account | undefined;
  try {
    const read = services.store.read;
    account =
      (await services.catching?.loginAccount(read, input.login, primaryDomain)) ??
      (await accountAuthenticate(read, input.login, input.password, {
        primaryDomain,
        cache: services.store.credentials,
      }));
  } catch (error) {
    start.attempt.abandoned();
    throw error;
  }
  if (account) {
    // Only the client's count is forgotten: the owner's login must not reset a guesser elsewhere.
    start.attempt.succeeded();
    return { ok: true, account };
  }
  const { delayMs, failures } = start.attempt.failed();
  report(false);
  return { ok: false, delayMs, failures, lockedOut: false };
}

/**
 * What every protocol logs about a refused login, after its session, client and login (never the
 * password): the counts that tell guessing from a typo, and whether the key was locked out.
 */
export function refusalFields(check: Omit<Extract<PasswordCheck, { ok: false }>, "ok">) {
  return {
    failures: check.failures,
    delayMs: check.delayMs,
    ...(check.lockedOut ? { lockedOut: true } : {}),
  };
}
