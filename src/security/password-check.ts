/**
 * The one password check every protocol uses (SMTP AUTH, POP3, IMAP): the attempt takes its slots in
 * the shared limiter first (a locked-out client or account, or one with every slot in flight, is
 * refused without looking at the password), then the account's password is checked, then the attempt
 * is settled. Callers only log, wait `delayMs` and answer in their protocol — the same answer whether
 * the password was wrong, the account unknown, or the key locked out.
 */
import type { CatchPolicy } from "../catch/policy.ts";
import { type Account, accountAuthenticate, type Reader } from "../store/mod.ts";
import { type AuthFailures, accountKey } from "./auth-failures.ts";

export interface PasswordCheckInput {
  read: Reader;
  limiter: AuthFailures;
  /** The client's key from clientAddressKey() (IPv6 per /64), as the connection limits use it. */
  client: string;
  login: string;
  password: string;
  primaryDomain: string;
  /** Named in the auth.failed event (issue 16): smtp, imap, pop3 or web (issue 17). */
  protocol?: string;
  /** Issue 16: logins it names (catch mode, a namespace's addresses) need no password. */
  catching?: CatchPolicy | undefined;
}

export type PasswordCheck =
  | { ok: true; account: Account }
  /** `failures` is undefined when the attempt was refused (locked out): not counted as a guess. */
  | { ok: false; delayMs: number; failures: number | undefined; lockedOut: boolean };

/** Throws only when the store cannot be read (callers answer "try again later"). */
export async function passwordCheck(input: PasswordCheckInput): Promise<PasswordCheck> {
  // Per client and per account, so neither one host guessing many accounts nor many hosts guessing
  // one account get far. Counted from the start, so guesses sent in parallel count too.
  const start = input.limiter.begin({
    client: input.client,
    account: accountKey(input.login, input.primaryDomain),
    login: input.login,
  });
  const report = (lockedOut: boolean) =>
    input.limiter.reportFailure({
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
    account =
      (await input.catching?.loginAccount(input.read, input.login, input.primaryDomain)) ??
      (await accountAuthenticate(input.read, input.login, input.password, {
        primaryDomain: input.primaryDomain,
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
