/**
 * SELECT and EXAMINE (RFC 3501 §6.3.1-2) with the CONDSTORE and QRESYNC parameters (RFC 7162 §3.1.8,
 * §3.2.5). Reads one index-only snapshot of the mailbox: no per-message work, whatever its size.
 */
import { flagNames, mailboxChangesSince, mailboxSnapshot, parseKeywords } from "../../store/mod.ts";
import { ImapBad, ImapNo } from "../errors.ts";
import type { Parser } from "../protocol/parser.ts";
import { type SequenceSet, sequenceFormat, sequenceGaps, sequenceSelect } from "../protocol/sequence.ts";
import { SelectedMailbox } from "../selected.ts";
import type { AuthenticatedCommand } from "./handler.ts";

export const MAILBOX_FLAGS =
  "\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $MDNSent $Junk $NotJunk $Phishing";
export const PERMANENT_FLAGS = "\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*";

interface QresyncParams {
  uidValidity: number;
  modseq: number;
  knownUids: SequenceSet | undefined;
}

function selectParams(parser: Parser): { condstore: boolean; qresync: QresyncParams | undefined } {
  let condstore = false;
  let qresync: QresyncParams | undefined;
  if (!parser.take(" ")) return { condstore, qresync };
  parser.list(() => {
    const name = parser.atom().toUpperCase();
    if (name === "CONDSTORE") {
      condstore = true;
    } else if (name === "QRESYNC") {
      parser.sp();
      parser.expect("(");
      const uidValidity = parser.nzNumber();
      parser.sp();
      const modseq = parser.modSequence();
      let knownUids: SequenceSet | undefined;
      if (parser.take(" ")) {
        if (!parser.peek("(")) knownUids = parser.sequenceSet();
        // The optional sequence-match data only helps servers without a full expunge history; we have one.
        if (parser.take(" ") || parser.peek("(")) parser.list(() => parser.sequenceSet());
      }
      parser.expect(")");
      qresync = { uidValidity, modseq, knownUids };
    } else {
      throw new ImapBad(undefined, `Unknown SELECT parameter ${name}`);
    }
    return name;
  });
  return { condstore, qresync };
}

async function open(command: AuthenticatedCommand, readOnly: boolean): Promise<string> {
  const { ctx, state, session, parser } = command;
  parser.sp();
  const name = parser.mailbox();
  const params = selectParams(parser);
  parser.end();
  if (params.qresync && !session.qresync)
    throw new ImapBad(undefined, "QRESYNC must be enabled first (RFC 7162 §3.2.3)");
  if (params.condstore) session.enabled.add("CONDSTORE");

  const { account } = state;
  // RFC 3501 §6.3.1: a SELECT first deselects; with QRESYNC the client is told so (RFC 7162 §3.2.11).
  if (state.kind === "selected") {
    session.deselect();
    if (session.qresync) session.untagged(["OK [CLOSED] Previous mailbox closed"]);
  }

  const snapshot = await mailboxSnapshot(ctx.store.read, account.id, name, ctx.store.uidCache);
  if (!snapshot) throw new ImapNo("NONEXISTENT", `Mailbox ${name} does not exist`);
  const selected = new SelectedMailbox(
    {
      id: snapshot.id,
      accountId: account.id,
      name: snapshot.name,
      uidValidity: snapshot.uidValidity,
      readOnly,
    },
    [],
  );
  session.select(account, selected);
  selected.load(snapshot.uids);

  const uids = snapshot.uids;
  session.untagged([`FLAGS (${MAILBOX_FLAGS})`]);
  session.untagged([`OK [PERMANENTFLAGS (${readOnly ? "" : PERMANENT_FLAGS})] Flags permitted`]);
  session.untagged([`${uids.length} EXISTS`]);
  session.untagged(["0 RECENT"]);
  if (snapshot.firstUnseenUid !== null) {
    const seq = selected.seqOf(snapshot.firstUnseenUid);
    if (seq > 0) session.untagged([`OK [UNSEEN ${seq}] First unseen message`]);
  }
  session.untagged([`OK [UIDVALIDITY ${snapshot.uidValidity}] UIDs valid`]);
  session.untagged([`OK [UIDNEXT ${snapshot.uidNext}] Predicted next UID`]);
  session.untagged([`OK [HIGHESTMODSEQ ${snapshot.highestModseq}] Highest`]);

  if (params.qresync && params.qresync.uidValidity === snapshot.uidValidity) {
    // RFC 7162 §3.2.5.2: what changed since the client's MODSEQ, limited to the UIDs it knows.
    const since = await mailboxChangesSince(ctx.store.read, snapshot.id, params.qresync.modseq);
    const known = params.qresync.knownUids;
    if (since.historyLost) {
      // RFC 7162 §3.2.5.2: removals that old are forgotten; every UID below UIDNEXT that is not in the
      // mailbox (of those the client knows) is reported instead: a superset the client can apply.
      const star = Math.max(snapshot.uidNext - 1, 1);
      const gone = sequenceGaps(uids, snapshot.uidNext - 1, known ? { set: known, star } : undefined);
      if (gone !== "") session.untagged([`VANISHED (EARLIER) ${gone}`]);
    } else {
      const vanished = known ? sequenceSelect(known, since.vanished) : since.vanished;
      if (vanished.length > 0) session.untagged([`VANISHED (EARLIER) ${sequenceFormat(vanished)}`]);
    }
    for (const m of since.changed) {
      const seq = selected.seqOf(m.uid);
      if (seq === 0) continue;
      if (known && !sequenceSelect(known, [m.uid]).length) continue;
      session.untagged([
        `${seq} FETCH (UID ${m.uid} FLAGS (${flagNames(m.flags, parseKeywords(m.keywords)).join(" ")}) MODSEQ (${m.modseq}))`,
      ]);
    }
  }
  return `[${readOnly ? "READ-ONLY" : "READ-WRITE"}] ${readOnly ? "EXAMINE" : "SELECT"} completed`;
}

export const select = (command: AuthenticatedCommand) => open(command, false);
export const examine = (command: AuthenticatedCommand) => open(command, true);
