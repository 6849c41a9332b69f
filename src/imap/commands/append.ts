/**
 * APPEND (RFC 3501 §6.3.11) with UIDPLUS's APPENDUID (RFC 4315 §3), several messages at once
 * (MULTIAPPEND, RFC 3502), literal8 (BINARY, RFC 3516 §4.4), CATENATE (RFC 4469) and the UTF8 data
 * item (RFC 6855 §4). Messages arrive as literals (synchronizing or LITERAL+, RFC 7888), already
 * bounded in the command reader (which streamed large ones to spool files rather than memory, and
 * bounds a whole command by the message size limit too); append-data.ts reads, assembles and checks
 * them, and they are stored exactly as sent through the one ingest path every source of mail uses,
 * all in one transaction: every message of a MULTIAPPEND, or none (RFC 3502). An APPEND to the
 * selected mailbox is reported as EXISTS by the session afterwards.
 *
 * The one exception to "exactly as sent": a bare CR or LF (RFC 5322 §2.3 allows them only as CRLF),
 * which would let the stored message show different headers to different readers (issue 9). Under
 * MAILROOM_BARE_NEWLINE=reject (the default) the APPEND is NO, as Cyrus answers ("Message contains
 * bare newlines"); under "normalize" each becomes CRLF before the message is parsed or stored.
 */
import {
  type Mailbox,
  mailboxFind,
  mailboxNameNormalize,
  messageIngest,
  type Write,
} from "../../store/mod.ts";
import { ImapNo } from "../errors.ts";
import { checkSaveLimit } from "../message-limit.ts";
import { appendMessages } from "../protocol/append-args.ts";
import { sequenceFormat } from "../protocol/sequence.ts";
import { checkUtf8Data, type PreparedMessage, prepareMessages } from "./append-data.ts";
import type { AuthenticatedCommand } from "./handler.ts";

/** The target of APPEND (or REPLACE): RFC 3501 §6.3.11, a missing one is NO [TRYCREATE]. */
export async function appendTarget(command: AuthenticatedCommand, name: string): Promise<Mailbox> {
  // An invalid name is NO [CANNOT] (store "invalid"), not TRYCREATE: creating it would fail too.
  const target = await mailboxFind(
    command.ctx.store.read,
    command.state.account.id,
    mailboxNameNormalize(name),
  );
  if (!target) throw new ImapNo("TRYCREATE", `Mailbox ${name} does not exist`);
  return target;
}

/** Stores prepared messages in `target` inside the caller's write; returns their UIDs in order. */
export async function appendStore(
  w: Write,
  target: Mailbox,
  messages: readonly PreparedMessage[],
): Promise<number[]> {
  const uids: number[] = [];
  for (const m of messages) {
    const [added] = await messageIngest(w, {
      raw: m.raw,
      parsed: m.parsed,
      internalDate: m.internalDate,
      targets: [{ accountId: target.accountId, mailboxId: target.id, flags: m.flags, keywords: m.keywords }],
      enforceQuota: true,
    });
    uids.push(added!.uid);
  }
  return uids;
}

export async function append(command: AuthenticatedCommand): Promise<string> {
  const { ctx, parser } = command;
  parser.sp();
  const name = parser.mailbox();
  const messages = appendMessages(parser, { multiple: true });
  // RFC 9738 §3.1: a MULTIAPPEND is all or nothing, so beyond the limit nothing is appended.
  checkSaveLimit(ctx, messages.length, "APPEND");
  checkUtf8Data(command, messages);
  const target = await appendTarget(command, name);
  const { prepared, lease } = await prepareMessages(command, messages);
  try {
    // RFC 3502: one transaction, so a failure (quota, a vanished mailbox) stores none of them.
    const uids = await ctx.store.write((w) => appendStore(w, target, prepared));
    // RFC 3502 "MULTIAPPEND Interaction with UIDPLUS": the UIDs in the order appended.
    return `[APPENDUID ${target.uidValidity} ${sequenceFormat(uids)}] APPEND completed`;
  } finally {
    lease.release();
  }
}
