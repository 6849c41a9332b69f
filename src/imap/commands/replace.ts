/**
 * REPLACE and UID REPLACE (RFC 8508): a message of the selected mailbox is replaced by a new one,
 * APPENDed (with everything APPEND takes: literal8, CATENATE, UTF8) to the named mailbox, in one
 * transaction that removes the old message first, so the quota sees only the net change (§3.4) and
 * a failure leaves both mailboxes as they were. APPENDUID goes out in an untagged OK before the
 * EXPUNGE (or VANISHED) that the session reports after the handler (§4.3); nothing of the implied
 * STORE \Deleted is ever reported (§1). Only in the selected state (§3.5).
 */
import { mailboxById, messagesExpunge } from "../../store/mod.ts";
import { ImapBad, ImapNo } from "../errors.ts";
import { appendMessage } from "../protocol/append-args.ts";
import { appendStore, appendTarget } from "./append.ts";
import { checkUtf8Data, prepareMessages } from "./append-data.ts";
import type { SelectedCommand } from "./handler.ts";

export async function replace(command: SelectedCommand): Promise<string> {
  const { ctx, state, session, parser, uid } = command;
  parser.sp();
  const id = parser.nzNumber();
  parser.sp();
  const name = parser.mailbox();
  // RFC 8508 §4.7: one message; MULTIAPPEND does not extend REPLACE.
  const message = appendMessage(parser);
  parser.end();
  const { mailbox } = state;
  // RFC 9051 §6.4.5 (as for FETCH): a sequence number beyond EXISTS is a client error.
  if (!uid && id > mailbox.exists)
    throw new ImapBad(undefined, "Invalid sequence number: beyond the messages in the mailbox");
  const oldUid = uid ? id : mailbox.uidOf(id)!;
  if (mailbox.seqOf(oldUid) === 0 || mailbox.isExpungedPending(oldUid))
    throw new ImapNo("NONEXISTENT", "No such message to replace");
  // The old message is expunged: the selected mailbox must be writable (RFC 3501 §6.4.3).
  if (mailbox.info.readOnly) throw new ImapNo("READ-ONLY", "Mailbox is read-only");
  checkUtf8Data(command, [message]);
  const target = await appendTarget(command, name);
  // Every byte is read (URLs may name the message being replaced) before it goes.
  const { prepared, lease } = await prepareMessages(command, [message]);
  try {
    const { newUid, highestModseq } = await ctx.store.write(async (w) => {
      const source = { id: mailbox.info.id, accountId: mailbox.info.accountId };
      const removed = await messagesExpunge(w, source, [oldUid]);
      if (removed.length === 0)
        throw new ImapNo("NONEXISTENT", "The message to replace was expunged meanwhile");
      const [newUid] = await appendStore(w, target, prepared);
      return { newUid: newUid!, highestModseq: (await mailboxById(w.tx, mailbox.info.id))?.highestModseq };
    });
    session.untagged([`OK [APPENDUID ${target.uidValidity} ${newUid}] Replacement message ready`]);
    const done = uid ? "UID REPLACE completed" : "REPLACE completed";
    // RFC 8508 §4.5: as after UID EXPUNGE, the new HIGHESTMODSEQ with QRESYNC (expunge.ts).
    return session.qresync && highestModseq !== undefined ? `[HIGHESTMODSEQ ${highestModseq}] ${done}` : done;
  } finally {
    lease.release();
  }
}
