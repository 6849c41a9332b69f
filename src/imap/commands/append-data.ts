/**
 * From what APPEND or REPLACE sent (protocol/append-args.ts) to messages ready to store: literals
 * read back from memory or their spool files, CATENATE's parts put together (RFC 4469 §3: TEXT
 * literals as sent, URL parts copied from the account's messages by their stored offsets, no \Seen
 * set), each checked as APPEND checks a message: not empty (RFC 3502), within the size limit
 * (TOOBIG), no bare CR or LF (issue 9), no 8-bit header without UTF-8 on (RFC 6855 §4), then parsed
 * once. Everything is read before anything is stored, inside one lease of the ingest memory budget
 * for the sum of the sizes: a MULTIAPPEND is stored in one transaction (RFC 3502: all or nothing).
 */
import { hasBareNewline, normalizeNewlines, type ParsedMessage, parseMessage } from "../../mime/mod.ts";
import { MEMORY_LIMITS } from "../../security/limits.ts";
import { defaultMemoryBudgets, ingestCost, type Lease } from "../../security/memory-budget.ts";
import {
  type FetchRow,
  fetchContentBytes,
  fetchRows,
  mailboxFind,
  mailboxNameNormalize,
  Spool,
  structureDecode,
} from "../../store/mod.ts";
import { ImapBad, ImapNo } from "../errors.ts";
import { parseFetchPlan } from "../fetch/items.ts";
import { partialBytes, sectionBytes } from "../fetch/sections.ts";
import type { AppendMessage, CatenatePart, MessageLiteral } from "../protocol/append-args.ts";
import { type MessageUrl, parseMessageUrl } from "../protocol/imap-url.ts";
import { Parser } from "../protocol/parser.ts";
import type { AuthenticatedCommand } from "./handler.ts";
import { flagsFromList } from "./store.ts";

export interface PreparedMessage {
  raw: Uint8Array;
  parsed: ParsedMessage;
  flags: number;
  keywords: string[];
  internalDate: number | undefined;
}

/** What one CATENATE URL resolved to before its bytes are read. */
interface UrlSource {
  row: FetchRow & { structure?: string; headerEnd?: number };
  url: MessageUrl;
  text: string;
}

type Source = { kind: "literal"; literal: MessageLiteral } | { kind: "url"; source: UrlSource };

/** RFC 4469 §4.1: url-resp-text is TEXT-CHAR except "]"; the URL as sent, made safe to echo. */
function badUrl(url: string, why: string): ImapNo {
  const echo = url.replace(/[^\x20-\x5c\x5e-\x7e]/g, "").slice(0, 200);
  return new ImapNo(`BADURL ${echo}`, why);
}

/** A literal's size; a spool that could not be written (a full disk) is NO [OVERQUOTA] (fromStoreError), before anything else. */
function literalSize(literal: MessageLiteral): number {
  if (Buffer.isBuffer(literal)) return literal.length;
  if (literal instanceof Spool && literal.error) throw literal.error;
  return literal.size;
}

/** The session streams large literals to spool files (literal-policy.ts); a full disk is NO [OVERQUOTA]. */
async function literalBytes(literal: MessageLiteral): Promise<Uint8Array> {
  if (Buffer.isBuffer(literal)) return literal;
  if (!(literal instanceof Spool)) throw new Error("APPEND literal in an unknown sink");
  if (literal.error) throw literal.error;
  return literal.read();
}

/**
 * A CATENATE URL (RFC 4469 §3): a message of this account, named relative to "imap://user@server/"
 * or, for ";UID=n", to the selected mailbox. Looks up the row (size, offsets) without its bytes.
 */
async function resolveUrl(command: AuthenticatedCommand, text: string): Promise<UrlSource> {
  const { ctx, state } = command;
  const url = parseMessageUrl(text);
  if (!url) throw badUrl(text, "Only relative IMAP URLs of a message or part of it are supported");
  let mailboxId: number;
  let uidValidity: number;
  if (url.mailbox === undefined) {
    if (state.kind !== "selected") throw badUrl(text, "A URL without a mailbox needs a selected mailbox");
    mailboxId = state.mailbox.info.id;
    uidValidity = state.mailbox.info.uidValidity;
  } else {
    let name: string;
    try {
      name = mailboxNameNormalize(url.mailbox);
    } catch {
      throw badUrl(text, "Invalid mailbox name in URL");
    }
    const mailbox = await mailboxFind(ctx.store.read, state.account.id, name);
    if (!mailbox) throw badUrl(text, "No such mailbox");
    mailboxId = mailbox.id;
    uidValidity = mailbox.uidValidity;
  }
  if (url.uidValidity !== undefined && url.uidValidity !== uidValidity)
    throw badUrl(text, "UIDVALIDITY does not match");
  const [row] = await fetchRows(ctx.store.read, mailboxId, [url.uid], { structure: true, headerEnd: true });
  if (!row) throw badUrl(text, "No such message");
  return { row, url, text };
}

/** The octets a URL names, "as if the literal returned in a FETCH BODY response" (RFC 4469 §3). */
async function urlBytes(command: AuthenticatedCommand, { row, url, text }: UrlSource): Promise<Uint8Array> {
  const raw = await fetchContentBytes(command.ctx.store.read, row.contentId);
  if (!raw) throw badUrl(text, "The message was expunged");
  let bytes = raw;
  if (url.section !== undefined) {
    let plan: ReturnType<typeof parseFetchPlan>;
    try {
      plan = parseFetchPlan(new Parser([`BODY.PEEK[${url.section}]`]));
    } catch {
      throw badUrl(text, "Invalid section in URL");
    }
    const item = plan.items[0];
    if (plan.items.length !== 1 || item?.kind !== "section") throw badUrl(text, "Invalid section in URL");
    const structure = row.structure ? structureDecode(row.structure, row.structureColumns) : undefined;
    bytes = sectionBytes(item.section, raw, row.headerEnd ?? 0, structure);
  }
  if (url.partial) bytes = partialBytes(bytes, url.partial.origin, url.partial.length ?? bytes.length);
  return bytes;
}

function sourcesOf(parts: readonly CatenatePart[], urls: Map<CatenatePart, UrlSource>): Source[] {
  return parts.map((part) =>
    part.kind === "text"
      ? { kind: "literal", literal: part.literal }
      : { kind: "url", source: urls.get(part)! },
  );
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(
    chunks.map((c) => (Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength))),
  );
}

/** RFC 6855 §4: without UTF-8 enabled, a message whose header has 8-bit octets is NO. */
function has8bitHeader(raw: Uint8Array, headerEnd: number): boolean {
  for (let i = 0; i < headerEnd; i++) if (raw[i]! >= 0x80) return true;
  return false;
}

/**
 * Reads, assembles, checks and parses the messages of one APPEND (or REPLACE). The lease it returns
 * holds their memory until the caller has stored them: release it in a finally.
 */
export async function prepareMessages(
  command: AuthenticatedCommand,
  messages: readonly AppendMessage[],
): Promise<{ prepared: PreparedMessage[]; lease: Lease }> {
  const { ctx, session } = command;
  // Flags and URLs first: a bad one costs nothing to refuse, and URL rows bound the size.
  const flags = messages.map((m) => flagsFromList(m.flags));
  const urls = new Map<CatenatePart, UrlSource>();
  const sources: Source[][] = [];
  for (const message of messages) {
    if (message.data.kind === "literal") {
      sources.push([{ kind: "literal", literal: message.data.literal }]);
      continue;
    }
    for (const part of message.data.parts)
      if (part.kind === "url") urls.set(part, await resolveUrl(command, part.url));
    sources.push(sourcesOf(message.data.parts, urls));
  }
  const sizes = sources.map((list) =>
    list.reduce((sum, s) => sum + (s.kind === "literal" ? literalSize(s.literal) : s.source.row.size), 0),
  );
  for (const [i, list] of sources.entries()) {
    // RFC 3502: a zero-length message literal is an error (it cancels the APPEND); so is an empty catenation.
    if (list.length === 1 && list[0]!.kind === "literal" && sizes[i] === 0)
      throw new ImapNo(undefined, "An empty message cannot be appended");
    // A URL part is at most its message; an exact check follows once the bytes are read.
    if (list.every((s) => s.kind === "literal") && sizes[i]! > ctx.maxMessageSize)
      throw new ImapNo("TOOBIG", "Message too large");
  }

  const budget = (ctx.memory ?? defaultMemoryBudgets()).ingest;
  const total = sizes.reduce((a, b) => a + b, 0);
  const lease = await budget.reserve(
    ingestCost(Math.min(total, ctx.maxMessageSize * messages.length)),
    MEMORY_LIMITS.ingestWaitMs,
  );
  // RFC 5530 LIMIT: a server limit, here on memory for messages in transit; the client retries.
  if (!lease) throw new ImapNo("LIMIT", "Too much data in transit on the server, try again later");
  try {
    const prepared: PreparedMessage[] = [];
    for (const [i, message] of messages.entries()) {
      const chunks: Uint8Array[] = [];
      for (const source of sources[i]!)
        chunks.push(
          source.kind === "literal"
            ? await literalBytes(source.literal)
            : await urlBytes(command, source.source),
        );
      const received = concat(chunks);
      if (received.length === 0) throw new ImapNo(undefined, "An empty message cannot be appended");
      const raw = ctx.bareNewline === "normalize" ? normalizeNewlines(received) : received;
      // RFC 3501 §6.3.11: NO when the message cannot be appended; the command itself was well formed.
      if (hasBareNewline(raw))
        throw new ImapNo(undefined, "Message contains bare newlines (CR or LF outside CRLF)");
      // RFC 4469 §4.2: TOOBIG for a catenation over the server's limit, too.
      if (raw.length > ctx.maxMessageSize) throw new ImapNo("TOOBIG", "Message too large");
      const parsed = parseMessage(raw);
      if (!session.utf8 && has8bitHeader(raw, parsed.headerEnd))
        throw new ImapNo(undefined, "8-bit header fields need ENABLE UTF8=ACCEPT (RFC 6855 §4)");
      prepared.push({ raw, parsed, ...flags[i]!, internalDate: message.internalDate });
    }
    return { prepared, lease };
  } catch (error) {
    lease.release();
    throw error;
  }
}

/** RFC 6855 §4: the UTF8 append-data extension only once UTF8=ACCEPT is enabled. */
export function checkUtf8Data(command: AuthenticatedCommand, messages: readonly AppendMessage[]): void {
  const usesUtf8 = messages.some(
    (m) =>
      (m.data.kind === "literal" && m.data.utf8) ||
      (m.data.kind === "catenate" && m.data.parts.some((p) => p.kind === "text" && p.utf8)),
  );
  if (usesUtf8 && !command.session.utf8) throw new ImapBad(undefined, "UTF8 data needs ENABLE UTF8=ACCEPT");
}
