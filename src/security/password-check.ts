/**
 * The one password check every protocol uses (SMTP AUTH, POP3, IMAP): lockout first (a locked-out
 * client or account is refused without looking at the password), then the account's password, then
 * the shared limiter's bookkeeping. Callers only log, wait `delayMs` and answer in their protocol —
 * the same answer whether the password was wrong, the account unknown, or the key locked out.
 */
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
}

export type PasswordCheck =
  | { ok: true; account: Account }
  /** `failures` is undefined during a lockout: the attempt was refused, not counted as a guess. */
  | { ok: false; delayMs: number; failures: number | undefined; lockedOut: boolean };

/** Throws only when the store cannot be read (callers answer "try again later"). */
export async function passwordCheck(input: PasswordCheckInput): Promise<PasswordCheck> {
  // Per client and per account, so neither one host guessing many accounts nor many hosts guessing
  // one account get far.
  const client = input.client;
  const keys = [client, accountKey(input.login, input.primaryDomain)];
  const lockedOut = input.limiter.isLockedOut(keys);
  const account = lockedOut
    ? undefined
    : await accountAuthenticate(input.read, input.login, input.password, {
        primaryDomain: input.primaryDomain,
      });
  if (account) {
    // Only the client's count is forgotten: the owner's login must not reset a guesser elsewhere.
    input.limiter.recordSuccess(client);
    return { ok: true, account };
  }
  const delayMs = input.limiter.delayFor(keys);
  const failures = lockedOut ? undefined : input.limiter.recordFailure(keys, input.login);
  return { ok: false, delayMs, failures, lockedOut };
}
