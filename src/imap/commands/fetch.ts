/**
 * FETCH and UID FETCH (RFC 3501 §6.4.5, §6.4.8, responses §7.4.2) with the CONDSTORE and QRESYNC
 * parts (RFC 7162 §3.1.4.1 MODSEQ and CHANGEDSINCE, §3.2.6 VANISHED). Rows are read in batches with
 * only the columns the items need; message bytes are read one message at a time and only for items
 * that need them; responses stream out in chunks with backpressure, pausing for the event loop as
 * the work goes on (breather.ts): a FETCH 1:* of a large mailbox is many messages.
 */
import {
  fetchContentBytes,
  fetchExpungedSince,
  fetchRows,
  isStorageFull,
  messagesUpdateFlags,
  SEEN,
} from "../../store/mod.ts";
import { Breather } from "../breather.ts";
import type { ImapContext } from "../context.ts";
import { ImapBad } from "../errors.ts";
import { type FetchPlan, parseFetchPlan } from "../fetch/items.ts";
import { ResponseWriter } from "../fetch/pieces.ts";
import { fetchNeeds, renderFetch, responseItems } from "../fetch/render.ts";
import { limitUids, withLimitCode } from "../message-limit.ts";
import { type SequenceSet, sequenceContains, sequenceFormat, sequenceGaps } from "../protocol/sequence.ts";
import type { SelectedMailbox } from "../selected.ts";
import type { CommandSession, SelectedCommand } from "./handler.ts";

/** UIDs per row query: one statement per batch, and no more rows in memory than that. */
const BATCH = 1000;

/**
 * RFC 9051 §6.4.5 (and RFC 3501 §9 seq-number): a sequence number beyond EXISTS is a client error.
 * "*" is the last message; in an empty mailbox a range reaching "*" (a client's "1:*" just after
 * SELECT) names nothing rather than something invalid.
 */
function checkSequenceNumbers(set: SequenceSet, exists: number): void {
  for (const r of set.ranges) {
    if (exists === 0 && (r.from === null || r.to === null)) continue;
    const from = r.from ?? exists;
    const to = r.to ?? exists;
    if (from > exists || to > exists) {
      throw new ImapBad(undefined, "Invalid sequence number: beyond the messages in the mailbox");
    }
  }
}

/** RFC 7162 §3.2.6: the modifiers' own rules, checked before anything is read or written. */
function checkModifiers(plan: FetchPlan, session: CommandSession, uid: boolean): void {
  if (!plan.vanished) return;
  if (!uid) throw new ImapBad(undefined, "VANISHED is only allowed in UID FETCH");
  if (!session.qresync) throw new ImapBad(undefined, "VANISHED needs ENABLE QRESYNC first");
  if (plan.changedSince === undefined) throw new ImapBad(undefined, "VANISHED needs CHANGEDSINCE");
}

/** RFC 7162 §3.2.6: `* VANISHED (EARLIER)` for the UIDs of the requested set expunged after CHANGEDSINCE. */
async function reportVanished(
  ctx: ImapContext,
  mailbox: SelectedMailbox,
  set: SequenceSet,
  since: number,
  writer: ResponseWriter,
): Promise<void> {
  const { uids: gone, historyLost } = await fetchExpungedSince(ctx.store.read, mailbox.info.id, since);
  if (historyLost) {
    // RFC 7162 §3.2.5.2: removals that old are forgotten; report every UID of the set below UIDNEXT
    // that is not in the mailbox (a superset: the client ignores UIDs it never knew).
    const last = historyLost.uidNext - 1;
    const star = Math.max(mailbox.uids[mailbox.uids.length - 1] ?? 0, last);
    const text = sequenceGaps(mailbox.uids, last, { set, star });
    if (text !== "") await writer.untagged([`VANISHED (EARLIER) ${text}`]);
    return;
  }
  if (gone.length === 0) return;
  // "*" is the largest UID in use; expunged UIDs above the last message still count as "in use" here.
  const max = Math.max(mailbox.uids[mailbox.uids.length - 1] ?? 0, gone[gone.length - 1]!);
  const hit = gone.filter((u) => sequenceContains(set, u, max));
  if (hit.length > 0) await writer.untagged([`VANISHED (EARLIER) ${sequenceFormat(hit)}`]);
}

/**
 * RFC 3501 §6.4.5: fetching a body without .PEEK sets \Seen. Written (one write for the whole set)
 * before any response goes out, so FLAGS in the responses are the committed ones; returns the UIDs
 * whose flags changed, which are told so in their own response instead of an unsolicited FETCH later.
 */
async function markSeen(ctx: ImapContext, mailbox: SelectedMailbox, uids: number[]): Promise<Set<number>> {
  let changed: Awaited<ReturnType<typeof messagesUpdateFlags>>["changed"];
  try {
    ({ changed } = await ctx.store.write((w) =>
      messagesUpdateFlags(w, mailbox.info.id, uids, { mode: "add", flags: SEEN, keywords: [] }),
    ));
  } catch (error) {
    // A full disk must not keep a user from reading mail: the body is served, \Seen stays unset
    // (the FLAGS in the response say so), and the client sets it later with STORE.
    if (!isStorageFull(error)) throw error;
    ctx.log.warn("imap.seen_not_written", { mailbox: mailbox.info.id, detail: "disk full" });
    return new Set();
  }
  const out = new Set<number>();
  for (const m of changed) {
    out.add(m.uid);
    mailbox.forgetFlags(m.uid);
  }
  return out;
}

/** RFC 3501 §6.4.5 FETCH, §6.4.8 UID FETCH. */
export async function fetch({
  ctx,
  state,
  session,
  parser,
  uid,
}: SelectedCommand): Promise<string | undefined> {
  parser.sp();
  const set = parser.sequenceSet();
  parser.sp();
  const plan = parseFetchPlan(parser);
  parser.end();
  if (set.saved) throw new ImapBad(undefined, "$ (SEARCHRES) is not supported");
  const { mailbox } = state;
  if (!uid) checkSequenceNumbers(set, mailbox.exists);
  checkModifiers(plan, session, uid);
  // RFC 7162 §3.1: MODSEQ and CHANGEDSINCE are CONDSTORE-enabling; from now on FETCH carries MODSEQ.
  if (plan.changedSince !== undefined || plan.items.some((i) => i.kind === "MODSEQ")) {
    session.enabled.add("CONDSTORE");
  }

  const read = ctx.store.read;
  const mailboxId = mailbox.info.id;
  const changedSince = plan.changedSince;
  const writer = new ResponseWriter(session);
  if (plan.vanished) await reportVanished(ctx, mailbox, set, changedSince!, writer);

  // RFC 2180 §4.1.3: messages expunged by another session but not yet reported are left out.
  // RFC 9738 §3.1: beyond MESSAGELIMIT, the highest UIDs only, from the highest down.
  const limited = limitUids(
    ctx,
    mailbox.resolve(set, uid).filter((u) => !mailbox.isExpungedPending(u)),
  );
  const descending = limited.code !== undefined;
  let uids = descending ? limited.uids.reverse() : limited.uids;
  const needs = fetchNeeds(plan.items);
  let seenSet = new Set<number>();
  if (needs.setsSeen && !mailbox.info.readOnly && uids.length > 0) {
    // With CHANGEDSINCE only the messages that will be answered are marked (the write raises MODSEQ).
    if (changedSince !== undefined) {
      uids = (await fetchRows(read, mailboxId, uids, { changedSince })).map((r) => r.uid);
    }
    seenSet = await markSeen(ctx, mailbox, uids);
  }

  const items = responseItems(plan.items, { uid, modseq: session.condstore, uidOnly: session.uidOnly });
  const rowOptions = {
    envelope: needs.envelope,
    structure: needs.structure,
    head: needs.raw === "head",
    headerEnd: needs.headerEnd,
    // One message (what most clients ask, one command at a time): its bytes come with its row.
    data: needs.raw === "full" && uids.length === 1,
    changedSince,
  };
  const breather = new Breather();
  for (let i = 0; i < uids.length; i += BATCH) {
    const batch = descending
      ? uids.slice(Math.max(0, uids.length - i - BATCH), uids.length - i)
      : uids.slice(i, i + BATCH);
    const rows = await fetchRows(read, mailboxId, batch, rowOptions);
    if (descending) rows.reverse();
    for (const row of rows) {
      await breather.breathe();
      const seq = mailbox.seqOf(row.uid);
      if (seq === 0 || mailbox.isExpungedPending(row.uid)) continue;
      let raw = row.head;
      if (needs.raw === "full") {
        raw = rowOptions.data ? row.data : await fetchContentBytes(read, row.contentId);
        // Expunged (and its content deleted) since the row was read: nothing left to send.
        if (!raw) continue;
      }
      await writer.untagged(
        renderFetch(items, { seq, row, raw, addFlags: seenSet.has(row.uid), uidOnly: session.uidOnly }),
      );
    }
  }
  await writer.flush();
  return withLimitCode(session, limited.code, `${uid ? "UID FETCH" : "FETCH"} completed`);
}
