/**
 * MESSAGELIMIT and SAVELIMIT (RFC 9738): how many messages one command may work on, announced in
 * CAPABILITY (one of the two, never both, §3). Under MESSAGELIMIT, FETCH, STORE, MOVE, UID EXPUNGE
 * and SEARCH (and their UID forms) that name more messages work on the `limit` messages with the
 * highest UIDs, from the highest down, and say so with `[MESSAGELIMIT limit lowest-uid]` in their
 * tagged OK (or an untagged NO when the tagged OK carries another code, §3.1), so a client can go on
 * below that UID; COPY and APPEND, which are all or nothing, are refused whole with NO
 * [MESSAGELIMIT limit]. SAVELIMIT limits only COPY and APPEND. EXPUNGE, CLOSE and STATUS are never
 * limited. The limit (MAILROOM_IMAP_MESSAGE_LIMIT) stops one command from holding the server for
 * the length of a whole large mailbox.
 */
import type { CommandSession } from "./commands/handler.ts";
import type { ImapContext, MessageLimitSetting } from "./context.ts";
import { ImapNo } from "./errors.ts";

/** RFC 9738 §3: "SHOULD NOT be lower than 1000"; the default stays above any real mailbox. */
export const DEFAULT_MESSAGE_LIMIT: MessageLimitSetting = { limit: 1_000_000, scope: "all" };

function setting(ctx: ImapContext): MessageLimitSetting {
  return ctx.messageLimit ?? DEFAULT_MESSAGE_LIMIT;
}

/** The capability: `MESSAGELIMIT=n` or `SAVELIMIT=n`. */
export function messageLimitCapability(s: MessageLimitSetting): string {
  return `${s.scope === "all" ? "MESSAGELIMIT" : "SAVELIMIT"}=${s.limit}`;
}

/** What a limited command works on: the highest UIDs, highest first, and the code for its answer. */
export interface LimitedUids {
  uids: number[];
  /** `MESSAGELIMIT n uid` when the set was cut, else undefined. */
  code: string | undefined;
}

/**
 * RFC 9738 §3.1: `uids` (ascending) cut to the limit for FETCH, STORE, MOVE, UID EXPUNGE and SEARCH.
 * Uncut, they stay ascending; cut, they are the highest `limit` UIDs from the highest down.
 */
export function limitUids(ctx: ImapContext, uids: number[]): LimitedUids {
  const { limit, scope } = setting(ctx);
  // Uncut (nearly always): the caller's array itself, no copy on the FETCH path.
  if (scope !== "all" || uids.length <= limit) return { uids, code: undefined };
  const kept = uids.slice(uids.length - limit).reverse();
  return { uids: kept, code: `MESSAGELIMIT ${limit} ${kept[kept.length - 1]}` };
}

/** RFC 9738 §3.1: COPY and APPEND of more messages than the limit do nothing: NO [MESSAGELIMIT n]. */
export function checkSaveLimit(ctx: ImapContext, count: number, command: string): void {
  const { limit } = setting(ctx);
  if (count > limit)
    throw new ImapNo(
      `MESSAGELIMIT ${limit}`,
      `${command} of more than ${limit} messages at once is not allowed`,
    );
}

/**
 * The tagged OK text of a limited command: the MESSAGELIMIT code in front, or, when the text already
 * starts with another response code, that text and the code in an untagged NO first (§3.1).
 */
export function withLimitCode(session: CommandSession, code: string | undefined, text: string): string {
  if (!code) return text;
  if (text.startsWith("[")) {
    session.untagged([`NO [${code}] Only the messages with the highest UIDs were processed`]);
    return text;
  }
  return `[${code}] ${text}`;
}
