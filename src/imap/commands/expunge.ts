/**
 * EXPUNGE (RFC 3501 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1): removes the \Deleted messages, all of
 * them or those in a UID set. The \Deleted lookup and the removal share one transaction, so a flag
 * cleared meanwhile by another session is honoured. The EXPUNGE (or VANISHED) responses are not
 * written here: the store publishes the removal and the session reports it after the handler.
 */
import { mailboxById, messagesDeletedUids, messagesExpunge } from "../../store/mod.ts";
import { ImapBad, ImapNo } from "../errors.ts";
import { limitUids, withLimitCode } from "../message-limit.ts";
import { type SequenceSet, sequenceContains } from "../protocol/sequence.ts";
import type { SelectedCommand } from "./handler.ts";

export async function expunge({ ctx, state, session, parser, uid }: SelectedCommand): Promise<string> {
  let set: SequenceSet | undefined;
  if (uid) {
    parser.sp();
    set = parser.sequenceSet();
    if (set.saved) throw new ImapBad(undefined, "$ (SEARCHRES) is not supported");
  }
  parser.end();
  const { mailbox } = state;
  if (mailbox.info.readOnly) throw new ImapNo("READ-ONLY", "Mailbox is read-only");
  const { id, accountId } = mailbox.info;
  // "*" in a UID set is the highest UID the client knows of (RFC 3501 §6.4.8).
  const maxUid = mailbox.uids[mailbox.uids.length - 1] ?? 0;
  let limitCode: string | undefined;
  const highestModseq = await ctx.store.write(async (w) => {
    let uids = await messagesDeletedUids(w.tx, id);
    if (set) {
      // RFC 9738 §3.1: UID EXPUNGE counts the \Deleted messages of its set; plain EXPUNGE is never limited.
      const limited = limitUids(
        ctx,
        uids.filter((u) => sequenceContains(set, u, maxUid)),
      );
      uids = limited.uids;
      limitCode = limited.code;
    }
    await messagesExpunge(w, { id, accountId }, uids);
    return (await mailboxById(w.tx, id))?.highestModseq;
  });
  const name = uid ? "UID EXPUNGE" : "EXPUNGE";
  // RFC 7162 (QRESYNC): VANISHED carries no MODSEQ, so the new HIGHESTMODSEQ comes with the tagged OK
  // and the client need not ask for it; Dovecot and Mox answer the same way.
  const text =
    session.qresync && highestModseq !== undefined
      ? `[HIGHESTMODSEQ ${highestModseq}] ${name} completed`
      : `${name} completed`;
  return withLimitCode(session, limitCode, text);
}
