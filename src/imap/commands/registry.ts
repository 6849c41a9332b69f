/**
 * Every IMAP command with the states it is allowed in (RFC 3501 §6), checked once by the session's
 * dispatcher. Static imports only, so the compiled binary contains every command.
 */
import type { CommandSpec, StateKind } from "../session.ts";
import { capability, id, logout, noop } from "./any-state.ts";
import { append } from "./append.ts";
import { authenticate, login } from "./auth.ts";
import { check, close, unselect } from "./close.ts";
import { copy, move } from "./copy-move.ts";
import { enable } from "./enable.ts";
import { expunge } from "./expunge.ts";
import { fetch } from "./fetch.ts";
import { idle } from "./idle.ts";
import { create, deleteMailbox, list, lsub, rename, status, subscribe, unsubscribe } from "./mailboxes.ts";
import { namespace } from "./namespace.ts";
import { search } from "./search.ts";
import { examine, select } from "./select.ts";
import { starttls } from "./starttls.ts";
import { store } from "./store.ts";

const ANY: readonly StateKind[] = ["not-authenticated", "authenticated", "selected"];
const NOT_AUTHENTICATED: readonly StateKind[] = ["not-authenticated"];
const AUTHENTICATED: readonly StateKind[] = ["authenticated", "selected"];
const SELECTED: readonly StateKind[] = ["selected"];

export const COMMANDS: Record<string, CommandSpec> = {
  // RFC 3501 §6.1: any state
  CAPABILITY: { states: ANY, handler: capability },
  NOOP: { states: ANY, handler: noop },
  LOGOUT: { states: ANY, handler: logout },
  ID: { states: ANY, handler: id }, // RFC 2971
  // §6.2: not authenticated
  STARTTLS: { states: NOT_AUTHENTICATED, handler: starttls },
  LOGIN: { states: NOT_AUTHENTICATED, handler: login },
  AUTHENTICATE: { states: NOT_AUTHENTICATED, handler: authenticate },
  // §6.3: authenticated
  ENABLE: { states: AUTHENTICATED, handler: enable }, // RFC 5161
  SELECT: { states: AUTHENTICATED, handler: select },
  EXAMINE: { states: AUTHENTICATED, handler: examine },
  CREATE: { states: AUTHENTICATED, handler: create },
  DELETE: { states: AUTHENTICATED, handler: deleteMailbox },
  RENAME: { states: AUTHENTICATED, handler: rename },
  SUBSCRIBE: { states: AUTHENTICATED, handler: subscribe },
  UNSUBSCRIBE: { states: AUTHENTICATED, handler: unsubscribe },
  LIST: { states: AUTHENTICATED, handler: list },
  LSUB: { states: AUTHENTICATED, handler: lsub },
  STATUS: { states: AUTHENTICATED, handler: status },
  APPEND: { states: AUTHENTICATED, handler: append },
  NAMESPACE: { states: AUTHENTICATED, handler: namespace }, // RFC 2342
  IDLE: { states: AUTHENTICATED, handler: idle }, // RFC 2177
  // §6.4: selected
  CHECK: { states: SELECTED, handler: check },
  CLOSE: { states: SELECTED, handler: close },
  UNSELECT: { states: SELECTED, handler: unselect }, // RFC 3691
  EXPUNGE: { states: SELECTED, handler: expunge },
  SEARCH: { states: SELECTED, handler: search, noExpunge: true },
  FETCH: { states: SELECTED, handler: fetch, noExpunge: true },
  STORE: { states: SELECTED, handler: store, noExpunge: true },
  COPY: { states: SELECTED, handler: copy },
  MOVE: { states: SELECTED, handler: move }, // RFC 6851
  "UID SEARCH": { states: SELECTED, handler: search },
  "UID FETCH": { states: SELECTED, handler: fetch },
  "UID STORE": { states: SELECTED, handler: store },
  "UID COPY": { states: SELECTED, handler: copy },
  "UID MOVE": { states: SELECTED, handler: move },
  "UID EXPUNGE": { states: SELECTED, handler: expunge }, // RFC 4315
};
