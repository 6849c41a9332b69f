/**
 * TOP msg n (RFC 1939 §7): the header, the blank line after it, and the first n lines of the body,
 * dot-stuffed; the whole message if it has fewer. Where the header ends comes from the parse at
 * delivery, so TOP and IMAP's BODY[HEADER] always agree. Unlike RETR it does not set \Seen: clients
 * use it to preview, like IMAP's BODY.PEEK.
 */
import { contentRawWithHeaderEnd } from "../../store/mod.ts";
import { lookupMessage } from "../message-numbers.ts";
import { type Command, lineCount } from "../protocol/parser.ts";
import { type Reply, reply } from "../protocol/response.ts";
import type { Session, TransactionState } from "../session.ts";

export async function top(session: Session, state: TransactionState, command: Command): Promise<Reply> {
  if (command.args.length !== 2) return reply.err("usage: TOP msg n");
  const found = lookupMessage(state, command.args[0]);
  if ("error" in found) return found.error;
  const lines = lineCount(command.args[1]);
  if (lines === undefined) return reply.err("invalid line count");
  const content = await contentRawWithHeaderEnd(session.shared.ctx.store.read, found.message.contentId);
  if (!content) return reply.err(`message ${found.n} was deleted by another session`);
  return reply.message("top of message follows", topOf(content.raw, content.headerEnd, lines));
}

/**
 * The header with its blank line (the bytes before `bodyStart`), then `lines` body lines. Lines end
 * at LF (CRLF or a bare LF alike).
 */
export function topOf(raw: Uint8Array, bodyStart: number, lines: number): Uint8Array {
  let end = Math.min(bodyStart, raw.byteLength);
  for (let i = 0; i < lines && end < raw.byteLength; i++) {
    const lf = raw.indexOf(0x0a, end);
    end = lf === -1 ? raw.byteLength : lf + 1;
  }
  return raw.subarray(0, end);
}
