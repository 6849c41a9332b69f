/**
 * SEARCH and UID SEARCH (RFC 3501 §6.4.4, §6.4.8), with ESEARCH result options (RFC 4731) and the
 * CONDSTORE MODSEQ key (RFC 7162 §3.1.5). The mailbox's rows are read page by page in UID order
 * (index columns always; Date and search text only when a key needs them) and matched in memory,
 * pausing for the event loop as the work goes on (breather.ts): a mailbox can hold many messages.
 */
import { messagesSearchRows } from "../../store/mod.ts";
import { Breather } from "../breather.ts";
import { ImapBad, ImapNo } from "../errors.ts";
import { limitUids, withLimitCode } from "../message-limit.ts";
import { type Piece, str } from "../protocol/encode.ts";
import { type SequenceSet, sequenceFormat } from "../protocol/sequence.ts";
import { candidateFilter, compileSearch, searchNeeds, usesSequenceNumbers } from "../search/evaluate.ts";
import { type ReturnOption, searchCommand } from "../search/parse.ts";
import { uidRequired } from "../uid-only.ts";
import type { SelectedCommand } from "./handler.ts";

/** RFC 3501 §6.4.4: US-ASCII must be supported; UTF-8 is what our stored text is. */
const CHARSETS = new Set(["UTF-8", "US-ASCII"]);
/** Rows per page when search text is read: bounds memory on mailboxes with large bodies. */
const TEXT_PAGE = 1000;
/** Rows per page otherwise (index columns only): one query never holds the thread for long. */
const INDEX_PAGE = 10_000;

interface Match {
  uid: number;
  seq: number;
  modseq: number;
}

export async function search({ ctx, state, session, tag, parser, uid }: SelectedCommand): Promise<string> {
  const command = searchCommand(parser);
  // RFC 6855 §3: after ENABLE UTF8=ACCEPT a CHARSET conflicts with the UTF-8 the strings already are.
  if (command.charset !== undefined && session.enabled.has("UTF8=ACCEPT"))
    throw new ImapBad(undefined, "No CHARSET after ENABLE UTF8=ACCEPT (RFC 6855 §3)");
  // RFC 9051 §6.4.4: an IMAP4rev2 session always gets ESEARCH; without RETURN that is RETURN (ALL).
  const returnOptions = command.returnOptions ?? (session.rev2 ? new Set<ReturnOption>(["ALL"]) : undefined);
  // RFC 3501 §6.4.4: an unsupported charset is NO [BADCHARSET (supported list)].
  if (command.charset !== undefined && !CHARSETS.has(command.charset)) {
    throw new ImapNo(
      "BADCHARSET (UTF-8 US-ASCII)",
      `Charset ${command.charset.slice(0, 40)} is not supported`,
    );
  }
  const { mailbox } = state;
  // RFC 9586 §3.1: after ENABLE UIDONLY a message-number key is refused, in UID SEARCH too.
  if (session.uidOnly && usesSequenceNumbers(command.key)) throw uidRequired();
  const needs = searchNeeds(command.key);
  // RFC 7162 §3.1: a SEARCH with MODSEQ is a CONDSTORE enabling command.
  if (needs.modseq) session.enabled.add("CONDSTORE");
  const resolve = (set: SequenceSet, byUid: boolean) => mailbox.resolve(set, byUid);
  const matches = compileSearch(command.key, resolve);
  // RFC 9738 §3.1: beyond MESSAGELIMIT candidates, only the highest ones are searched.
  const isCandidate = candidateFilter(command.key, resolve);
  const limited = limitUids(
    ctx,
    mailbox.uids.filter((u) => isCandidate(u) && !mailbox.isExpungedPending(u)),
  );
  const lowestSearched = limited.code ? limited.uids[limited.uids.length - 1]! : 0;

  const found: Match[] = [];
  const view = lowestSearched > 0 ? mailbox.uids.filter((u) => u >= lowestSearched) : mailbox.uids;
  const breather = new Breather();
  if (view.length > 0) {
    const readsText = needs.searchHeaders || needs.searchText;
    const page = readsText ? TEXT_PAGE : INDEX_PAGE;
    let afterUid = view[0]! - 1;
    const maxUid = view[view.length - 1]!;
    for (;;) {
      const rows = await messagesSearchRows(ctx.store.read, mailbox.info.id, {
        afterUid,
        maxUid,
        limit: page,
        sentAt: needs.sentAt,
        searchHeaders: needs.searchHeaders,
        searchText: needs.searchText,
      });
      for (const row of rows) {
        // Only messages this session knows of (RFC 3501 §7.4.1: numbers stay stable until EXPUNGE is sent).
        const seq = mailbox.seqOf(row.uid);
        if (seq === 0 || mailbox.isExpungedPending(row.uid)) continue;
        if (matches(row)) found.push({ uid: row.uid, seq, modseq: row.modseq });
        await breather.breathe();
      }
      if (rows.length < page) break;
      afterUid = rows[rows.length - 1]!.uid;
    }
  }

  const numbers = found.map((m) => (uid ? m.uid : m.seq));
  // RFC 9738 §3.1: a cut SEARCH lists its results from the highest UID down (ESEARCH's are sets).
  const line = returnOptions
    ? esearchResponse(tag, uid, returnOptions, found, numbers, needs.modseq)
    : searchResponse(limited.code ? [...numbers].reverse() : numbers, found, needs.modseq);
  if (!session.untagged(line)) await session.drain();
  return withLimitCode(session, limited.code, `${uid ? "UID SEARCH" : "SEARCH"} completed`);
}

/** RFC 3501 §7.2.5 `* SEARCH n...`, plus RFC 7162 §3.1.5 "(MODSEQ m)" when MODSEQ was searched. */
function searchResponse(numbers: number[], found: Match[], withModseq: boolean): Piece[] {
  let text = numbers.length > 0 ? `SEARCH ${numbers.join(" ")}` : "SEARCH";
  // RFC 7162 §3.1.5: the highest MODSEQ of the matches; nothing when nothing matched.
  if (withModseq && found.length > 0) text += ` (MODSEQ ${highestModseq(found)})`;
  return [text];
}

/** RFC 4731 §3.1 `* ESEARCH (TAG "t") [UID] ...`; numbers are ascending. */
function esearchResponse(
  tag: string,
  byUid: boolean,
  options: Set<ReturnOption>,
  found: Match[],
  numbers: number[],
  withModseq: boolean,
): Piece[] {
  const pieces: Piece[] = ["ESEARCH (TAG ", str(tag), ")"];
  if (byUid) pieces.push(" UID");
  // RFC 4731 §3.1: MIN, MAX and ALL are left out when nothing matched; COUNT is always there.
  if (found.length > 0) {
    if (options.has("MIN")) pieces.push(` MIN ${numbers[0]}`);
    if (options.has("MAX")) pieces.push(` MAX ${numbers[numbers.length - 1]}`);
  }
  if (options.has("COUNT")) pieces.push(` COUNT ${numbers.length}`);
  if (found.length > 0 && options.has("ALL")) pieces.push(` ALL ${sequenceFormat(numbers)}`);
  if (withModseq && found.length > 0) pieces.push(` MODSEQ ${esearchModseq(options, found)}`);
  return pieces;
}

/**
 * RFC 4731 §3.2: with only MIN and/or MAX the MODSEQ covers just the messages returned; with ALL
 * or COUNT it covers every match.
 */
function esearchModseq(options: Set<ReturnOption>, found: Match[]): number {
  if (options.has("ALL") || options.has("COUNT")) return highestModseq(found);
  const returned: Match[] = [];
  if (options.has("MIN")) returned.push(found[0]!);
  if (options.has("MAX")) returned.push(found[found.length - 1]!);
  return highestModseq(returned);
}

function highestModseq(found: Match[]): number {
  let highest = 0;
  for (const m of found) if (m.modseq > highest) highest = m.modseq;
  return highest;
}
