/**
 * DELE (RFC 1939 §5): only marks the message; it is removed in UPDATE, after QUIT. A connection that
 * drops before QUIT removes nothing.
 */
import { lookupMessage } from "../message-numbers.ts";
import type { Command } from "../protocol/parser.ts";
import { type Reply, reply } from "../protocol/response.ts";
import type { Session, TransactionState } from "../session.ts";

export function dele(_session: Session, state: TransactionState, command: Command): Reply {
  if (command.args.length !== 1) return reply.err("usage: DELE msg");
  const found = lookupMessage(state, command.args[0]);
  if ("error" in found) return found.error;
  state.deleted.add(found.n);
  return reply.ok(`message ${found.n} deleted`);
}
