/** What every IMAP session shares: its dependencies and the server-wide limiters. */
import type { Logger } from "../log.ts";
import type { BareNewlinePolicy } from "../mime/mod.ts";
import type { AuthFailures } from "../security/auth-failures.ts";
import type { PlaintextAuthPolicy } from "../security/plaintext-auth.ts";
import type { Store } from "../store/mod.ts";
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
  /** The certificate for STARTTLS and the implicit-TLS listener; without it neither is offered. */
  tls?: TlsProvider;
  /** Who may send a password without TLS; loopback only when absent. */
  plaintextAuth?: PlaintextAuthPolicy;
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
