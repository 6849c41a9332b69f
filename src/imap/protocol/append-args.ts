/**
 * The grammar of what APPEND (and REPLACE) carries after the mailbox name: one or more messages
 * (MULTIAPPEND, RFC 3502), each with optional flags and date-time, given as a literal, a literal8
 * (BINARY, RFC 3516 §4.4: `~{n}`), a UTF8 literal (RFC 6855 §4: `UTF8 (~{n})`) or a list of parts
 * to catenate (CATENATE, RFC 4469 §5: TEXT literals and URLs). RFC 4466 §2.1 gives the frame:
 *
 *   append         = "APPEND" SP mailbox 1*append-message
 *   append-message = append-opts SP append-data
 *   append-opts    = [SP flag-list] [SP date-time] *(SP append-ext)
 *   append-data    = literal / literal8 / append-data-ext
 *
 * Pure syntax: the bytes of a literal are taken as the reader stored them (memory or spool file).
 */
import { ImapParseError, type Parser } from "./parser.ts";
import type { LiteralSink } from "./reader.ts";

/** A message literal as the reader kept it: its bytes, or the spool file a large one went to. */
export type MessageLiteral = Buffer | LiteralSink;

export type CatenatePart =
  /** RFC 4469 `TEXT literal` (or RFC 6855's `UTF8 (literal8)` in its place). */
  | { kind: "text"; literal: MessageLiteral; utf8: boolean }
  /** RFC 4469 `URL astring`: a message or part of this account, by IMAP URL (imap-url.ts). */
  | { kind: "url"; url: string };

export type AppendData =
  /** `binary`: sent as a literal8; `utf8`: in RFC 6855's UTF8 (...) wrapper. */
  | { kind: "literal"; literal: MessageLiteral; binary: boolean; utf8: boolean }
  | { kind: "catenate"; parts: CatenatePart[] };

export interface AppendMessage {
  flags: string[];
  /** Epoch ms, when a date-time was given. */
  internalDate: number | undefined;
  data: AppendData;
}

/**
 * At most this many parts in one CATENATE: each URL is a message read, and no real client builds a
 * message from more than a handful (RFC 4469's examples use 3-6); stops a command of thousands of
 * URLs from reading thousands of messages.
 */
export const MAX_CATENATE_PARTS = 100;

/** `1*append-message` (RFC 3502): the parser stands after the mailbox name. */
export function appendMessages(parser: Parser, options: { multiple: boolean }): AppendMessage[] {
  const messages: AppendMessage[] = [];
  do {
    messages.push(appendMessage(parser));
    if (!options.multiple) break;
  } while (!parser.atEnd());
  parser.end();
  return messages;
}

/** append-opts SP append-data. */
export function appendMessage(parser: Parser): AppendMessage {
  parser.sp();
  let flags: string[] = [];
  if (parser.peek("(")) {
    flags = parser.flagList();
    parser.sp();
  }
  let internalDate: number | undefined;
  if (parser.peek('"')) {
    internalDate = parser.dateTime();
    parser.sp();
  }
  return { flags, internalDate, data: appendData(parser) };
}

function appendData(parser: Parser): AppendData {
  if (parser.take("CATENATE")) {
    parser.sp();
    const parts = parser.list(() => catPart(parser));
    if (parts.length === 0) throw new ImapParseError("CATENATE needs at least one part");
    if (parts.length > MAX_CATENATE_PARTS)
      throw new ImapParseError(`CATENATE takes at most ${MAX_CATENATE_PARTS} parts`);
    return { kind: "catenate", parts };
  }
  if (parser.take("UTF8")) return { kind: "literal", literal: utf8Literal(parser), binary: true, utf8: true };
  const binary = parser.take("~");
  return { kind: "literal", literal: parser.messageLiteral(), binary, utf8: false };
}

/** RFC 6855 §4: utf8-literal = "UTF8" SP "(" literal8 ")", "UTF8" already taken. */
function utf8Literal(parser: Parser): MessageLiteral {
  parser.sp();
  parser.expect("(");
  parser.expect("~");
  const literal = parser.messageLiteral();
  parser.expect(")");
  return literal;
}

/** RFC 4469 cat-part = text-literal / url, and RFC 6855 §4's utf8-literal. */
function catPart(parser: Parser): CatenatePart {
  if (parser.take("TEXT")) {
    parser.sp();
    return { kind: "text", literal: parser.messageLiteral(), utf8: false };
  }
  if (parser.take("URL")) {
    parser.sp();
    return { kind: "url", url: parser.astring() };
  }
  if (parser.take("UTF8")) return { kind: "text", literal: utf8Literal(parser), utf8: true };
  throw new ImapParseError("expected TEXT, URL or UTF8 in CATENATE");
}
