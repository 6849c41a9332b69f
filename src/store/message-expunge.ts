/**
 * Removing messages for good: EXPUNGE and CLOSE (RFC 3501 §6.4.3, §6.4.2), POP3 UPDATE, REST DELETE
 * and the source side of MOVE. Removed UIDs are recorded with their MODSEQ for QRESYNC's VANISHED
 * (RFC 7162 §3.2.10), and contents no message refers to any more go with them.
 */
import { and, eq, inArray } from "drizzle-orm";
import { IN_LIST_MAX, inChunks } from "./chunks.ts";
import { contentsDeleteOrphans } from "./contents.ts";
import { type Reader, rawOf, type Write } from "./db.ts";
import { DELETED } from "./flags.ts";
import { type MailboxIds, mailboxBumpModseq } from "./mailbox-counters.ts";
import { expunged, messages } from "./schema.ts";
import { accountUsageAdjust } from "./usage.ts";

/** Rows per INSERT into expunged: three values each, so 300 stays under SQLite's old 999-variable limit. */
const EXPUNGED_ROWS_PER_INSERT = 300;

/** Removes messages from a mailbox for good, recording their UIDs for QRESYNC; returns the UIDs removed. */
export async function messagesExpunge(
  w: Write,
  mailbox: MailboxIds,
  uids: readonly number[],
): Promise<number[]> {
  const gone = await inChunks(uids, IN_LIST_MAX, (chunk) =>
    w.tx
      .delete(messages)
      .where(and(eq(messages.mailboxId, mailbox.id), inArray(messages.uid, chunk)))
      .returning({ uid: messages.uid, contentId: messages.contentId, size: messages.size }),
  );
  if (gone.length === 0) return [];
  const modseq = await mailboxBumpModseq(w, mailbox.id);
  await inChunks(gone, EXPUNGED_ROWS_PER_INSERT, async (chunk) => {
    await w.tx
      .insert(expunged)
      .values(chunk.map((g) => ({ mailboxId: mailbox.id, uid: g.uid, modseq })))
      .onConflictDoNothing();
  });
  await accountUsageAdjust(w, mailbox.accountId, -gone.reduce((sum, g) => sum + g.size, 0));
  await contentsDeleteOrphans(w, [...new Set(gone.map((g) => g.contentId))]);
  const removed = gone.map((g) => g.uid).sort((a, b) => a - b);
  w.changed({
    kind: "messages-expunged",
    accountId: mailbox.accountId,
    mailboxId: mailbox.id,
    uids: removed,
    modseq,
  });
  return removed;
}

/** UIDs of the messages flagged \Deleted in a mailbox, ascending (EXPUNGE, RFC 3501 §6.4.3). */
export async function messagesDeletedUids(r: Reader, mailboxId: number): Promise<number[]> {
  const { rows } = await rawOf(r).execute({
    sql: "SELECT uid FROM messages WHERE mailbox_id = ? AND (flags & ?) != 0 ORDER BY uid",
    args: [mailboxId, DELETED],
  });
  return rows.map((row) => Number(row.uid));
}
