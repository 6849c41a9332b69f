/**
 * A POP3 session's state (RFC 1939 §3): AUTHORIZATION until a login succeeds, TRANSACTION with the
 * maildrop as it was at login, UPDATE after QUIT. A discriminated union: the data a state needs lives
 * inside it, so a command cannot reach a maildrop before login.
 */
import type { Account } from "../store/mod.ts";
import type { Pop3Shared } from "./context.ts";
import type { Maildrop } from "./maildrop.ts";
import type { SeenMarker } from "./seen.ts";

/** A SASL exchange in progress (RFC 5034 §4): the next line is the client's response, not a command. */
export type SaslStep = { mechanism: "PLAIN" } | { mechanism: "LOGIN"; username: string | undefined };

export interface AuthorizationState {
  kind: "authorization";
  /** The name given by USER, waiting for PASS (RFC 1939 §7). */
  user: string | undefined;
  sasl: SaslStep | undefined;
}

export interface TransactionState {
  kind: "transaction";
  account: Account;
  maildrop: Maildrop;
  /** Message numbers marked by DELE; removed only in UPDATE (RFC 1939 §6). */
  deleted: Set<number>;
  seen: SeenMarker;
}

export interface UpdateState {
  kind: "update";
}

export type SessionState = AuthorizationState | TransactionState | UpdateState;
export type StateKind = SessionState["kind"];

export const authorization = (): AuthorizationState => ({
  kind: "authorization",
  user: undefined,
  sasl: undefined,
});

/** What command handlers see of their connection. */
export interface Session {
  readonly shared: Pop3Shared;
  /** Short id that ties this connection's log lines together. */
  readonly id: string;
  /** The client's address key (see clientAddressKey), for limits and logs. */
  readonly client: string;
  state: SessionState;
  /** Failed logins on this connection (the per-connection limit; the delay counts per address). */
  authFailures: number;
  /** Aborted when the connection closes: pending delays stop waiting. */
  readonly signal: AbortSignal;
  /** Runs when the connection closes, whatever state it is in (release slots, unsubscribe). */
  onClose(cleanup: () => void): void;
  /** Whether the connection is encrypted (POP3S, or after STLS). */
  readonly secure: boolean;
  /** STLS is offered: a certificate exists and the connection is not encrypted yet. */
  readonly canStartTls: boolean;
  /** A password may be sent here: over TLS, from a trusted network, or when the operator allows it. */
  readonly plaintextAuthAllowed: boolean;
  /** STLS: the handshake starts right after this command's +OK. */
  requestTls(): void;
}
