/**
 * LIST and UIDL (RFC 1939 §§5, 7): one line per listed message, or the one asked for. LIST gives the
 * exact octets RETR will send before dot-stuffing; UIDL the message's permanent unique id.
 */

import { type MaildropMessage, uniqueId } from "../maildrop.ts";
import { listed, lookupMessage } from "../message-numbers.ts";
import type { Command } from "../protocol/parser.ts";
import { type Reply, reply } from "../protocol/response.ts";
import type { Session, TransactionState } from "../session.ts";

function oneOrAll(
  state: TransactionState,
  command: Command,
  value: (message: MaildropMessage) => string,
  heading: (count: number) => string,
): Reply {
  if (command.args.length > 1) return reply.err("too many arguments");
  if (command.args.length === 1) {
    const found = lookupMessage(state, command.args[0]);
    if ("error" in found) return found.error;
    return reply.ok(`${found.n} ${value(found.message)}`);
  }
  const messages = listed(state);
  return reply.lines(
    heading(messages.length),
    messages.map(({ n, message }) => `${n} ${value(message)}`),
  );
}

export function list(_session: Session, state: TransactionState, command: Command): Reply {
  return oneOrAll(
    state,
    command,
    (m) => String(m.size),
    (count) => {
      const octets = listed(state).reduce((sum, m) => sum + m.message.size, 0);
      return `${count} messages (${octets} octets)`;
    },
  );
}

export function uidl(_session: Session, state: TransactionState, command: Command): Reply {
  return oneOrAll(
    state,
    command,
    (m) => uniqueId(state.maildrop, m),
    () => "unique-id listing follows",
  );
}
