/**
 * COPY / UID COPY (RFC 3501 §6.4.7) and MOVE / UID MOVE (RFC 6851), both answering with UIDPLUS's
 * COPYUID (RFC 4315 §3). Source and target are looked up inside the write that copies, so a mailbox
 * deleted meanwhile fails cleanly. MOVE's EXPUNGE (or VANISHED) responses are not written here: the
 * store publishes the removal and the session reports it after the handler, after our COPYUID.
 */
import {
  type Mailbox,
  mailboxById,
  mailboxFind,
  mailboxNameNormalize,
  messagesCopy,
  messagesMove,
  type Write,
} from "../../store/mod.ts";
import { ImapBad, ImapNo } from "../errors.ts";
import { checkSaveLimit, limitUids, withLimitCode } from "../message-limit.ts";
import { type SequenceSet, sequenceFormat } from "../protocol/sequence.ts";
import type { SelectedMailbox } from "../selected.ts";
import type { SelectedCommand } from "./handler.ts";

interface Request {
  mailbox: SelectedMailbox;
  set: SequenceSet;
  target: string;
}

function request({ state, parser }: SelectedCommand): Request {
  parser.sp();
  const set = parser.sequenceSet();
  if (set.saved) throw new ImapBad(undefined, "$ (SEARCHRES) is not supported");
  parser.sp();
  const target = parser.mailbox();
  parser.end();
  // An invalid name is NO [CANNOT] (store "invalid"), not TRYCREATE: creating it would fail too.
  return { mailbox: state.mailbox, set, target: mailboxNameNormalize(target) };
}

async function mailboxes(w: Write, req: Request): Promise<{ source: Mailbox; target: Mailbox }> {
  const source = await mailboxById(w.tx, req.mailbox.info.id);
  if (!source) throw new ImapNo("NONEXISTENT", "The selected mailbox no longer exists");
  const target = await mailboxFind(w.tx, req.mailbox.info.accountId, req.target);
  // RFC 3501 §6.4.7: a missing target is NO [TRYCREATE], so the client may CREATE and retry.
  if (!target) throw new ImapNo("TRYCREATE", `Mailbox ${req.target} does not exist`);
  return { source, target };
}

/** RFC 4315 §3: the source UIDs and the new UIDs, each as a set, in matching order. */
function copyUid(uidValidity: number, pairs: Array<[number, number]>): string {
  const from = sequenceFormat(pairs.map(([s]) => s));
  const to = sequenceFormat(pairs.map(([, t]) => t));
  return `[COPYUID ${uidValidity} ${from} ${to}]`;
}

export async function copy(command: SelectedCommand): Promise<string> {
  const req = request(command);
  const uids = req.mailbox.resolve(req.set, command.uid);
  // RFC 9738 §3.1: COPY is all or nothing, so beyond the limit nothing is copied.
  checkSaveLimit(command.ctx, uids.length, command.uid ? "UID COPY" : "COPY");
  const { pairs, target } = await command.ctx.store.write(async (w) => {
    const { source, target } = await mailboxes(w, req);
    return { pairs: await messagesCopy(w, source, uids, target, { enforceQuota: true }), target };
  });
  const name = command.uid ? "UID COPY" : "COPY";
  // RFC 4315 §3: no COPYUID when nothing was copied (e.g. UID COPY of UIDs that are gone).
  if (pairs.length === 0) return `${name} completed`;
  return `${copyUid(target.uidValidity, pairs)} ${name} completed`;
}

export async function move(command: SelectedCommand): Promise<string> {
  const req = request(command);
  const { ctx, session } = command;
  if (req.mailbox.info.readOnly) throw new ImapNo("READ-ONLY", "Mailbox is read-only");
  // RFC 9738 §3.1: MOVE need not be atomic; beyond MESSAGELIMIT the highest UIDs move, the rest stay.
  const limited = limitUids(ctx, req.mailbox.resolve(req.set, command.uid));
  const uids = limited.code ? [...limited.uids].reverse() : limited.uids;
  const { pairs, target, highestModseq } = await ctx.store.write(async (w) => {
    const { source, target } = await mailboxes(w, req);
    const pairs = await messagesMove(w, source, uids, target);
    return { pairs, target, highestModseq: (await mailboxById(w.tx, source.id))?.highestModseq };
  });
  // RFC 6851 §4.3: COPYUID goes in an untagged OK before the EXPUNGE responses, which the session
  // sends after this handler returns.
  if (pairs.length > 0) session.untagged([`OK ${copyUid(target.uidValidity, pairs)} Moved`]);
  const name = command.uid ? "UID MOVE" : "MOVE";
  // RFC 7162 (QRESYNC): the new HIGHESTMODSEQ with the tagged OK, as after EXPUNGE.
  const text =
    session.qresync && highestModseq !== undefined
      ? `[HIGHESTMODSEQ ${highestModseq}] ${name} completed`
      : `${name} completed`;
  return withLimitCode(session, limited.code, text);
}
