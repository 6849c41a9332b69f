/**
 * The states of an IMAP connection (RFC 3501 §3) as a discriminated union: the data a state needs
 * lives inside it, so a command registered for "selected" gets a state that has a mailbox, and one
 * registered for "authenticated" and "selected" gets one that has an account.
 */
import type { Account } from "../store/mod.ts";
import type { SelectedMailbox } from "./selected.ts";

/** RFC 3501 §3.1: before LOGIN or AUTHENTICATE (or a PREAUTH greeting, which we never send). */
export interface NotAuthenticatedState {
  kind: "not-authenticated";
}

/** RFC 3501 §3.2: logged in, no mailbox selected. */
export interface AuthenticatedState {
  kind: "authenticated";
  account: Account;
}

/** RFC 3501 §3.3: a mailbox is selected (SELECT or EXAMINE). */
export interface SelectedState {
  kind: "selected";
  account: Account;
  mailbox: SelectedMailbox;
}

/** RFC 3501 §3.4: after LOGOUT, or once the connection is gone. */
export interface LogoutState {
  kind: "logout";
}

export type SessionState = NotAuthenticatedState | AuthenticatedState | SelectedState | LogoutState;

export type StateKind = SessionState["kind"];

/**
 * The state as a command registered for the kinds `S` sees it: `StateOf<"selected">` is SelectedState.
 * An intersection rather than Extract<>, so that a handler for more states fits a row for fewer.
 */
export type StateOf<S extends StateKind> = SessionState & { kind: S };
