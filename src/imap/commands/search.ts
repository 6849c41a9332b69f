/**
 * SEARCH and UID SEARCH (RFC 3501 §6.4.4, §6.4.8), with ESEARCH result options (RFC 4731), SEARCHRES
 * (RFC 5182: RETURN (SAVE) keeps the result for "$") and the CONDSTORE MODSEQ key (RFC 7162 §3.1.5). The mailbox's rows are read page by page in UID order
 * (index columns always; Date and search text only when a key needs them) and matched in memory,
 * pausing for the event loop as the work goes on (breather.ts): a mailbox can hold many messages.
 */
import {
  type IndexTerm,
  type MessageSearchRow,
  messagesSearchRows,
  messagesSearchRowsOf,
  messagesTextCandidates,
  TRIGRAM_MIN_CHARS,
} from "../../store/mod.ts";
import { Breather } from "../breather.ts";
import { ImapBad, ImapNo } from "../errors.ts";
import { limitUids, withLimitCode } from "../message-limit.ts";
import { type Piece, str } from "../protocol/encode.ts";
import { sequenceFormat } from "../protocol/sequence.ts";
import {
  candidateFilter,
  compileSearch,
  indexTerms,
  searchNeeds,
  usesSequenceNumbers,
} from "../search/evaluate.ts";
import {
  type PartialRange,
  partialSlice,
  type ReturnOption,
  type SearchKey,
  searchCommand,
} from "../search/parse.ts";
import type { SelectedMailbox } from "../selected.ts";
import { uidRequired } from "../uid-only.ts";
import type { SelectedCommand } from "./handler.ts";
import { startUpdates, updateTagCheck } from "./search-update.ts";

/** RFC 3501 §6.4.4: US-ASCII must be supported; UTF-8 is what our stored text is. */
const CHARSETS = new Set(["UTF-8", "US-ASCII"]);
/** Rows per page when search text is read: bounds memory on mailboxes with large bodies. */
const TEXT_PAGE = 1000;
/** Rows per page otherwise (index columns only): one query never holds the thread for long. */
const INDEX_PAGE = 10_000;

export interface Match {
  uid: number;
  seq: number;
  modseq: number;
}

export async function search(command: SelectedCommand): Promise<string> {
  // A syntax error (BAD) leaves "$" as it was: the command never ran (RFC 5182 §2.1).
  const parsed = searchCommand(command.parser, { rev2: command.session.rev2 });
  const save = parsed.returnOptions?.has("SAVE") ?? false;
  try {
    updateTagCheck(command, parsed.returnOptions);
    return await run(command, parsed);
  } catch (error) {
    // RFC 5182 §2.1: a SEARCH with SAVE that fails with NO sets the saved result to empty.
    if (save && !(error instanceof ImapBad)) command.state.mailbox.saveResult([]);
    throw error;
  }
}

async function run(command: SelectedCommand, parsed: ReturnType<typeof searchCommand>): Promise<string> {
  const { ctx, state, session, tag, uid } = command;
  // RFC 6855 §3: after ENABLE UTF8=ACCEPT a CHARSET conflicts with the UTF-8 the strings already are.
  if (parsed.charset !== undefined && session.enabled.has("UTF8=ACCEPT"))
    throw new ImapBad(undefined, "No CHARSET after ENABLE UTF8=ACCEPT (RFC 6855 §3)");
  // RFC 9051 §6.4.4: an IMAP4rev2 session always gets ESEARCH; without RETURN that is RETURN (ALL).
  const returnOptions = parsed.returnOptions ?? (session.rev2 ? new Set<ReturnOption>(["ALL"]) : undefined);
  if (parsed.charset !== undefined) charsetCheck(parsed.charset);
  const { mailbox } = state;
  const needs = searchProgramChecks(session, parsed.key);
  // RFC 9738 §3.1: beyond MESSAGELIMIT candidates, only the highest ones are searched.
  const isCandidate = candidateFilter(parsed.key, mailbox);
  const limited = limitUids(
    ctx,
    mailbox.uids.filter((u) => isCandidate(u) && !mailbox.isExpungedPending(u)),
  );
  const lowestSearched = limited.code ? limited.uids[limited.uids.length - 1]! : 0;

  const found = await searchScan(ctx, mailbox, parsed.key, lowestSearched);

  const numbers = found.map((m) => (uid ? m.uid : m.seq));
  if (returnOptions?.has("SAVE")) save(mailbox, returnOptions, found);
  // RFC 5267 §4.3: from now on the result is kept up to date.
  if (returnOptions?.has("UPDATE"))
    startUpdates(command, {
      key: parsed.key,
      results: found.map((m) => m.uid),
      cut: limited.code !== undefined,
    });
  // RFC 5182 §2.1: with SAVE as the only result option, nothing is answered but the tagged OK.
  const answers = !returnOptions || [...returnOptions].some((o) => o !== "SAVE");
  if (answers) {
    // RFC 9738 §3.1: a cut SEARCH lists its results from the highest UID down (ESEARCH's are sets).
    const line = returnOptions
      ? esearchResponse(
          tag,
          uid,
          { options: returnOptions, partial: parsed.partial },
          found,
          numbers,
          needs.modseq,
        )
      : searchResponse(limited.code ? [...numbers].reverse() : numbers, found, needs.modseq);
    if (!session.untagged(line)) await session.drain();
  }
  return withLimitCode(session, limited.code, `${uid ? "UID SEARCH" : "SEARCH"} completed`);
}

/**
 * What SEARCH, SORT and THREAD do with a search program before running it: RFC 9586 §3.1, after
 * ENABLE UIDONLY a message-number key is refused (in the UID forms too); RFC 7162 §3.1, a MODSEQ key
 * makes the command a CONDSTORE enabling one. Returns what the program needs.
 */
export function searchProgramChecks(
  session: SelectedCommand["session"],
  key: SearchKey,
): ReturnType<typeof searchNeeds> {
  if (session.uidOnly && usesSequenceNumbers(key)) throw uidRequired();
  const needs = searchNeeds(key);
  if (needs.modseq) session.enabled.add("CONDSTORE");
  return needs;
}

/**
 * SORT and THREAD name a charset always (RFC 5256 §3): after ENABLE UTF8=ACCEPT only UTF-8 (RFC 6855
 * §3), and otherwise one we support.
 */
export function sortCharsetCheck(session: SelectedCommand["session"], charset: string): void {
  if (session.enabled.has("UTF8=ACCEPT") && charset.toUpperCase() !== "UTF-8")
    throw new ImapBad(undefined, "Only UTF-8 after ENABLE UTF8=ACCEPT (RFC 6855 §3)");
  charsetCheck(charset);
}

/** RFC 3501 §6.4.4: an unsupported charset is NO [BADCHARSET (supported list)] (SORT, THREAD too). */
export function charsetCheck(charset: string): void {
  if (!CHARSETS.has(charset.toUpperCase()))
    throw new ImapNo("BADCHARSET (UTF-8 US-ASCII)", `Charset ${charset.slice(0, 40)} is not supported`);
}

/**
 * The messages this session knows of (from UID `fromUid` on) that match `key`, in UID order: the
 * mailbox's rows read page by page with the columns the key needs, matched in memory.
 */
export async function searchScan(
  ctx: SelectedCommand["ctx"],
  mailbox: SelectedMailbox,
  key: SearchKey,
  fromUid = 0,
): Promise<Match[]> {
  const needs = searchNeeds(key);
  const matches = compileSearch(key, mailbox);
  const found: Match[] = [];
  const view = fromUid > 0 ? mailbox.uids.filter((u) => u >= fromUid) : mailbox.uids;
  if (view.length === 0) return found;
  const breather = new Breather();
  const columns = {
    sentDay: needs.sentDay,
    searchHeaders: needs.searchHeaders,
    searchText: needs.searchText,
    objectIds: needs.objectIds,
  };
  const check = async (rows: MessageSearchRow[]) => {
    for (const row of rows) {
      // Only messages this session knows of (RFC 3501 §7.4.1: numbers stay stable until EXPUNGE is sent).
      const seq = mailbox.seqOf(row.uid);
      if (seq === 0 || mailbox.isExpungedPending(row.uid)) continue;
      if (matches(row)) found.push({ uid: row.uid, seq, modseq: row.modseq });
      await breather.breathe();
    }
  };
  const maxUid = view[view.length - 1]!;
  // Text keys of three characters or more: the trigram index names the candidates, which are then
  // checked exactly like any row (the index only narrows; store/search-index.ts).
  const terms = indexTerms(key, TRIGRAM_MIN_CHARS);
  const indexed = terms.length > 0 ? await candidatesOrScan(ctx, mailbox.info.id, terms, maxUid) : undefined;
  if (indexed) {
    const lowest = view[0]!;
    const candidates = indexed.filter((u) => u >= lowest);
    for (let i = 0; i < candidates.length; i += TEXT_PAGE) {
      await check(
        await messagesSearchRowsOf(
          ctx.store.read,
          mailbox.info.id,
          candidates.slice(i, i + TEXT_PAGE),
          columns,
        ),
      );
    }
    return found;
  }
  const readsText = needs.searchHeaders || needs.searchText;
  const page = readsText ? TEXT_PAGE : INDEX_PAGE;
  let afterUid = view[0]! - 1;
  for (;;) {
    const rows = await messagesSearchRows(ctx.store.read, mailbox.info.id, {
      afterUid,
      maxUid,
      limit: page,
      ...columns,
    });
    await check(rows);
    if (rows.length < page) break;
    afterUid = rows[rows.length - 1]!.uid;
  }
  return found;
}

/**
 * The index's candidates, or undefined (scan instead) if it cannot answer: the prefilter must never
 * turn a search that the scan can answer into an error.
 */
async function candidatesOrScan(
  ctx: SelectedCommand["ctx"],
  mailboxId: number,
  terms: IndexTerm[],
  maxUid: number,
): Promise<number[] | undefined> {
  try {
    return await messagesTextCandidates(ctx.store.read, mailboxId, terms, maxUid);
  } catch {
    return undefined;
  }
}

/**
 * RFC 5182 §2.1: the result "$" will stand for. With MIN and/or MAX but neither ALL nor COUNT,
 * just the messages those return; otherwise every match.
 */
function save(mailbox: SelectedMailbox, options: Set<ReturnOption>, found: Match[]): void {
  const onlyEnds = !options.has("ALL") && !options.has("COUNT") && (options.has("MIN") || options.has("MAX"));
  if (!onlyEnds || found.length === 0) {
    mailbox.saveResult(found.map((m) => m.uid));
    return;
  }
  const ends = new Set<number>();
  if (options.has("MIN")) ends.add(found[0]!.uid);
  if (options.has("MAX")) ends.add(found[found.length - 1]!.uid);
  mailbox.saveResult([...ends].sort((a, b) => a - b));
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
  { options, partial }: { options: Set<ReturnOption>; partial: PartialRange | undefined },
  found: Match[],
  numbers: number[],
  withModseq: boolean,
): Piece[] {
  const pieces = esearchData(tag, byUid, { options, partial }, numbers, sequenceFormat);
  if (withModseq && found.length > 0) pieces.push(` MODSEQ ${esearchModseq(options, found)}`);
  return pieces;
}

/**
 * The ESEARCH data of SEARCH (RFC 4731 §3.1, numbers ascending, `format` a sequence-set) and of
 * SORT (RFC 5267 §3.2, numbers in sort order, `format` keeping that order). MIN, MAX and ALL are
 * left out when nothing matched; COUNT is always there; PARTIAL's window is counted in the
 * numbers' order (RFC 5267 §4.4).
 */
export function esearchData(
  tag: string,
  byUid: boolean,
  { options, partial }: { options: Set<ReturnOption>; partial: PartialRange | undefined },
  numbers: number[],
  format: (numbers: readonly number[]) => string,
): Piece[] {
  const pieces: Piece[] = ["ESEARCH (TAG ", str(tag), ")"];
  if (byUid) pieces.push(" UID");
  if (numbers.length > 0) {
    if (options.has("MIN")) pieces.push(` MIN ${numbers[0]}`);
    if (options.has("MAX")) pieces.push(` MAX ${numbers[numbers.length - 1]}`);
  }
  if (options.has("COUNT")) pieces.push(` COUNT ${numbers.length}`);
  if (numbers.length > 0 && options.has("ALL")) pieces.push(` ALL ${format(numbers)}`);
  if (partial) pieces.push(` ${partialData(partial, numbers, format)}`);
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

/**
 * RFC 5267 §4.4 (RFC 9394 §3.1): `PARTIAL (range set)`, the range as asked and the results in it
 * (written by `format`, in the result's order), or NIL when there are none.
 */
export function partialData(
  range: PartialRange,
  numbers: readonly number[],
  format: (numbers: readonly number[]) => string,
): string {
  const window = partialSlice(numbers, range);
  return `PARTIAL (${range.text} ${window.length > 0 ? format(window) : "NIL"})`;
}

function highestModseq(found: Match[]): number {
  let highest = 0;
  for (const m of found) if (m.modseq > highest) highest = m.modseq;
  return highest;
}
