/**
 * THREAD and UID THREAD (RFC 5256 §4) with the REFERENCES and ORDEREDSUBJECT algorithms
 * (thread/references.ts, thread/ordered-subject.ts). The rows come from the keys stored at delivery
 * (store/sort-rows.ts): base subject, sent date, Message-ID and references; no message is read.
 */
import { messagesThreadRows } from "../../store/mod.ts";
import { threadCommand } from "../search/sort-parse.ts";
import { threadOrderedSubject } from "../thread/ordered-subject.ts";
import { threadReferences } from "../thread/references.ts";
import { formatThreads, type ThreadMessage } from "../thread/tree.ts";
import type { SelectedCommand } from "./handler.ts";
import { searchProgramChecks, searchScan, sortCharsetCheck } from "./search.ts";

export async function thread({ ctx, state, session, parser, uid }: SelectedCommand): Promise<string> {
  const c = threadCommand(parser, { rev2: session.rev2 });
  sortCharsetCheck(session, c.charset);
  const { mailbox } = state;
  searchProgramChecks(session, c.key);
  await ctx.store.sortKeysReady();
  const name = uid ? "UID THREAD" : "THREAD";
  const known = mailbox.uids;
  if (known.length === 0) {
    session.untagged(["THREAD"]);
    return `${name} completed`;
  }
  const [rows, matched] = await Promise.all([
    messagesThreadRows(ctx.store.read, mailbox.info.id, known[known.length - 1]!),
    c.key.kind === "all"
      ? undefined
      : searchScan(ctx, mailbox, c.key).then((f) => new Set(f.map((m) => m.uid))),
  ]);
  const messages: ThreadMessage[] = [];
  for (const row of rows) {
    if (matched && !matched.has(row.uid)) continue;
    // Only what this session knows of (RFC 3501 §7.4.1).
    const seq = mailbox.seqOf(row.uid);
    if (seq === 0 || mailbox.isExpungedPending(row.uid)) continue;
    messages.push({ ...row, n: uid ? row.uid : seq });
  }
  const trees = c.algorithm === "REFERENCES" ? threadReferences(messages) : threadOrderedSubject(messages);
  // RFC 5256 §4: `* THREAD` followed by the thread lists, none when nothing matched.
  const text = formatThreads(trees);
  session.untagged([text === "" ? "THREAD" : `THREAD ${text}`]);
  return `${name} completed`;
}
