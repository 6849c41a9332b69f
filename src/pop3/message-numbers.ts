/**
 * Message numbers in the TRANSACTION state (RFC 1939 §5): which messages of the maildrop a session
 * still lists, leaving out those it marked with DELE and those removed by another session, and the
 * resolving of a "msg" argument. Kept apart from maildrop.ts, the snapshot the state holds: these
 * need the state and the state needs the maildrop, so in one module they made an import cycle.
 */
import type { MaildropMessage } from "./maildrop.ts";
import { messageNumber } from "./protocol/parser.ts";
import { type Reply, reply } from "./protocol/response.ts";
import type { TransactionState } from "./session.ts";

/** Whether message n is still listed: not marked by DELE, not removed elsewhere. */
export function isListed(state: TransactionState, n: number): boolean {
  const message = state.maildrop.messages[n - 1];
  return message !== undefined && !state.deleted.has(n) && !state.maildrop.vanished.has(message.uid);
}

/** Every listed message with its number, in order. */
export function listed(state: TransactionState): Array<{ n: number; message: MaildropMessage }> {
  const out = [];
  for (let n = 1; n <= state.maildrop.messages.length; n++)
    if (isListed(state, n)) out.push({ n, message: state.maildrop.messages[n - 1]! });
  return out;
}

/**
 * Resolves a "msg" argument. RFC 1939 §6: a message marked as deleted may not be referred to;
 * one removed by another session is answered the same way, naming the cause.
 */
export function lookupMessage(
  state: TransactionState,
  arg: string | undefined,
): { n: number; message: MaildropMessage } | { error: Reply } {
  const n = messageNumber(arg);
  if (n === undefined) return { error: reply.err("invalid message number") };
  const message = state.maildrop.messages[n - 1];
  if (!message) return { error: reply.err("no such message") };
  if (state.deleted.has(n)) return { error: reply.err(`message ${n} already deleted`) };
  if (state.maildrop.vanished.has(message.uid))
    return { error: reply.err(`message ${n} was deleted by another session`) };
  return { n, message };
}
