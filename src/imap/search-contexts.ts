/**
 * The live search contexts of one selection (RFC 5267 §4.3, CONTEXT=SEARCH and CONTEXT=SORT): a
 * SEARCH or SORT with RETURN (UPDATE) leaves its result here, and from then on the session reports,
 * as unsolicited `ESEARCH (TAG "t") [UID] ADDTO/REMOVEFROM` responses, every message that comes to
 * match the program or stops matching it: a delivery, an APPEND or COPY in, a flag change by any
 * session (this one too), an expunge. Contexts end with the selection (RFC 5267 §4.3: "Updates will
 * cease when the mailbox is no longer selected"), and with CANCELUPDATE (§4.3.5).
 *
 * How it runs: the mailbox (selected.ts) names each message a change touches (`touch()`); before the
 * session reports its pending changes, `ready()` reads those messages' rows once and asks each
 * context's compiled program whether they match now, and, for a SORT context that gains messages,
 * reads the mailbox's sort order (the store sorts by the keys stored at delivery). The report itself
 * (`expunged()`, `changed()`) is synchronous, inside SelectedMailbox.flush(), so the ESEARCH lines
 * fall in the order §4.3.3 and §4.3.4 demand: REMOVEFROM before the EXPUNGE that removes a message
 * (its number is still valid then), ADDTO after the EXISTS that adds one; and, as RFC 5465 §5.1
 * asks of a flag change, after the FETCH that reports it.
 *
 * Choices the RFC leaves open, made here:
 * - Sequence sets and "$" in the program are resolved once, when the command runs (as a SEARCH's
 *   are): later messages are judged by what the set named then.
 * - Programs with OLDER or YOUNGER (RFC 5032) change their result as time passes, without any change
 *   to a message; they get no context (`* NO [NOUPDATE "t"]`, §4.3.1) rather than stale updates.
 * - A SEARCH context reports context position 0 (§4.3.3 allows it), its sets in mailbox order; a
 *   SORT context reports the positions at which its result list changes, in sort order.
 */
import type { MessageSearchRow, Reader, SortCriterion } from "../store/mod.ts";
import { messagesSearchRowsOf, messagesSorted } from "../store/mod.ts";
import { type Piece, str } from "./protocol/encode.ts";
import { sequenceFormat } from "./protocol/sequence.ts";
import type { Matcher, SearchNeeds } from "./search/evaluate.ts";

/** Rounds of reading in one `ready()`: changes that keep arriving meanwhile wait for the next report. */
const MAX_READY_ROUNDS = 4;

export interface SearchContextSpec {
  /** The tag of the command that asked for updates: the ESEARCH correlator. */
  tag: string;
  /** UID SEARCH / UID SORT: the updates carry UIDs, otherwise message numbers (§4.3.2). */
  uid: boolean;
  /** SORT: the result list is in this order; SEARCH: mailbox order. */
  sort: readonly SortCriterion[] | undefined;
  matches: Matcher;
  needs: SearchNeeds;
  /** The command's result, as UIDs in the context's order. */
  results: readonly number[];
}

interface SearchContext extends Omit<SearchContextSpec, "results"> {
  /** SORT contexts: the result list in sort order (SEARCH contexts need only `members`). */
  list: number[];
  members: Set<number>;
  /** Touched messages, judged by `ready()` and not reported yet: UID -> matches now. */
  verdicts: Map<number, boolean>;
  /** SORT contexts: each message's place in the mailbox's sort order, as last read. */
  rank: Map<number, number> | undefined;
}

/** What the report needs of the session's view of the mailbox (SelectedMailbox). */
export interface ContextView {
  seqOf(uid: number): number;
  isExpungedPending(uid: number): boolean;
}

export class SearchContexts {
  readonly #contexts = new Map<string, SearchContext>();
  /** Messages touched since they were last judged. */
  readonly #dirty = new Set<number>();

  get size(): number {
    return this.#contexts.size;
  }

  has(tag: string): boolean {
    return this.#contexts.has(tag);
  }

  /**
   * Starts a context with the command's result. `touched` are the messages with changes still to
   * be reported, which the result may predate: they are judged again before the next report.
   */
  add({ results, ...spec }: SearchContextSpec, touched: Iterable<number>): void {
    this.#contexts.set(spec.tag, {
      ...spec,
      list: spec.sort ? [...results] : [],
      members: new Set(results),
      verdicts: new Map(),
      rank: undefined,
    });
    for (const uid of touched) this.#dirty.add(uid);
  }

  /** CANCELUPDATE (§4.3.5): false if no context had this tag. */
  cancel(tag: string): boolean {
    const had = this.#contexts.delete(tag);
    if (this.#contexts.size === 0) this.#dirty.clear();
    return had;
  }

  /** A message was added or its flags changed: every context judges it again. */
  touch(uid: number): void {
    if (this.#contexts.size === 0) return;
    this.#dirty.add(uid);
    for (const c of this.#contexts.values()) c.verdicts.delete(uid);
  }

  /** A message was expunged: nothing is left to judge (a member leaves with its EXPUNGE). */
  forget(uid: number): void {
    if (this.#contexts.size === 0) return;
    this.#dirty.delete(uid);
    for (const c of this.#contexts.values()) c.verdicts.delete(uid);
  }

  /**
   * Judges the touched messages, then reads the sort order of each SORT context that gains
   * messages it cannot place yet. What is touched meanwhile waits for the next report.
   */
  async ready(read: Reader, mailboxId: number): Promise<void> {
    for (let round = 0; round < MAX_READY_ROUNDS && this.#dirty.size > 0; round++)
      await this.#judge(read, mailboxId);
    for (const c of this.#contexts.values()) {
      if (!c.sort) continue;
      const unplaced = unranked(c);
      if (unplaced.length === 0) continue;
      const order = await messagesSorted(read, mailboxId, c.sort);
      c.rank = new Map(order.map((u, i) => [u, i]));
      // Judged to match, yet not in the mailbox's order: expunged since, its removal on the way.
      for (const uid of unplaced) if (!c.rank.has(uid)) c.verdicts.delete(uid);
    }
  }

  async #judge(read: Reader, mailboxId: number): Promise<void> {
    const uids = [...this.#dirty];
    this.#dirty.clear();
    const needs = [...this.#contexts.values()].map((c) => c.needs);
    const rows = await messagesSearchRowsOf(read, mailboxId, uids, {
      sentDay: needs.some((n) => n.sentDay),
      searchHeaders: needs.some((n) => n.searchHeaders),
      searchText: needs.some((n) => n.searchText),
      objectIds: needs.some((n) => n.objectIds),
    });
    const byUid = new Map<number, MessageSearchRow>(rows.map((r) => [r.uid, r]));
    for (const c of this.#contexts.values()) {
      for (const uid of uids) {
        // Touched again while this read was under way: the next round judges it.
        if (this.#dirty.has(uid)) continue;
        const row = byUid.get(uid);
        // Gone from the store: its expunge is on its way, and takes it out of the context then.
        if (row) c.verdicts.set(uid, c.matches(row));
      }
    }
  }

  /**
   * The REMOVEFROM responses for members being expunged now, in the view before the expunge
   * (§4.3.4: "MUST be sent prior to the expunge notification itself").
   */
  expunged(view: ContextView, gone: ReadonlySet<number>): Piece[][] {
    const out: Piece[][] = [];
    if (gone.size === 0) return out;
    for (const c of this.#contexts.values()) {
      const line = remove(c, view, new Set([...gone].filter((uid) => c.members.has(uid))));
      if (line) out.push(line);
    }
    return out;
  }

  /**
   * The responses for the messages judged since the last report, in the view after its EXPUNGE,
   * EXISTS and FETCH responses: REMOVEFROM for members that no longer match, then ADDTO (§4.3.3:
   * after the EXISTS) for the messages that now do.
   */
  changed(view: ContextView): Piece[][] {
    const out: Piece[][] = [];
    for (const c of this.#contexts.values()) {
      const removed = new Set<number>();
      for (const [uid, match] of c.verdicts) {
        if (match) continue;
        if (c.members.has(uid)) removed.add(uid);
        c.verdicts.delete(uid);
      }
      const removal = remove(c, view, removed);
      if (removal) out.push(removal);
      const addition = add(c, view);
      if (addition) out.push(addition);
    }
    return out;
  }
}

/** A SORT context's messages judged to match that it cannot place in its order yet. */
function unranked(c: SearchContext): number[] {
  const out: number[] = [];
  for (const [uid, match] of c.verdicts) if (match && !c.members.has(uid) && !c.rank?.has(uid)) out.push(uid);
  return out;
}

/** REMOVEFROM for the `removed` members of one context, which leave it. */
function remove(c: SearchContext, view: ContextView, removed: ReadonlySet<number>): Piece[] | undefined {
  if (removed.size === 0) return undefined;
  for (const uid of removed) c.members.delete(uid);
  const number = (uid: number) => (c.uid ? uid : view.seqOf(uid));
  if (!c.sort) return esearch(c, `REMOVEFROM (0 ${ascending([...removed].map(number))})`);
  // Runs of neighbouring positions, the last first: each position is valid when it is read.
  const runs = runsOf(
    c.list.flatMap((uid, i) => (removed.has(uid) ? [i + 1] : [])),
    (p) => number(c.list[p - 1]!),
  ).reverse();
  c.list = c.list.filter((uid) => !removed.has(uid));
  return esearch(c, `REMOVEFROM (${pairs(runs)})`);
}

/**
 * ADDTO for one context: a message judged to match joins it once it is in the view; a SORT context
 * places it by the sort order `ready()` read, and keeps for a later report one that order does not
 * know yet.
 */
function add(c: SearchContext, view: ContextView): Piece[] | undefined {
  const added: number[] = [];
  for (const [uid, match] of c.verdicts) {
    if (!match || view.seqOf(uid) === 0 || view.isExpungedPending(uid)) continue;
    if (c.members.has(uid)) {
      c.verdicts.delete(uid);
      continue;
    }
    if (c.sort && !c.rank?.has(uid)) continue;
    c.verdicts.delete(uid);
    added.push(uid);
  }
  if (added.length === 0) return undefined;
  for (const uid of added) c.members.add(uid);
  const number = (uid: number) => (c.uid ? uid : view.seqOf(uid));
  if (!c.sort) return esearch(c, `ADDTO (0 ${ascending(added.map(number))})`);
  c.list = merged(c.list, added, c.rank!);
  const fresh = new Set(added);
  // Positions in the final list, lowest first: each insertion finds all before it in place.
  const runs = runsOf(
    c.list.flatMap((uid, i) => (fresh.has(uid) ? [i + 1] : [])),
    (p) => number(c.list[p - 1]!),
  );
  return esearch(c, `ADDTO (${pairs(runs)})`);
}

/** A SEARCH context's set: mailbox order, the shortest sequence-set (§4.3.3 RECOMMENDED). */
function ascending(numbers: number[]): string {
  return sequenceFormat(numbers.sort((a, b) => a - b));
}

/** `position set` pairs, each set in list order. */
function pairs(runs: ReadonlyArray<{ position: number; numbers: number[] }>): string {
  return runs.map((r) => `${r.position} ${r.numbers.join(",")}`).join(" ");
}

/** `ESEARCH (TAG "t") [UID] data` (RFC 5267 §5 esearch-response). */
function esearch(c: SearchContext, data: string): Piece[] {
  return ["ESEARCH (TAG ", str(c.tag), `)${c.uid ? " UID" : ""} ${data}`];
}

/**
 * Ascending positions grouped into runs of neighbours, each with the numbers of its messages in
 * list order (a sequence-set written in the order it is to be read, RFC 5267 §3.2).
 */
function runsOf(
  positions: readonly number[],
  numberAt: (position: number) => number,
): Array<{ position: number; numbers: number[] }> {
  const runs: Array<{ position: number; numbers: number[] }> = [];
  let last = -1;
  for (const p of positions) {
    const run = runs[runs.length - 1];
    if (run && p === last + 1) run.numbers.push(numberAt(p));
    else runs.push({ position: p, numbers: [numberAt(p)] });
    last = p;
  }
  return runs;
}

/**
 * The list with `added` placed by rank. The existing members keep their order (sort keys never
 * change); one the order no longer knows (expunged, its report pending) keeps its neighbours.
 */
function merged(
  list: readonly number[],
  added: readonly number[],
  rank: ReadonlyMap<number, number>,
): number[] {
  const incoming = [...added].sort((a, b) => rank.get(a)! - rank.get(b)!);
  const out: number[] = [];
  let j = 0;
  for (const uid of list) {
    const r = rank.get(uid);
    if (r !== undefined) while (j < incoming.length && rank.get(incoming[j]!)! < r) out.push(incoming[j++]!);
    out.push(uid);
  }
  while (j < incoming.length) out.push(incoming[j++]!);
  return out;
}
