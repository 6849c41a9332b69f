/**
 * What an IMAP session takes from a client as literals (RFC 3501 §4.3, RFC 7888), decided before
 * the "+" continuation and before a byte of a LITERAL+ literal is read: the command must exist and
 * be allowed in the session's state; before login a command may carry only a few KB in all (as
 * Dovecot's login process: 100 connections announcing 26 MB APPENDs once took the server to 2 GB);
 * and each literal needs room in the shared buffer budget. An APPEND's message after login streams
 * to a spool file instead of memory. The reader (protocol/reader.ts) does the reading; this decides.
 */
import { MEMORY_LIMITS } from "../security/limits.ts";
import { defaultMemoryBudgets } from "../security/memory-budget.ts";
import { SpoolDir } from "../store/mod.ts";
import type { ImapContext } from "./context.ts";
import { commandRefusal, TAG } from "./dispatch.ts";
import { IMAP_LIMITS } from "./protocol/limits.ts";
import type { LiteralAdmission, LiteralRequest, ReadError, ReaderOptions } from "./protocol/reader.ts";
import type { StateKind } from "./state.ts";

/** Commands whose literals are messages (RFC 3501 §6.3.11 APPEND, RFC 8508 REPLACE): up to the message size, spooled. */
export const MESSAGE_COMMANDS: ReadonlySet<string> = new Set(["APPEND", "REPLACE", "UID REPLACE"]);

/** What the policy needs to know of its session. */
export interface PolicySession {
  readonly state: { kind: StateKind };
  readonly ctx: ImapContext;
  readonly id: string;
  readonly remoteAddress: string;
}

/** The reader options (all but sendContinuation) that apply this policy to `session`. */
export function literalPolicy(session: PolicySession): Omit<ReaderOptions, "sendContinuation"> {
  const preAuth = () => session.state.kind === "not-authenticated";
  const literalLimit = (name: string) => {
    if (preAuth()) return IMAP_LIMITS.preAuthCommandBytes;
    return MESSAGE_COMMANDS.has(name) ? session.ctx.maxMessageSize : IMAP_LIMITS.maxLiteralBytes;
  };
  return {
    literalLimit,
    commandLimit: (name) =>
      preAuth() ? IMAP_LIMITS.preAuthCommandBytes : Math.max(literalLimit(name), IMAP_LIMITS.maxCommandBytes),
    refuseCommand: (name, tag) => commandRefusal(session.state.kind, tag, name),
    admitLiteral: (request) => admitLiteral(session, request, preAuth()),
    // Before login a large LITERAL+ is not worth reading to skip: the connection closes instead.
    skipLimit: () =>
      preAuth() ? IMAP_LIMITS.preAuthCommandBytes : session.ctx.maxMessageSize + IMAP_LIMITS.maxCommandBytes,
    maxPendingBytes: () => (preAuth() ? IMAP_LIMITS.preAuthPendingBytes : IMAP_LIMITS.maxPendingBytes),
  };
}

/**
 * Room for a literal in the shared buffer budget: its size in memory, or, for an APPEND's message
 * after login, a spool file and a transfer's share. No room: NO [LIMIT] (RFC 5530) until others finish.
 */
function admitLiteral(
  session: PolicySession,
  { commandName, size, nonSynchronizing }: LiteralRequest,
  preAuth: boolean,
): LiteralAdmission {
  const { ctx } = session;
  // RFC 7888 §5: with LITERAL- a non-synchronizing literal is at most 4096 octets; a larger one is
  // BAD, with TOOBIG (which an APPEND's answer MUST carry).
  if (ctx.literal === "minus" && nonSynchronizing && size > IMAP_LIMITS.literalMinusBytes)
    return {
      kind: "refuse",
      answer: "BAD [TOOBIG] Non-synchronizing literals are limited to 4096 octets (LITERAL-)",
    };
  const budget = (ctx.memory ?? defaultMemoryBudgets()).buffers;
  const spooled = MESSAGE_COMMANDS.has(commandName) && !preAuth && size > IMAP_LIMITS.spoolLiteralAboveBytes;
  const lease = budget.tryReserve(spooled ? MEMORY_LIMITS.transferBytes : size);
  if (!lease) {
    ctx.log.warn("imap.memory_busy", { session: session.id, client: session.remoteAddress, size });
    return { kind: "refuse", answer: "NO [LIMIT] Too much data in transit on the server, try again later" };
  }
  if (!spooled) return { kind: "memory", release: lease.release };
  return { kind: "sink", sink: (ctx.spool ?? SpoolDir.temporary()).create(), release: lease.release };
}

/**
 * The lines that answer what the reader could not take as a command (a line or literal too large,
 * a literal this policy refused), tagged when the tag is usable; then BYE if the stream cannot be
 * read as commands any more.
 */
export function readErrorAnswer(error: ReadError, state: StateKind): string[] {
  if (error.kind === "line-too-long") return ["* BYE [TOOBIG] Command line too long"];
  const tag = error.tag && TAG.test(error.tag) ? error.tag : "*";
  const lines = [
    error.kind === "refused"
      ? `${tag} ${error.answer}`
      : state === "not-authenticated"
        ? `${tag} BAD [TOOBIG] Too much data before login`
        : MESSAGE_COMMANDS.has(error.commandName ?? "")
          ? `${tag} NO [TOOBIG] Message too large`
          : `${tag} BAD [TOOBIG] Literal too large`,
  ];
  // A non-synchronizing literal too large to skip: the rest of the stream cannot be read as commands.
  if (!error.recoverable) lines.push("* BYE [TOOBIG] Literal too large to skip, closing the connection");
  return lines;
}
