/** What the SMTP hooks share: their dependencies, and per-transaction state kept beside smtp-server's envelope. */

import type { SMTPServerEnvelope, SMTPServerSession } from "smtp-server";
import type { CatchPolicy } from "../catch/policy.ts";
import type { ChaosRules } from "../chaos/rules.ts";
import type { Logger } from "../log.ts";
import type { BareNewlinePolicy } from "../mime/mod.ts";
import type { AuthFailures } from "../security/auth-failures.ts";
import type { SmtpSessionLimits } from "../security/limits.ts";
import type { MemoryBudgets } from "../security/memory-budget.ts";
import type { PlaintextAuthPolicy } from "../security/plaintext-auth.ts";
import type { RecentRefusals } from "../security/recent-refusals.ts";
import type { SpamDefence } from "../spam/mod.ts";
import type { RecipientAccount, SpoolDir, Store } from "../store/mod.ts";
import type { TlsProvider } from "../tls/mod.ts";
import type { InboundAuth } from "./authentication/mod.ts";
import type { NoticeSigner } from "./delivery/bounce.ts";
import type { QueueRunner } from "./queue/runner.ts";

export interface SmtpContext {
  store: Store;
  log: Logger;
  hostname: string;
  /** Logins without "@" are local parts of this domain; so is a bare RCPT TO:<postmaster>. */
  primaryDomain: string;
  /** MAILROOM_POSTMASTER: postmaster mail for domains without their own postmaster account or alias. */
  postmaster?: string | undefined;
  maxMessageSize: number;
  /** A bare CR or LF in DATA: 554 5.6.0, or CRLF before any check (MAILROOM_BARE_NEWLINE); reject when absent. */
  bareNewline?: BareNewlinePolicy;
  maxRecipients: number;
  /** "inbound" (port 25: AUTH optional, relaying only when authenticated) or "submission" (587: AUTH required). */
  mode: "inbound" | "submission";
  authFailures: AuthFailures;
  /** Told when a message was queued for remote delivery. */
  queue: QueueRunner;
  /** The certificate for STARTTLS and implicit TLS; without it neither is offered. */
  tls?: TlsProvider;
  /** Who may send a password without TLS; loopback only when absent. */
  plaintextAuth?: PlaintextAuthPolicy;
  /** Where DATA goes as it arrives (<data-dir>/spool); a temporary directory when absent. */
  spool?: SpoolDir;
  /** Memory shared with every other listener (main.ts); the process-wide budgets when absent. */
  memory?: MemoryBudgets;
  /** Session limits (SMTP_SESSION_LIMITS for anything not given; tests make them small). */
  limits?: Partial<SmtpSessionLimits>;
  /** SPF, DKIM, DMARC and ARC for mail from clients without AUTH (port 25); unchecked when absent. */
  authentication?: InboundAuth;
  /** Converts to 7-bit and DKIM-signs mail leaving for remote recipients (src/auth/outgoing.ts). */
  signOutgoing?: (raw: Uint8Array) => Promise<Uint8Array>;
  /** DKIM-signs the DSNs this transaction causes (success notices) when they go to remote senders. */
  signNotice?: NoticeSigner;
  /** Catch mode and throwaway namespaces (issue 16, catch.ts); the normal rules alone when absent. */
  catching?: CatchPolicy;
  /** Issue 16: fault injection (src/chaos/); absent or disabled, nothing is injected. */
  chaos?: ChaosRules;
  /** Issue 17: where this listener's refused commands are kept for the dashboard. */
  refusals?: RecentRefusals;
  /** Issue 14, port 25 only: block lists, rate limits, greylisting, spam scoring (src/smtp/defence/). */
  defence?: SpamDefence;
}

/** What a successful AUTH leaves in `session.user`. */
export interface SmtpUser {
  accountId: number;
  /** The account's address (the login, normalised). */
  address: string;
}

/** The authenticated account of a session, if any. */
export function sessionUser(session: SMTPServerSession): SmtpUser | undefined {
  const user = session.user as SmtpUser | undefined;
  return user && typeof user.accountId === "number" ? user : undefined;
}

/** A non-local recipient accepted from an authenticated client, with its RFC 3461 parameters. */
export interface RemoteRecipient {
  address: string;
  /** NOTIFY values joined with "," (e.g. "FAILURE,DELAY"), or null when not given. */
  notify: string | null;
  /** ORCPT as given ("rfc822;user@example.org", xtext-encoded), or null. */
  orcpt: string | null;
}

/** One mail transaction's state; keyed by the envelope, which smtp-server renews per transaction. */
interface Transaction {
  /** Accounts each accepted local RCPT resolved to, by lower-cased address. */
  local: Map<string, RecipientAccount[]>;
  /** Accepted non-local recipients (authenticated sessions only), by lower-cased address. */
  remote: Map<string, RemoteRecipient>;
  /** The addresses the authenticated user may send as, looked up at MAIL FROM and reused at DATA. */
  senders?: readonly string[];
}

const transactions = new WeakMap<SMTPServerEnvelope, Transaction>();

export function transaction(envelope: SMTPServerEnvelope): Transaction {
  let state = transactions.get(envelope);
  if (!state) {
    state = { local: new Map(), remote: new Map() };
    transactions.set(envelope, state);
  }
  return state;
}

export function acceptedRecipients(envelope: SMTPServerEnvelope): Map<string, RecipientAccount[]> {
  return transaction(envelope).local;
}

export function remoteRecipients(envelope: SMTPServerEnvelope): Map<string, RemoteRecipient> {
  return transaction(envelope).remote;
}
