/** What every IMAP session shares: its dependencies and the server-wide limiters. */
import type { CatchPolicy } from "../catch/policy.ts";
import type { ChaosRules } from "../chaos/rules.ts";
import type { Logger } from "../log.ts";
import type { BareNewlinePolicy } from "../mime/mod.ts";
import type { AuthFailures } from "../security/auth-failures.ts";
import type { MemoryBudgets } from "../security/memory-budget.ts";
import type { PlaintextAuthPolicy } from "../security/plaintext-auth.ts";
import type { SpoolDir, Store } from "../store/mod.ts";
import type { TlsProvider } from "../tls/mod.ts";

export interface ImapContext {
  store: Store;
  log: Logger;
  hostname: string;
  /** Logins without "@" are taken as local parts of this domain. */
  primaryDomain: string;
  maxMessageSize: number;
  /** A bare CR or LF in an APPENDed message: NO, or CRLF before storing (MAILROOM_BARE_NEWLINE); reject when absent. */
  bareNewline?: BareNewlinePolicy;
  authFailures: AuthFailures;
  /** Issue 16: whose logins take any password (catch mode, namespaces). */
  catching?: CatchPolicy;
  /** Issue 16: fault injection (src/chaos/); absent or disabled, nothing is injected. */
  chaos?: ChaosRules;
  /** The certificate for STARTTLS and the implicit-TLS listener; without it neither is offered. */
  tls?: TlsProvider;
  /** Who may send a password without TLS; loopback only when absent. */
  plaintextAuth?: PlaintextAuthPolicy;
  /** Where large APPEND literals go as they arrive (<data-dir>/spool); a temporary directory when absent. */
  spool?: SpoolDir;
  /** Memory shared with every other listener (main.ts); the process-wide budgets when absent. */
  memory?: MemoryBudgets;
  /** Overrides for tests (short timeouts). */
  timeouts?: {
    idleMs?: number;
    preAuthMs?: number;
    keepAliveMs?: number;
    tlsHandshakeMs?: number;
    /** From connect to login, however active the client (slowloris). */
    loginDeadlineMs?: number;
  };
}
