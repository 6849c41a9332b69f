/**
 * LIST (RFC 3501 §6.3.8; LIST-EXTENDED RFC 5258, CHILDREN RFC 3348, SPECIAL-USE RFC 6154, LIST-STATUS
 * RFC 5819) and LSUB (RFC 3501 §6.3.9). Reads the account's mailbox rows once, decides in
 * list-select.ts, writes with backpressure. The delimiter is always "/" and names go out in modified
 * UTF-7. Patterns are bounded (list-pattern.ts) and the work pauses for the event loop every few
 * milliseconds (breather.ts): an account's mailboxes are many items.
 */
import { mailboxCountsByIds, mailboxList } from "../../../store/mod.ts";
import { Breather } from "../../breather.ts";
import { mailboxName, type Piece, str } from "../../protocol/encode.ts";
import type { AuthenticatedCommand, CommandSession } from "../handler.ts";
import { listArgs, lsubArgs } from "./list-args.ts";
import { listPatternsCheck } from "./list-pattern.ts";
import { type ListEntry, listEntries, lsubEntries } from "./list-select.ts";
import { countsWanted, statusResponse } from "./status-items.ts";

async function send(session: CommandSession, pieces: Piece[]): Promise<void> {
  if (!session.untagged(pieces)) await session.drain();
}

function listLine(command: "LIST" | "LSUB", entry: ListEntry, utf8: boolean): Piece[] {
  const line: Piece[] = [`${command} (${entry.attributes.join(" ")}) "/" `, mailboxName(entry.name, utf8)];
  // RFC 5258 §3.5: mbox-list-extended with the CHILDINFO item.
  if (entry.childInfo.length > 0)
    line.push(` ("CHILDINFO" (${entry.childInfo.map((c) => `"${c}"`).join(" ")}))`);
  return line;
}

/** The entries a selection yields, pausing for the event loop between names as the work goes on. */
async function collect(selection: Iterable<ListEntry | undefined>, breather: Breather): Promise<ListEntry[]> {
  const entries: ListEntry[] = [];
  for (const entry of selection) {
    if (entry) entries.push(entry);
    await breather.breathe();
  }
  return entries;
}

export async function list({ ctx, state, session, parser }: AuthenticatedCommand): Promise<string> {
  const { account } = state;
  const args = listArgs(parser);
  // RFC 9051 §6.3.9: LIST-EXTENDED is part of IMAP4rev2, so a rev2 session always gets its answers
  // (\NonExistent for levels of hierarchy that are no mailbox).
  if (session.rev2) args.extended = true;
  // RFC 3501 §6.3.8: an empty pattern asks for the delimiter and the root; we have one flat root.
  if (args.patterns.length === 1 && args.patterns[0] === "") {
    session.untagged(['LIST (\\Noselect) "/" ', str("")]);
    return "LIST completed";
  }
  listPatternsCheck(args.reference, args.patterns);
  const breather = new Breather();
  const rows = await mailboxList(ctx.store.read, account.id);
  const entries = await collect(listEntries(rows, args), breather);
  const items = args.returns.status;
  if (!items) {
    for (const entry of entries) {
      await send(session, listLine("LIST", entry, session.utf8));
      await breather.breathe();
    }
    return "LIST completed";
  }
  // RFC 7162 §3.1: asking for HIGHESTMODSEQ enables CONDSTORE, here as in STATUS.
  if (items.includes("HIGHESTMODSEQ")) session.enabled.add("CONDSTORE");
  const ids = entries.flatMap((e) => (e.mailbox ? [e.mailbox.id] : []));
  const counts = await mailboxCountsByIds(ctx.store.read, account.id, ids, countsWanted(items));
  for (const entry of entries) {
    await send(session, listLine("LIST", entry, session.utf8));
    // RFC 5819 §2: a STATUS after the LIST line of every selectable mailbox (none for \NonExistent).
    const c = entry.mailbox && counts.get(entry.mailbox.id);
    if (c)
      await send(session, statusResponse(c, items, { utf8: session.utf8, appendLimit: ctx.maxMessageSize }));
    await breather.breathe();
  }
  return "LIST completed";
}

export async function lsub({ ctx, state, session, parser }: AuthenticatedCommand): Promise<string> {
  const { account } = state;
  const args = lsubArgs(parser);
  if (args.pattern === "") {
    session.untagged(['LSUB (\\Noselect) "/" ', str("")]);
    return "LSUB completed";
  }
  listPatternsCheck(args.reference, [args.pattern]);
  const breather = new Breather();
  const rows = await mailboxList(ctx.store.read, account.id);
  for (const entry of lsubEntries(rows, args)) {
    if (entry) await send(session, listLine("LSUB", entry, session.utf8));
    await breather.breathe();
  }
  return "LSUB completed";
}
