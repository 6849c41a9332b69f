/**
 * APPEND (RFC 3501 §6.3.11) with UIDPLUS's APPENDUID (RFC 4315 §3). The message arrives as one
 * literal (synchronizing or LITERAL+, RFC 7888), already bounded by the message size limit in the
 * command reader, which streamed a large one to a spool file rather than memory; its bytes are
 * stored exactly as sent through the one ingest path every source of mail uses, read back only
 * when the shared ingest budget has room (MEMORY_LIMITS). An APPEND to the selected mailbox is
 * reported as EXISTS by the session afterwards.
 *
 * The one exception to "exactly as sent": a bare CR or LF (RFC 5322 §2.3 allows them only as CRLF),
 * which would let the stored message show different headers to different readers (issue 9). Under
 * MAILROOM_BARE_NEWLINE=reject (the default) the APPEND is NO, as Cyrus answers ("Message contains
 * bare newlines"); under "normalize" each becomes CRLF before the message is parsed or stored.
 */
import { hasBareNewline, normalizeNewlines, parseMessage } from "../../mime/mod.ts";
import { MEMORY_LIMITS } from "../../security/limits.ts";
import { defaultMemoryBudgets, ingestCost } from "../../security/memory-budget.ts";
import { mailboxFind, mailboxNameNormalize, messageIngest, Spool } from "../../store/mod.ts";
import { ImapNo } from "../errors.ts";
import type { AuthenticatedCommand } from "./handler.ts";
import { flagsFromList } from "./store.ts";

export async function append({ ctx, state, parser }: AuthenticatedCommand): Promise<string> {
  parser.sp();
  const name = parser.mailbox();
  parser.sp();
  let flagList: string[] = [];
  if (parser.peek("(")) {
    flagList = parser.flagList();
    parser.sp();
  }
  let internalDate: number | undefined;
  if (parser.peek('"')) {
    internalDate = parser.dateTime();
    parser.sp();
  }
  const literal = parser.messageLiteral();
  parser.end();
  const { flags, keywords } = flagsFromList(flagList);

  const { account } = state;
  // In memory, or (a large one) in the spool file the reader streamed it to.
  const bytes = Buffer.isBuffer(literal) ? literal : undefined;
  const spool = bytes ? undefined : spooled(literal);
  // A spool that could not be written (a full disk): NO [OVERQUOTA] (fromStoreError), nothing stored.
  if (spool?.error) throw spool.error;
  const size = bytes?.length ?? spool!.size;
  if (size === 0) throw new ImapNo(undefined, "An empty message cannot be appended");
  if (size > ctx.maxMessageSize) throw new ImapNo("TOOBIG", "Message too large");
  const { store } = ctx;
  // An invalid name is NO [CANNOT] (store "invalid"), not TRYCREATE: creating it would fail too.
  const target = await mailboxFind(store.read, account.id, mailboxNameNormalize(name));
  // RFC 3501 §6.3.11: a missing target is NO [TRYCREATE], so the client may CREATE and retry.
  if (!target) throw new ImapNo("TRYCREATE", `Mailbox ${name} does not exist`);

  const budget = (ctx.memory ?? defaultMemoryBudgets()).ingest;
  const lease = await budget.reserve(ingestCost(size), MEMORY_LIMITS.ingestWaitMs);
  // RFC 5530 LIMIT: a server limit, here on memory for messages in transit; the client retries.
  if (!lease) throw new ImapNo("LIMIT", "Too much data in transit on the server, try again later");
  try {
    const received = bytes ?? (await spool!.read());
    const raw = ctx.bareNewline === "normalize" ? normalizeNewlines(received) : received;
    // RFC 3501 §6.3.11: NO when the message cannot be appended; the command itself was well formed.
    if (hasBareNewline(raw))
      throw new ImapNo(undefined, "Message contains bare newlines (CR or LF outside CRLF)");
    if (raw.length > ctx.maxMessageSize) throw new ImapNo("TOOBIG", "Message too large");
    const parsed = parseMessage(raw);
    const [added] = await store.write((w) =>
      messageIngest(w, {
        raw,
        parsed,
        internalDate,
        targets: [{ accountId: account.id, mailboxId: target.id, flags, keywords }],
        enforceQuota: true,
      }),
    );
    return `[APPENDUID ${target.uidValidity} ${added!.uid}] APPEND completed`;
  } finally {
    lease.release();
  }
}

/** The session streams large literals to spool files (literal-policy.ts, admitLiteral); nothing else. */
function spooled(sink: unknown): Spool {
  if (!(sink instanceof Spool)) throw new Error("APPEND literal in an unknown sink");
  return sink;
}
