/**
 * LIST (RFC 3501 §6.3.8; LIST-EXTENDED RFC 5258, CHILDREN RFC 3348, SPECIAL-USE RFC 6154, LIST-STATUS
 * RFC 5819) and LSUB (RFC 3501 §6.3.9). Reads the account's mailbox rows once, decides in
 * list-select.ts, writes with backpressure. The delimiter is always "/" and names go out in modified
 * UTF-7.
 */
import { mailboxCountsByIds, mailboxList } from "../../../store/mod.ts";
import { mailboxName, type Piece, str } from "../../protocol/encode.ts";
import type { CommandContext, ImapSession } from "../../session.ts";
import { listArgs, lsubArgs } from "./list-args.ts";
import { type ListEntry, listEntries, lsubEntries } from "./list-select.ts";
import { accountOf } from "./names.ts";
import { countsWanted, statusResponse } from "./status-items.ts";

async function send(session: ImapSession, pieces: Piece[]): Promise<void> {
  if (!session.untagged(pieces)) await session.drain();
}

function listLine(command: "LIST" | "LSUB", entry: ListEntry): Piece[] {
  const line: Piece[] = [`${command} (${entry.attributes.join(" ")}) "/" `, mailboxName(entry.name)];
  // RFC 5258 §3.5: mbox-list-extended with the CHILDINFO item.
  if (entry.childInfo.length > 0)
    line.push(` ("CHILDINFO" (${entry.childInfo.map((c) => `"${c}"`).join(" ")}))`);
  return line;
}

export async function list({ session, parser }: CommandContext): Promise<string> {
  const account = accountOf(session);
  const args = listArgs(parser);
  // RFC 3501 §6.3.8: an empty pattern asks for the delimiter and the root; we have one flat root.
  if (args.patterns.length === 1 && args.patterns[0] === "") {
    session.untagged(['LIST (\\Noselect) "/" ', str("")]);
    return "LIST completed";
  }
  const rows = await mailboxList(session.ctx.store.read, account.id);
  const entries = listEntries(rows, args);
  const items = args.returns.status;
  if (!items) {
    for (const entry of entries) await send(session, listLine("LIST", entry));
    return "LIST completed";
  }
  // RFC 7162 §3.1: asking for HIGHESTMODSEQ enables CONDSTORE, here as in STATUS.
  if (items.includes("HIGHESTMODSEQ")) session.enabled.add("CONDSTORE");
  const ids = entries.flatMap((e) => (e.mailbox ? [e.mailbox.id] : []));
  const counts = await mailboxCountsByIds(session.ctx.store.read, account.id, ids, countsWanted(items));
  for (const entry of entries) {
    await send(session, listLine("LIST", entry));
    // RFC 5819 §2: a STATUS after the LIST line of every selectable mailbox (none for \NonExistent).
    const c = entry.mailbox && counts.get(entry.mailbox.id);
    if (c) await send(session, statusResponse(c, items));
  }
  return "LIST completed";
}

export async function lsub({ session, parser }: CommandContext): Promise<string> {
  const account = accountOf(session);
  const args = lsubArgs(parser);
  if (args.pattern === "") {
    session.untagged(['LSUB (\\Noselect) "/" ', str("")]);
    return "LSUB completed";
  }
  const rows = await mailboxList(session.ctx.store.read, account.id);
  for (const entry of lsubEntries(rows, args)) await send(session, listLine("LSUB", entry));
  return "LSUB completed";
}
