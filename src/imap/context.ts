/** What every IMAP session shares: its dependencies and the server-wide limiters. */
import type { Logger } from "../log.ts";
import type { AuthFailures } from "../security/auth-failures.ts";
import type { Store } from "../store/mod.ts";

export interface ImapContext {
  store: Store;
  log: Logger;
  hostname: string;
  /** Logins without "@" are taken as local parts of this domain. */
  primaryDomain: string;
  maxMessageSize: number;
  authFailures: AuthFailures;
  /** Overrides for tests (short timeouts). */
  timeouts?: { idleMs?: number; preAuthMs?: number; keepAliveMs?: number };
}
