/**
 * Every IMAP command with the states it is allowed in (RFC 3501 §6), checked once by the dispatcher
 * (dispatch.ts), which hands the handler its state already narrowed: a handler taking
 * `CommandContext<"selected">` gets `state.mailbox` without asking. Static imports only, so the
 * compiled binary contains every command.
 *
 * Adding a command (or an extension's command):
 * 1. a file here, or a function in its family's file, with the RFC section on top:
 *    `export async function name({ ctx, state, session, parser }: SelectedCommand)`, the type
 *    naming the states it runs in (handler.ts: CommandContext<S>, or the aliases NotAuthenticated-,
 *    Authenticated-, SelectedCommand). It reads its arguments from `parser` (then `parser.end()`),
 *    writes untagged responses through `session`, returns the text of its tagged OK and throws
 *    ImapNo / ImapBad (errors.ts) for the other answers;
 * 2. a row below: `NAME: spec(STATES, name)`; spec() refuses at compile time a handler that needs a
 *    narrower state than its row allows ("UID NAME" is a row of its own, with `uid` set);
 * 3. if it brings a capability, a row in ../capabilities.ts (and, if ENABLE turns it on, ENABLEABLE
 *    in enable.ts);
 * 4. a valid example in test/imap/states.test.ts, which then tries it in every state.
 */
import type { StateKind } from "../state.ts";
import { capability, id, logout, noop } from "./any-state.ts";
import { append } from "./append.ts";
import { authenticate, login, unauthenticate } from "./auth.ts";
import { cancelupdate } from "./cancelupdate.ts";
import { check, close, unselect } from "./close.ts";
import { compress } from "./compress.ts";
import { copy, move } from "./copy-move.ts";
import { enable } from "./enable.ts";
import { expunge } from "./expunge.ts";
import { fetch } from "./fetch.ts";
import type { Handler } from "./handler.ts";
import { idle } from "./idle.ts";
import { create, deleteMailbox, list, lsub, rename, status, subscribe, unsubscribe } from "./mailboxes.ts";
import { getmetadata, setmetadata } from "./metadata.ts";
import { namespace } from "./namespace.ts";
import { notify } from "./notify.ts";
import { getquota, getquotaroot, setquota } from "./quota.ts";
import { replace } from "./replace.ts";
import { search } from "./search.ts";
import { examine, select } from "./select.ts";
import { sort } from "./sort.ts";
import { starttls } from "./starttls.ts";
import { store } from "./store.ts";
import { thread } from "./thread.ts";

export interface CommandSpec {
  states: readonly StateKind[];
  handler: Handler<StateKind>;
  /** RFC 3501 §7.4.1: no EXPUNGE may be sent while answering this command (FETCH, STORE, SEARCH). */
  noExpunge?: boolean;
  /** Takes message sequence numbers: BAD [UIDREQUIRED] after ENABLE UIDONLY (RFC 9586 §3.1). */
  sequenceNumbers?: boolean;
}

/** A registry row. The handler must accept every state listed for it (checked by the compiler). */
function spec<S extends StateKind>(
  states: readonly S[],
  handler: Handler<S>,
  options: { noExpunge?: boolean; sequenceNumbers?: boolean } = {},
): CommandSpec {
  // Sound because the dispatcher calls `handler` only after checking that the state is one of `states`.
  return { states, handler: handler as unknown as Handler<StateKind>, ...options };
}

const ANY = ["not-authenticated", "authenticated", "selected"] as const;
const NOT_AUTHENTICATED = ["not-authenticated"] as const;
const AUTHENTICATED = ["authenticated", "selected"] as const;
const SELECTED = ["selected"] as const;
const SEQUENCE_NUMBERS = { sequenceNumbers: true };
/** FETCH, STORE, SEARCH: message numbers, and no EXPUNGE while answering (RFC 3501 §7.4.1). */
const NO_EXPUNGE_SEQUENCE_NUMBERS = { noExpunge: true, sequenceNumbers: true };

export const COMMANDS: Record<string, CommandSpec> = {
  // RFC 3501 §6.1: any state
  CAPABILITY: spec(ANY, capability),
  NOOP: spec(ANY, noop),
  LOGOUT: spec(ANY, logout),
  ID: spec(ANY, id), // RFC 2971
  // §6.2: not authenticated
  STARTTLS: spec(NOT_AUTHENTICATED, starttls),
  LOGIN: spec(NOT_AUTHENTICATED, login),
  AUTHENTICATE: spec(NOT_AUTHENTICATED, authenticate),
  // §6.3: authenticated
  ENABLE: spec(AUTHENTICATED, enable), // RFC 5161
  SELECT: spec(AUTHENTICATED, select),
  EXAMINE: spec(AUTHENTICATED, examine),
  CREATE: spec(AUTHENTICATED, create),
  DELETE: spec(AUTHENTICATED, deleteMailbox),
  RENAME: spec(AUTHENTICATED, rename),
  SUBSCRIBE: spec(AUTHENTICATED, subscribe),
  UNSUBSCRIBE: spec(AUTHENTICATED, unsubscribe),
  LIST: spec(AUTHENTICATED, list),
  LSUB: spec(AUTHENTICATED, lsub),
  STATUS: spec(AUTHENTICATED, status),
  APPEND: spec(AUTHENTICATED, append),
  NAMESPACE: spec(AUTHENTICATED, namespace), // RFC 2342
  IDLE: spec(AUTHENTICATED, idle), // RFC 2177
  UNAUTHENTICATE: spec(AUTHENTICATED, unauthenticate), // RFC 8437
  GETQUOTA: spec(AUTHENTICATED, getquota), // RFC 9208 §4.1.1
  GETQUOTAROOT: spec(AUTHENTICATED, getquotaroot), // RFC 9208 §4.1.2
  SETQUOTA: spec(AUTHENTICATED, setquota), // RFC 9208 §4.1.3
  COMPRESS: spec(AUTHENTICATED, compress), // RFC 4978 §3
  GETMETADATA: spec(AUTHENTICATED, getmetadata), // RFC 5464 §4.2
  SETMETADATA: spec(AUTHENTICATED, setmetadata), // RFC 5464 §4.3
  NOTIFY: spec(AUTHENTICATED, notify), // RFC 5465 §3
  // §6.4: selected
  CHECK: spec(SELECTED, check),
  CLOSE: spec(SELECTED, close),
  UNSELECT: spec(SELECTED, unselect), // RFC 3691
  EXPUNGE: spec(SELECTED, expunge),
  SEARCH: spec(SELECTED, search, NO_EXPUNGE_SEQUENCE_NUMBERS),
  FETCH: spec(SELECTED, fetch, NO_EXPUNGE_SEQUENCE_NUMBERS),
  STORE: spec(SELECTED, store, NO_EXPUNGE_SEQUENCE_NUMBERS),
  COPY: spec(SELECTED, copy, SEQUENCE_NUMBERS),
  MOVE: spec(SELECTED, move, SEQUENCE_NUMBERS), // RFC 6851
  REPLACE: spec(SELECTED, replace, SEQUENCE_NUMBERS), // RFC 8508
  SORT: spec(SELECTED, sort, NO_EXPUNGE_SEQUENCE_NUMBERS), // RFC 5256 §3
  THREAD: spec(SELECTED, thread, NO_EXPUNGE_SEQUENCE_NUMBERS), // RFC 5256 §4
  CANCELUPDATE: spec(SELECTED, cancelupdate), // RFC 5267 §4.3.5
  "UID SEARCH": spec(SELECTED, search),
  "UID FETCH": spec(SELECTED, fetch),
  "UID STORE": spec(SELECTED, store),
  "UID COPY": spec(SELECTED, copy),
  "UID MOVE": spec(SELECTED, move),
  "UID EXPUNGE": spec(SELECTED, expunge), // RFC 4315
  "UID REPLACE": spec(SELECTED, replace), // RFC 8508 §3.3
  "UID SORT": spec(SELECTED, sort), // RFC 5256 §3
  "UID THREAD": spec(SELECTED, thread), // RFC 5256 §4
};
