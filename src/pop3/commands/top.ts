/**
 * TOP msg n (RFC 1939 §7): the header, the blank line after it, and the first n lines of the body,
 * dot-stuffed; the whole message if it has fewer. Unlike RETR it does not set \Seen: clients use it to
 * preview, like IMAP's BODY.PEEK.
 */
import { contentRaw } from "../../store/mod.ts";
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
  const raw = await contentRaw(session.shared.ctx.store.read, found.message.contentId);
  if (!raw) return reply.err(`message ${found.n} was deleted by another session`);
  return reply.message("top of message follows", topOf(raw, lines));
}

/** The header with its blank line, then `lines` body lines. Lines end at LF (CRLF or a bare LF alike). */
export function topOf(raw: Uint8Array, lines: number): Uint8Array {
  let end = headerEnd(raw);
  for (let i = 0; i < lines && end < raw.byteLength; i++) {
    const lf = raw.indexOf(0x0a, end);
    end = lf === -1 ? raw.byteLength : lf + 1;
  }
  return raw.subarray(0, end);
}

/** Offset just past the empty line that ends the header, or the message length if there is none. */
function headerEnd(raw: Uint8Array): number {
  let lineStart = 0;
  while (lineStart < raw.byteLength) {
    if (raw[lineStart] === 0x0a) return lineStart + 1;
    if (raw[lineStart] === 0x0d && raw[lineStart + 1] === 0x0a) return lineStart + 2;
    const lf = raw.indexOf(0x0a, lineStart);
    if (lf === -1) return raw.byteLength;
    lineStart = lf + 1;
  }
  return raw.byteLength;
}
