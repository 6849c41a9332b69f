/**
 * RETR (RFC 1939 §5): the message's exact stored bytes, dot-stuffed. The size we announce is the
 * stored size, the same LIST and STAT report. Retrieving sets \Seen for IMAP clients of the account,
 * without making the client wait for that write (see SeenMarker).
 */
import { contentRaw } from "../../store/mod.ts";
import { lookupMessage } from "../message-numbers.ts";
import type { Command } from "../protocol/parser.ts";
import { type Reply, reply } from "../protocol/response.ts";
import type { Session, TransactionState } from "../session.ts";

export async function retr(session: Session, state: TransactionState, command: Command): Promise<Reply> {
  if (command.args.length !== 1) return reply.err("usage: RETR msg");
  const found = lookupMessage(state, command.args[0]);
  if ("error" in found) return found.error;
  const raw = await contentRaw(session.shared.ctx.store.read, found.message.contentId);
  // Gone between the snapshot and now, and the change notice not yet here: same answer as a vanished one.
  if (!raw) return reply.err(`message ${found.n} was deleted by another session`);
  if (!found.message.seen) {
    found.message.seen = true;
    state.seen.mark(found.message.uid);
  }
  return reply.message(`${raw.byteLength} octets`, raw);
}
