/** What every POP3 session shares: the listener's dependencies, its limits, and the per-account counts. */
import type { CatchPolicy } from "../catch/policy.ts";
import type { ChaosRules } from "../chaos/rules.ts";
import type { Logger } from "../log.ts";
import { AuthFailures } from "../security/auth-failures.ts";
import type { PlaintextAuthPolicy } from "../security/plaintext-auth.ts";
import type { Store } from "../store/mod.ts";
import type { TlsProvider } from "../tls/mod.ts";
import { DEFAULT_LIMITS, type Pop3Limits } from "./limits.ts";

export interface Pop3Context {
  store: Store;
  log: Logger;
  /** Named in the greeting and the sign-off. */
  hostname: string;
  /** Whose users may log in with the bare local part. */
  primaryDomain: string;
  /** Overrides of DEFAULT_LIMITS (tests use small delays and timeouts). */
  limits?: Partial<Pop3Limits>;
  /** Shared with other protocols once they check passwords; POP3 makes its own when absent. */
  authFailures?: AuthFailures;
  /** Issue 16: whose logins take any password (catch mode, namespaces). */
  catching?: CatchPolicy;
  /** Issue 16: fault injection (src/chaos/); absent or disabled, nothing is injected. */
  chaos?: ChaosRules;
  /** The certificate for STLS and the implicit-TLS listener; without it neither is offered. */
  tls?: TlsProvider;
  /** Who may send a password without TLS; loopback only when absent. */
  plaintextAuth?: PlaintextAuthPolicy;
  /** Shared by the plain and the implicit-TLS listener, so [IN-USE] counts both; one is made when absent. */
  accountSessions?: AccountSessions;
}

export interface Pop3Shared {
  ctx: Pop3Context;
  limits: Pop3Limits;
  authFailures: AuthFailures;
  accountSessions: AccountSessions;
}

export function pop3Shared(ctx: Pop3Context): Pop3Shared {
  const limits = { ...DEFAULT_LIMITS, ...ctx.limits };
  return {
    ctx,
    limits,
    authFailures:
      ctx.authFailures ??
      new AuthFailures({
        baseDelayMs: limits.authFailureBaseDelayMs,
        maxDelayMs: limits.authFailureMaxDelayMs,
        log: ctx.log,
      }),
    accountSessions: ctx.accountSessions ?? new AccountSessions(limits.maxSessionsPerAccount),
  };
}

/** Logged-in sessions per account, for the [IN-USE] limit. */
export class AccountSessions {
  readonly #max: number;
  readonly #count = new Map<number, number>();

  constructor(max: number) {
    this.#max = max;
  }

  tryAcquire(accountId: number): boolean {
    const n = this.#count.get(accountId) ?? 0;
    if (n >= this.#max) return false;
    this.#count.set(accountId, n + 1);
    return true;
  }

  release(accountId: number): void {
    const n = this.#count.get(accountId) ?? 0;
    if (n <= 1) this.#count.delete(accountId);
    else this.#count.set(accountId, n - 1);
  }
}
