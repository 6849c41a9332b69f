/**
 * SORT and UID SORT (RFC 5256 §3, with RFC 5957's DISPLAYFROM/DISPLAYTO) and ESORT's RETURN options
 * (RFC 5267 §3.2, with RFC 5182 SAVE). The order comes from the store, which sorts by the keys
 * stored at delivery (store/sort-rows.ts) without reading a message; the search keys narrow it
 * with the same scan as SEARCH (search.ts), skipped when the program is ALL.
 */
import { messagesSorted } from "../../store/mod.ts";
import { ImapBad } from "../errors.ts";
import type { Piece } from "../protocol/encode.ts";
import type { PartialRange, ReturnOption } from "../search/parse.ts";
import { sortCommand } from "../search/sort-parse.ts";
import type { SelectedCommand } from "./handler.ts";
import { esearchData, searchProgramChecks, searchScan, sortCharsetCheck } from "./search.ts";
import { startUpdates, updateTagCheck } from "./search-update.ts";

export async function sort(command: SelectedCommand): Promise<string> {
  const { ctx, state, session, tag, uid, parser } = command;
  const parsed = sortCommand(parser, { rev2: session.rev2 });
  const save = parsed.returnOptions?.has("SAVE") ?? false;
  try {
    updateTagCheck(command, parsed.returnOptions);
    return await run(parsed);
  } catch (error) {
    // RFC 5182 §2.4 (as §2.1 for SEARCH): a SORT with SAVE answered NO empties "$".
    if (save && !(error instanceof ImapBad)) state.mailbox.saveResult([]);
    throw error;
  }

  async function run(c: ReturnType<typeof sortCommand>): Promise<string> {
    sortCharsetCheck(session, c.charset);
    const { mailbox } = state;
    searchProgramChecks(session, c.key);
    // Contents from an older release get their keys at startup; the answer waits for them.
    await ctx.store.sortKeysReady();
    const known = mailbox.uids;
    if (known.length === 0) return respond(c, []);
    const maxUid = known[known.length - 1]!;
    const [ordered, matched] = await Promise.all([
      messagesSorted(ctx.store.read, mailbox.info.id, c.criteria, maxUid),
      c.key.kind === "all"
        ? undefined
        : searchScan(ctx, mailbox, c.key).then((f) => new Set(f.map((m) => m.uid))),
    ]);
    // Only what this session knows of (RFC 3501 §7.4.1), in sort order.
    const found: Array<{ uid: number; seq: number }> = [];
    for (const u of ordered) {
      if (matched && !matched.has(u)) continue;
      const seq = mailbox.seqOf(u);
      if (seq !== 0 && !mailbox.isExpungedPending(u)) found.push({ uid: u, seq });
    }
    return respond(c, found);
  }

  function respond(c: ReturnType<typeof sortCommand>, found: Array<{ uid: number; seq: number }>): string {
    const options = c.returnOptions;
    const numbers = found.map((m) => (uid ? m.uid : m.seq));
    const name = uid ? "UID SORT" : "SORT";
    if (!options) {
      // RFC 5256 §4: `* SORT n...` in sort order.
      session.untagged([numbers.length > 0 ? `SORT ${numbers.join(" ")}` : "SORT"]);
      return `${name} completed`;
    }
    if (options.has("SAVE")) saveSorted(options, found);
    // RFC 5267 §4.3: a CONTEXT=SORT context, its result in sort order.
    if (options.has("UPDATE"))
      startUpdates(command, { key: c.key, sort: c.criteria, results: found.map((m) => m.uid) });
    if ([...options].some((o) => o !== "SAVE"))
      session.untagged(esortResponse(tag, uid, { options, partial: c.partial }, numbers));
    return `${name} completed`;
  }

  /** RFC 5182 §2.4: the saved result is a set; with MIN and/or MAX alone, just those messages. */
  function saveSorted(options: Set<ReturnOption>, found: Array<{ uid: number }>): void {
    const onlyEnds =
      !options.has("ALL") && !options.has("COUNT") && (options.has("MIN") || options.has("MAX"));
    const kept =
      onlyEnds && found.length > 0
        ? [
            ...(options.has("MIN") ? [found[0]!] : []),
            ...(options.has("MAX") ? [found[found.length - 1]!] : []),
          ]
        : found;
    state.mailbox.saveResult([...new Set(kept.map((m) => m.uid))].sort((a, b) => a - b));
  }
}

/**
 * RFC 5267 §3.2: `* ESEARCH (TAG "t") [UID] MIN n MAX n COUNT n ALL set`, where MIN and MAX are the
 * first and last message in sort order and ALL lists the matches in sort order (runs only where
 * numbers ascend one by one, so the set's order is the sort order).
 */
function esortResponse(
  tag: string,
  byUid: boolean,
  { options, partial }: { options: Set<ReturnOption>; partial: PartialRange | undefined },
  numbers: number[],
): Piece[] {
  return esearchData(tag, byUid, { options, partial }, numbers, orderedSet);
}

/** A sequence-set that keeps the given order: ascending runs of consecutive numbers become a:b. */
export function orderedSet(numbers: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < numbers.length) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    parts.push(j > i ? `${numbers[i]}:${numbers[j]}` : String(numbers[i]));
    i = j + 1;
  }
  return parts.join(",");
}
