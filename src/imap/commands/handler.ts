/**
 * What a command handler gets: its state, already checked and narrowed by the dispatcher
 * (dispatch.ts) to the states the registry lists for the command, the server context, the parser
 * standing after the command name, and the few things a command may do to its connection. Handlers
 * never see the session object itself, so they cannot re-check or overwrite its state: the state
 * changes only through the transitions below.
 */
import type { Account } from "../../store/mod.ts";
import type { ImapContext } from "../context.ts";
import type { Piece } from "../protocol/encode.ts";
import type { NotifySpec } from "../protocol/notify-args.ts";
import type { Parser } from "../protocol/parser.ts";
import type { SelectedMailbox } from "../selected.ts";
import type { StateKind, StateOf } from "../state.ts";

/** The connection as a command sees it (ImapSession implements it). */
export interface CommandSession {
  /** Short id that ties this connection's log lines together. */
  readonly id: string;
  readonly remoteAddress: string;
  /** Whether the connection is encrypted (implicit TLS, or after STARTTLS). */
  readonly secure: boolean;
  /** STARTTLS is offered: a certificate exists and the connection is not encrypted yet. */
  readonly canStartTls: boolean;
  /** A password may be sent here: over TLS, from a trusted network, or when the operator allows it. */
  readonly plaintextAuthAllowed: boolean;
  /** The CAPABILITY list for this connection as it is now (capabilities.ts). */
  readonly capabilities: string[];
  /** Extensions turned on with ENABLE (RFC 5161), or implicitly by use (CONDSTORE, RFC 7162 §3.1). */
  readonly enabled: Set<string>;
  readonly condstore: boolean;
  readonly qresync: boolean;
  /** ENABLE IMAP4rev2 (RFC 9051 §6.3.1, Appendix E): the session follows IMAP4rev2's rules. */
  readonly rev2: boolean;
  /**
   * Mailbox names and quoted strings in UTF-8, without modified UTF-7: after ENABLE IMAP4rev2
   * (RFC 9051 Appendix A) or ENABLE UTF8=ACCEPT (RFC 6855 §3).
   */
  readonly utf8: boolean;
  /** ENABLE UIDONLY (RFC 9586): no message sequence numbers, either way. */
  readonly uidOnly: boolean;

  /** Writes one response line (CRLF added). Returns false when the socket's buffer is full: await drain(). */
  write(pieces: Piece[]): boolean;
  /** Writes one untagged response ("* " added). */
  untagged(pieces: Piece[]): boolean;
  /** Waits until the socket can take more (backpressure for big responses). */
  drain(): Promise<void>;
  /** The client's next line, for a command that talks back and forth (AUTHENTICATE, IDLE). */
  readLine(): Promise<string>;
  /** Reports pending changes of the selected mailbox now (IDLE; the dispatcher does it after each command). */
  flushUpdates(allowExpunge: boolean): Promise<void>;
  /** STARTTLS: the handshake starts right after the tagged OK is written. */
  requestTls(): void;
  /**
   * NOTIFY SET (RFC 5465): from now on the session reports these events when it may speak;
   * with spec.status, a STATUS for each mailbox concerned first. NOTIFY NONE passes undefined.
   */
  notify(spec: NotifySpec | undefined): Promise<void>;
  /** IDLE waits for DONE (true) or got it (false): notifications may flow meanwhile (RFC 5465 §5). */
  idling(waiting: boolean): void;
  /** COMPRESS is on, or starts after this command's tagged OK (RFC 4978). */
  readonly compressed: boolean;
  /** COMPRESS DEFLATE: compression starts right after the tagged OK is written. */
  requestCompression(): void;

  // The state transitions (RFC 3501 §3, figure 1).
  /** LOGIN, AUTHENTICATE: enter the authenticated state and start hearing the account's changes. */
  login(account: Account): void;
  /** SELECT, EXAMINE: enter the selected state with this mailbox. */
  select(account: Account, mailbox: SelectedMailbox): void;
  /** CLOSE, UNSELECT, a SELECT that replaces the mailbox, a DELETE of it: back to authenticated. */
  deselect(): void;
  /** LOGOUT: the session ends after the tagged OK. */
  logout(): void;
  /**
   * UNAUTHENTICATE (RFC 8437 §2): back to the not-authenticated state as if just connected, with
   * what ENABLE turned on forgotten; TLS stays.
   */
  unauthenticate(): void;
}

/** What a handler for a command allowed in the states `S` receives. */
export interface CommandContext<S extends StateKind = StateKind> {
  /** What every session shares: store, log, limits, TLS. */
  readonly ctx: ImapContext;
  /** The state when the command began, narrowed to the command's states: no handler checks it again. */
  readonly state: StateOf<S>;
  readonly tag: string;
  /** Stands just after the command name. */
  readonly parser: Parser;
  /** The UID form of the command (UID FETCH, UID STORE...). */
  readonly uid: boolean;
  readonly session: CommandSession;
}

/** RFC 3501 §6.2: a command before login. */
export type NotAuthenticatedCommand = CommandContext<"not-authenticated">;
/** RFC 3501 §6.3: a command of the authenticated state, which is allowed in the selected state too. */
export type AuthenticatedCommand = CommandContext<"authenticated" | "selected">;
/** RFC 3501 §6.4: a command on the selected mailbox. */
export type SelectedCommand = CommandContext<"selected">;

/** A handler returns the text of its tagged OK (may start with a response code), or throws ImapNo/ImapBad. */
export type Handler<S extends StateKind> = (command: CommandContext<S>) => Promise<string | undefined>;
