/**
 * STORE and UID STORE (RFC 3501 §6.4.6) with CONDSTORE's UNCHANGEDSINCE modifier (RFC 7162 §3.1.3).
 * The flag change runs in one store write; the FETCH responses report each message's flags as that
 * write left them, and the matching change events are dropped from the session's pending updates so
 * the client does not hear about its own change twice.
 */
import {
  type FlagMode,
  type FlagsUpdateResult,
  flagNames,
  flagsFromNames,
  messagesUpdateFlags,
} from "../../store/mod.ts";
import { ImapBad, ImapNo } from "../errors.ts";
import { limitUids, withLimitCode } from "../message-limit.ts";
import type { Parser } from "../protocol/parser.ts";
import { sequenceFormat } from "../protocol/sequence.ts";
import type { SelectedMailbox } from "../selected.ts";
import { fetchHead } from "../uid-only.ts";
import type { CommandSession, SelectedCommand } from "./handler.ts";

/** Keywords one command may name, and the longest keyword: a flag list is not a place to store data. */
const MAX_KEYWORDS_PER_COMMAND = 100;
const MAX_KEYWORD_LENGTH = 200;
const SYSTEM_FLAGS = new Set(["\\seen", "\\answered", "\\flagged", "\\deleted", "\\draft"]);

/**
 * Turns the flags a client names (STORE, APPEND) into the stored bit set and keywords. \Recent is
 * ignored: only the server sets it (RFC 3501 §2.3.2); other unknown system flags are refused.
 */
export function flagsFromList(names: readonly string[]): { flags: number; keywords: string[] } {
  const kept: string[] = [];
  for (const name of names) {
    const lower = name.toLowerCase();
    if (lower === "\\recent") continue;
    if (name.startsWith("\\") && !SYSTEM_FLAGS.has(lower))
      throw new ImapBad(undefined, `Cannot store ${name}`);
    if (name.length > MAX_KEYWORD_LENGTH) throw new ImapBad(undefined, "Keyword too long");
    kept.push(name);
  }
  const parsed = flagsFromNames(kept);
  if (parsed.keywords.length > MAX_KEYWORDS_PER_COMMAND) throw new ImapBad(undefined, "Too many keywords");
  return parsed;
}

interface StoreArgs {
  unchangedSince: number | undefined;
  mode: FlagMode;
  silent: boolean;
  names: string[];
}

/** RFC 3501 §9 store-att-flags, after RFC 7162 §4's optional "(UNCHANGEDSINCE n)" modifier. */
function storeArgs(parser: Parser): StoreArgs {
  let unchangedSince: number | undefined;
  if (parser.peek("(")) {
    parser.list(() => {
      const name = parser.atom().toUpperCase();
      if (name !== "UNCHANGEDSINCE") throw new ImapBad(undefined, `Unknown STORE modifier ${name}`);
      // RFC 4466 §2.5: a modifier may not be given twice.
      if (unchangedSince !== undefined) throw new ImapBad(undefined, "UNCHANGEDSINCE given twice");
      parser.sp();
      unchangedSince = parser.modSequence();
      return name;
    });
    parser.sp();
  }
  const item = /^([+-]?)FLAGS(\.SILENT)?$/.exec(parser.atom().toUpperCase());
  if (!item) throw new ImapBad(undefined, "Expected FLAGS, +FLAGS or -FLAGS");
  parser.sp();
  let names: string[];
  if (parser.peek("(")) {
    names = parser.flagList();
  } else {
    // RFC 3501 §9: the flags may also come without parentheses.
    names = [parser.flag()];
    while (parser.take(" ")) names.push(parser.flag());
  }
  const mode: FlagMode = item[1] === "+" ? "add" : item[1] === "-" ? "remove" : "set";
  return { unchangedSince, mode, silent: item[2] !== undefined, names };
}

async function send(session: CommandSession, line: string): Promise<void> {
  if (!session.untagged([line])) await session.drain();
}

export async function store({ ctx, state, session, parser, uid }: SelectedCommand): Promise<string> {
  parser.sp();
  const set = parser.sequenceSet();
  if (set.saved) throw new ImapBad(undefined, "$ (SEARCHRES) is not supported");
  parser.sp();
  const args = storeArgs(parser);
  parser.end();
  const change = { mode: args.mode, ...flagsFromList(args.names) };
  const { mailbox } = state;
  if (mailbox.info.readOnly) throw new ImapNo("READ-ONLY", "Mailbox is read-only");
  // RFC 7162 §3.1: UNCHANGEDSINCE is a CONDSTORE-enabling command, so this command's FETCHes carry MODSEQ.
  if (args.unchangedSince !== undefined) session.enabled.add("CONDSTORE");

  // Which flag changes to this mailbox commit while our write runs (ours included), by UID: a
  // report of ours must not hide one that commits after it, nor, under .SILENT, one by another writer.
  const { store: db } = ctx;
  const hadPending = mailbox.hasPending();
  const seen = new Map<number, number[]>();
  const unsubscribe = db.changes.subscribe(mailbox.info.accountId, (c) => {
    if (c.kind === "flags-changed" && c.mailboxId === mailbox.info.id) {
      seen.set(c.uid, [...(seen.get(c.uid) ?? []), c.modseq]);
    }
  });
  try {
    // RFC 9738 §3.1: beyond MESSAGELIMIT, the highest UIDs only (reported from the highest down).
    const limited = limitUids(ctx, mailbox.resolve(set, uid));
    const uids = limited.code ? [...limited.uids].reverse() : limited.uids;
    const result = await db.write((w) =>
      messagesUpdateFlags(w, mailbox.info.id, uids, change, { unchangedSince: args.unchangedSince }),
    );
    // Still listening while the responses go out: a change that lands while we wait for the socket
    // is newer than what we send, and must not be forgotten.
    const stored = limited.code ? [...result.stored].reverse() : result.stored;
    await report(session, mailbox, stored, { uid, silent: args.silent, hadPending, seen });
    return withLimitCode(session, limited.code, tagged(mailbox, result.modified, uid));
  } finally {
    unsubscribe();
  }
}

interface ReportOptions {
  uid: boolean;
  silent: boolean;
  /** Whether the session had unreported changes when the command began (their UIDs are unknown). */
  hadPending: boolean;
  /** MODSEQs of the flag changes published since the command began, ours included, by UID. */
  seen: Map<number, number[]>;
}

/**
 * The FETCH responses of STORE (RFC 3501 §6.4.6), and which pending change reports they make
 * redundant: the session's own change events are queued for it like anyone else's.
 */
async function report(
  session: CommandSession,
  mailbox: SelectedMailbox,
  stored: FlagsUpdateResult["stored"],
  options: ReportOptions,
): Promise<void> {
  const { uid, silent, hadPending, seen } = options;
  const condstore = session.condstore;
  for (const m of stored) {
    const seq = mailbox.seqOf(m.uid);
    if (seq === 0) continue;
    const changes = seen.get(m.uid) ?? [];
    if (silent) {
      // RFC 7162 §3.1.3: with CONDSTORE a changed message is reported with its MODSEQ even under .SILENT.
      if (condstore && m.changed) {
        const uidItem = uid && !session.uidOnly ? `UID ${m.uid} ` : "";
        await send(session, `${fetchHead(seq, m.uid, session.uidOnly)} (${uidItem}MODSEQ (${m.modseq}))`);
      }
      // The client knows its own change, but only its own: if anyone else changed the message (or
      // something was still unreported when the command began), the final flags go out as a FETCH.
      if (!hadPending && m.changed && changes.length === 1 && changes[0] === m.modseq)
        mailbox.forgetFlags(m.uid);
      continue;
    }
    const items = [
      uid && !session.uidOnly ? `UID ${m.uid}` : "",
      `FLAGS (${flagNames(m.flags, m.keywords).join(" ")})`,
      condstore ? `MODSEQ (${m.modseq})` : "",
    ].filter((s) => s !== "");
    await send(session, `${fetchHead(seq, m.uid, session.uidOnly)} (${items.join(" ")})`);
    // What we sent includes every change committed before ours; one committed after it is newer.
    if (changes.every((modseq) => modseq <= m.modseq)) mailbox.forgetFlags(m.uid);
  }
}

/** RFC 7162 §3.1.3: messages that failed UNCHANGEDSINCE, as UIDs for UID STORE, else sequence numbers. */
function tagged(mailbox: SelectedMailbox, modified: FlagsUpdateResult["modified"], uid: boolean): string {
  const failed = modified
    .map((m) => (uid ? m.uid : mailbox.seqOf(m.uid)))
    .filter((n) => n > 0)
    .sort((a, b) => a - b);
  if (failed.length > 0) return `[MODIFIED ${sequenceFormat(failed)}] Conditional STORE failed`;
  return `${uid ? "UID " : ""}STORE completed`;
}
