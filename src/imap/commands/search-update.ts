/**
 * What SEARCH and SORT do with RETURN (UPDATE) (RFC 5267 §4.3): refuse a tag already correlating a
 * live context (BAD, §4.3), and once the result is known, keep it as a context of the selection
 * (../search-contexts.ts) or, where it cannot be kept current, say so with an untagged NO
 * [NOUPDATE "tag"] while the command itself succeeds (§4.3.1: "Other return options specified
 * SHALL still be honoured").
 */
import type { SortCriterion } from "../../store/mod.ts";
import { ImapBad } from "../errors.ts";
import { str } from "../protocol/encode.ts";
import { IMAP_LIMITS } from "../protocol/limits.ts";
import { compileSearch, dependsOnTime, searchNeeds } from "../search/evaluate.ts";
import type { ReturnOption, SearchKey } from "../search/parse.ts";
import type { SelectedCommand } from "./handler.ts";

/** RFC 5267 §4.3: "An attempt to use UPDATE where a tag is already in use ... SHALL result in ... BAD". */
export function updateTagCheck(
  { state, tag }: SelectedCommand,
  options: Set<ReturnOption> | undefined,
): void {
  if (options?.has("UPDATE") && state.mailbox.contexts.has(tag))
    throw new ImapBad(undefined, `Tag reuse: ${tag.slice(0, 40)} correlates a live search context`);
}

/**
 * Keeps the command's result (`results`: UIDs, in mailbox or sort order) up to date from now on.
 * `cut`: MESSAGELIMIT left messages unsearched (RFC 9738 §3.1), so the result is not the program's.
 */
export function startUpdates(
  { state, session, tag, uid }: SelectedCommand,
  context: { key: SearchKey; sort?: readonly SortCriterion[]; results: readonly number[]; cut?: boolean },
): void {
  const { mailbox } = state;
  const refuse = (why: string) => session.untagged(["NO [NOUPDATE ", str(tag), `] ${why}`]);
  const limit = IMAP_LIMITS.maxSearchContexts;
  if (mailbox.contexts.size >= limit) refuse(`Too many search contexts (at most ${limit}); CANCELUPDATE one`);
  else if (dependsOnTime(context.key)) refuse("OLDER and YOUNGER change with time; no updates");
  else if (context.cut) refuse("The search was cut at MESSAGELIMIT; no updates");
  else
    mailbox.contexts.add(
      {
        tag,
        uid,
        sort: context.sort,
        matches: compileSearch(context.key, mailbox),
        needs: searchNeeds(context.key),
        results: context.results,
      },
      mailbox.pendingUids(),
    );
}
