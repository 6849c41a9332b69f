/**
 * USER and PASS (RFC 1939 §7). USER always succeeds, so the reply does not tell which names exist;
 * the name is checked together with the password. Both are refused where a password would travel in
 * the clear (`privacyRequired()`).
 */
import type { Command } from "../protocol/parser.ts";
import { type Reply, reply } from "../protocol/response.ts";
import type { AuthorizationState, Session } from "../session.ts";
import { logIn, privacyRequired } from "./login.ts";

export function user(session: Session, state: AuthorizationState, command: Command): Reply {
  if (!session.plaintextAuthAllowed) return privacyRequired(session);
  if (command.args.length !== 1) return reply.err("usage: USER name");
  state.user = command.args[0];
  return reply.ok("send PASS");
}

export function pass(session: Session, state: AuthorizationState, command: Command): Promise<Reply> | Reply {
  if (!session.plaintextAuthAllowed) return privacyRequired(session);
  const login = state.user;
  if (login === undefined) return reply.err("USER first");
  // RFC 1939 §7: after a failed PASS the client starts over with USER (or AUTH).
  state.user = undefined;
  // The whole rest of the line: a password may contain spaces (RFC 1939 §7).
  if (command.rest === "") return reply.err("usage: PASS string");
  return logIn(session, login, command.rest);
}
