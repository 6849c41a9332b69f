/**
 * Every POP3 command with the states it is allowed in (RFC 1939 §§4-6, RFC 2449 §5, RFC 5034 §4),
 * and the dispatcher that checks the state once, so handlers never do. Static imports only: the
 * compiled binary contains every command.
 */
import { type Command, parseCommand } from "../protocol/parser.ts";
import { type Reply, reply } from "../protocol/response.ts";
import type { Session, SessionState, StateKind } from "../session.ts";
import { auth, saslContinue } from "./auth.ts";
import { capa } from "./capa.ts";
import { dele } from "./dele.ts";
import { list, uidl } from "./list.ts";
import { noop } from "./noop.ts";
import { quit } from "./quit.ts";
import { retr } from "./retr.ts";
import { rset } from "./rset.ts";
import { stat } from "./stat.ts";
import { stls } from "./stls.ts";
import { top } from "./top.ts";
import { pass, user } from "./user-pass.ts";

export type Handler<S extends StateKind> = (
  session: Session,
  state: Extract<SessionState, { kind: S }>,
  command: Command,
) => Reply | Promise<Reply>;

export interface CommandSpec {
  states: readonly StateKind[];
  run: Handler<StateKind>;
}

/** A registry row. `spec()` checks that the handler accepts every state listed for it. */
function spec<S extends StateKind>(states: readonly S[], run: Handler<S>): CommandSpec {
  // Sound because dispatch() calls `run` only after checking that the state is one of `states`.
  return { states, run: run as unknown as Handler<StateKind> };
}

const AUTH = ["authorization"] as const;
const TRANSACTION = ["transaction"] as const;
const BOTH = ["authorization", "transaction"] as const;

export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map([
  ["CAPA", spec(BOTH, capa)], // RFC 2449 §5: valid in both states
  ["USER", spec(AUTH, user)], // RFC 1939 §7
  ["PASS", spec(AUTH, pass)], // RFC 1939 §7
  ["AUTH", spec(AUTH, auth)], // RFC 5034 §4
  ["STLS", spec(AUTH, stls)], // RFC 2595 §4: AUTHORIZATION state only
  ["QUIT", spec(BOTH, quit)], // RFC 1939 §4 (AUTHORIZATION) and §6 (UPDATE)
  ["STAT", spec(TRANSACTION, stat)], // RFC 1939 §5
  ["LIST", spec(TRANSACTION, list)],
  ["RETR", spec(TRANSACTION, retr)],
  ["DELE", spec(TRANSACTION, dele)],
  ["NOOP", spec(TRANSACTION, noop)],
  ["RSET", spec(TRANSACTION, rset)],
  ["TOP", spec(TRANSACTION, top)], // RFC 1939 §7, optional
  ["UIDL", spec(TRANSACTION, uidl)], // RFC 1939 §7, optional
]);

const STATE_NAMES: Record<StateKind, string> = {
  authorization: "AUTHORIZATION",
  transaction: "TRANSACTION",
  update: "UPDATE",
};

/**
 * Answers one input line. While a SASL exchange is open the line is the client's response, not a
 * command (RFC 5034 §4). Unknown commands and commands in the wrong state get -ERR; the session goes on.
 */
export function dispatch(session: Session, line: Uint8Array): Reply | Promise<Reply> {
  const state = session.state;
  if (state.kind === "authorization" && state.sasl) return saslContinue(session, state, line);
  const command = parseCommand(line);
  if (command.command === "") return reply.err("empty command line");
  const entry = COMMANDS.get(command.command);
  if (!entry) return reply.err("unknown command");
  if (!entry.states.includes(state.kind))
    return reply.err(`${command.command} is not allowed in the ${STATE_NAMES[state.kind]} state`);
  return entry.run(session, state, command);
}
