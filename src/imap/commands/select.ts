/**
 * SELECT and EXAMINE (RFC 3501 §6.3.1-2) with the CONDSTORE and QRESYNC parameters (RFC 7162 §3.1.8,
 * §3.2.5). Reads one index-only snapshot of the mailbox: no per-message work, whatever its size.
 */
import {
  flagNames,
  mailboxChangesSince,
  mailboxList,
  mailboxSnapshot,
  parseKeywords,
} from "../../store/mod.ts";
import type { ImapContext } from "../context.ts";
import { ImapBad, ImapNo } from "../errors.ts";
import { mailboxName, type Piece } from "../protocol/encode.ts";
import type { Parser } from "../protocol/parser.ts";
import { type SequenceSet, sequenceFormat, sequenceGaps, sequenceSelect } from "../protocol/sequence.ts";
import { SelectedMailbox } from "../selected.ts";
import { fetchHead } from "../uid-only.ts";
import type { AuthenticatedCommand } from "./handler.ts";
import { listEntries } from "./mailbox/list-select.ts";

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
  // RFC 3501 §6.3.1: a SELECT first deselects; with QRESYNC the client is told so (RFC 7162 §3.2.11),
  // and in IMAP4rev2 always (RFC 9051 §6.3.2, Appendix E item 9).
  if (state.kind === "selected") {
    session.deselect();
    if (session.qresync || session.rev2) session.untagged(["OK [CLOSED] Previous mailbox closed"]);
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
  // RFC 9051 §6.3.2 and Appendix E items 10-12: an IMAP4rev2 session gets the mailbox's LIST
  // response instead of RECENT and the UNSEEN response code, which IMAP4rev2 removed.
  if (session.rev2) session.untagged(await selectedListLine(ctx, account.id, snapshot.name));
  else session.untagged(["0 RECENT"]);
  // RFC 9586: UNSEEN is a message number, which a UIDONLY session never gets.
  if (snapshot.firstUnseenUid !== null && !session.rev2 && !session.uidOnly) {
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
      const flags = `FLAGS (${flagNames(m.flags, parseKeywords(m.keywords)).join(" ")}) MODSEQ (${m.modseq})`;
      session.untagged([
        `${fetchHead(seq, m.uid, session.uidOnly)} (${session.uidOnly ? "" : `UID ${m.uid} `}${flags})`,
      ]);
    }
  }
  return `[${readOnly ? "READ-ONLY" : "READ-WRITE"}] ${readOnly ? "EXAMINE" : "SELECT"} completed`;
}

/** RFC 9051 §6.3.2: "* LIST (attributes) "/" name", the attributes as LIST itself reports them. */
async function selectedListLine(ctx: ImapContext, accountId: number, name: string): Promise<Piece[]> {
  const rows = await mailboxList(ctx.store.read, accountId);
  const [entry] = [
    ...listEntries(rows, {
      extended: true,
      reference: "",
      patterns: [name],
      select: { subscribed: false, recursiveMatch: false, specialUse: false },
      returns: { subscribed: false, children: false, specialUse: false, status: undefined },
    }),
  ].filter((e) => e !== undefined);
  const attributes = entry?.attributes.join(" ") ?? "";
  return [`LIST (${attributes}) "/" `, mailboxName(name, true)];
}

export const select = (command: AuthenticatedCommand) => open(command, false);
export const examine = (command: AuthenticatedCommand) => open(command, true);
