/**
 * Runs one IMAP command: checks its tag and, once, the state against the registry; narrows the state
 * for the handler; reports pending mailbox changes where RFC 3501 §7 allows; answers with the tagged
 * status. What follows an OK on the connection itself (the STARTTLS handshake, the inactivity timer)
 * and the count of BADs in a row stay with the session, which this tells how the command ended.
 */

import type { CommandSession } from "./commands/handler.ts";
import { COMMANDS } from "./commands/registry.ts";
import type { ImapContext } from "./context.ts";
import { fromStoreError, ImapBad, ImapNo } from "./errors.ts";
import { ImapParseError, Parser } from "./protocol/parser.ts";
import type { RawCommand } from "./protocol/reader.ts";
import type { SessionState, StateKind } from "./state.ts";
import { uidRequired } from "./uid-only.ts";

// RFC 3501 §9: tag = 1*<any ASTRING-CHAR except "+">
export const TAG = /^[^(){ \x00-\x1f\x7f%*"\\+]+$/;

/**
 * Why a command cannot run in `state` (the answer after its tag), or undefined. The one state check:
 * the literal policy asks it before accepting a literal, the dispatcher before running the handler.
 */
export function commandRefusal(state: StateKind, tag: string, name: string): string | undefined {
  if (!TAG.test(tag)) return "BAD Missing or invalid tag";
  const spec = COMMANDS[name];
  if (!spec) return `BAD Unknown command ${JSON.stringify(name.slice(0, 40))}`;
  if (!spec.states.includes(state)) return `BAD ${name} is not allowed in the ${state} state`;
  return undefined;
}

/** What the dispatcher needs of its session: what handlers get, and the state and context to give them. */
export interface DispatchSession extends CommandSession {
  readonly state: SessionState;
  readonly ctx: ImapContext;
}

/** How a command ended: "bad" counts towards IMAP_LIMITS.maxBadCommands, "ok" may start TLS. */
export type Outcome = "ok" | "no" | "bad";

export async function dispatch(session: DispatchSession, command: RawCommand): Promise<Outcome> {
  const { tag } = command;
  if (!TAG.test(tag)) {
    session.untagged(["BAD Missing or invalid tag"]);
    return "bad";
  }
  const uid = command.name.startsWith("UID ");
  const spec = COMMANDS[command.name];
  const refusal = commandRefusal(session.state.kind, tag, command.name);
  if (!spec || refusal) {
    session.write([`${tag} ${refusal}`]);
    return "bad";
  }
  const parser = new Parser(command, { utf8: session.utf8 });
  const allowExpunge = uid || !spec.noExpunge;
  const { ctx } = session;
  ctx.log.debug("imap.command", { session: session.id, command: command.name });
  try {
    // Past the tag (already checked against the tag grammar: it may hold "]", which atom() refuses)
    // and the command name; a malformed prefix such as two spaces is a BAD like any other.
    parser.take(tag);
    parser.sp();
    if (uid) {
      parser.expect("UID");
      parser.sp();
    }
    parser.atom();
    // RFC 9586 §3.1: once UIDONLY is on, a command that takes message numbers is refused whole.
    if (spec.sequenceNumbers && !uid && session.uidOnly) throw uidRequired();
    // The state is one of spec.states (commandRefusal above): the registry's spec() typed the handler so.
    const text = await spec.handler({ ctx, state: session.state, tag, parser, uid, session });
    if (session.state.kind !== "logout") await session.flushUpdates(allowExpunge);
    session.write([`${tag} OK ${text ?? `${command.name} completed`}`]);
    return "ok";
  } catch (error) {
    return await answerError(session, { tag, name: command.name, error, allowExpunge });
  }
}

async function answerError(
  session: DispatchSession,
  { tag, name, error, allowExpunge }: { tag: string; name: string; error: unknown; allowExpunge: boolean },
): Promise<Outcome> {
  if (error instanceof ImapParseError || error instanceof ImapBad) {
    const code = error instanceof ImapBad && error.code ? `[${error.code}] ` : "";
    session.write([`${tag} BAD ${code}${error.message}`]);
    return "bad";
  }
  const no = error instanceof ImapNo ? error : fromStoreError(error);
  await session.flushUpdates(allowExpunge);
  if (no) {
    session.write([`${tag} NO ${no.code ? `[${no.code}] ` : ""}${no.message}`]);
    return "no";
  }
  session.ctx.log.error("imap.command_failed", { session: session.id, command: name, error });
  session.write([`${tag} NO [SERVERBUG] ${name} failed; see the server log`]);
  return "no";
}
