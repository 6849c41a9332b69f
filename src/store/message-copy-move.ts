/**
 * Copying and moving messages between mailboxes of one account: COPY (RFC 3501 §6.4.7) and MOVE
 * (RFC 6851) with the UID pairs COPYUID reports (RFC 4315 §3), the REST API's move that keeps a
 * message's id, and RENAME INBOX (RFC 3501 §6.3.5) moving everything. A copy shares its source's
 * content; a move gives the message a new UID in the target and records the old one as expunged.
 */
import { and, asc, eq, inArray } from "drizzle-orm";
import { IN_LIST_MAX, inChunks } from "./chunks.ts";
import type { Write } from "./db.ts";
import { StoreError } from "./errors.ts";
import { parseKeywords } from "./flags.ts";
import { type MailboxIds, mailboxBumpModseq, mailboxTakeUids } from "./mailbox-counters.ts";
import { mailboxKeywordsAdd } from "./mailbox-keywords.ts";
import { messagesExpunge } from "./message-expunge.ts";
import { type Message, messageColumns, messageFromRow } from "./message-read.ts";
import { expunged, messages } from "./schema.ts";
import { lessonOfMove, type MailboxKind, spamLearnAfterMove, spamLearnQueue } from "./spam-learns.ts";
import { accountQuotaCheck, accountUsageAdjust } from "./usage.ts";

/** A mailbox as copy and move need it: its ids, and its name and role for the spam lessons. */
type CopyMailbox = MailboxIds & MailboxKind;

/**
 * Copies messages into another mailbox of the same account, sharing their contents; returns pairs of
 * (source UID, new UID) in source UID order (what COPYUID reports, RFC 4315 §3). With `enforceQuota`
 * a copy the account's quota cannot hold is refused (StoreError "over_quota"): COPY adds bytes to
 * the account; MOVE does not, so it copies without the check.
 */
export async function messagesCopy(
  w: Write,
  source: CopyMailbox,
  uids: readonly number[],
  target: CopyMailbox,
  options: { enforceQuota?: boolean } = {},
): Promise<Array<[number, number]>> {
  const selected = await inChunks(uids, IN_LIST_MAX, (chunk) =>
    w.tx
      .select({ ...messageColumns, threadId: messages.threadId, sortDate: messages.sortDate })
      .from(messages)
      .where(and(eq(messages.mailboxId, source.id), inArray(messages.uid, chunk))),
  );
  // RFC 8474 §5.2: a copy stays in its thread (THREADID), as it keeps its content (EMAILID).
  const threadIds = new Map(selected.map((row) => [row.uid, row.threadId]));
  const sortDates = new Map(selected.map((row) => [row.uid, row.sortDate]));
  const rows = selected.map(messageFromRow);
  const bytes = rows.reduce((sum, m) => sum + m.size, 0);
  if (options.enforceQuota) await accountQuotaCheck(w, target.accountId, bytes, rows.length);
  if (rows.length === 0) return [];
  rows.sort((a, b) => a.uid - b.uid);
  await mailboxKeywordsAdd(
    w,
    target.id,
    rows.flatMap((m) => m.keywords),
  );
  const { firstUid, modseq } = await mailboxTakeUids(w, target, rows.length);
  // RFC 8514 §3: a copy (and so a move) gets a new save date; the source keeps its own.
  const saveDate = Date.now();
  const pairs: Array<[number, number]> = [];
  for (const [i, m] of rows.entries()) {
    const uid = firstUid + i;
    await w.tx.insert(messages).values({
      accountId: target.accountId,
      mailboxId: target.id,
      uid,
      modseq,
      contentId: m.contentId,
      flags: m.flags,
      keywords: JSON.stringify(m.keywords),
      internalDate: m.internalDate,
      size: m.size,
      saveDate,
      threadId: threadIds.get(m.uid) ?? null,
      sortDate: sortDates.get(m.uid) ?? m.internalDate,
    });
    pairs.push([m.uid, uid]);
    w.changed({ kind: "message-added", accountId: target.accountId, mailboxId: target.id, uid, modseq });
  }
  await accountUsageAdjust(w, target.accountId, bytes);
  // Filing into Junk, or taking out of it, trains the spam filter (spam-learns.ts).
  const lesson = lessonOfMove(source, target);
  if (lesson)
    await spamLearnQueue(
      w,
      target.accountId,
      rows.map((m) => m.contentId),
      lesson,
    );
  return pairs;
}

/** MOVE (RFC 6851): copy then expunge from the source, in the same transaction. */
export async function messagesMove(
  w: Write,
  source: CopyMailbox,
  uids: readonly number[],
  target: CopyMailbox,
): Promise<Array<[number, number]>> {
  const pairs = await messagesCopy(w, source, uids, target);
  await messagesExpunge(
    w,
    source,
    pairs.map(([from]) => from),
  );
  return pairs;
}

/**
 * Moves one message to another mailbox of its account keeping its id (the REST API's handle on it):
 * a new UID and MODSEQ in the target, the old UID recorded as expunged in the source, as MOVE would.
 */
export async function messageMoveKeepId(w: Write, message: Message, target: CopyMailbox): Promise<Message> {
  if (target.accountId !== message.accountId)
    throw new StoreError("invalid", "a message can only move within its account");
  if (target.id === message.mailboxId) return message;
  await mailboxKeywordsAdd(w, target.id, message.keywords);
  const { firstUid: uid, modseq } = await mailboxTakeUids(w, target, 1);
  const sourceModseq = await mailboxBumpModseq(w, message.mailboxId);
  await w.tx
    .update(messages)
    .set({ mailboxId: target.id, uid, modseq, saveDate: Date.now() })
    .where(eq(messages.id, message.id));
  await w.tx
    .insert(expunged)
    .values({ mailboxId: message.mailboxId, uid: message.uid, modseq: sourceModseq })
    .onConflictDoNothing();
  w.changed({ kind: "message-added", accountId: message.accountId, mailboxId: target.id, uid, modseq });
  w.changed({
    kind: "messages-expunged",
    accountId: message.accountId,
    mailboxId: message.mailboxId,
    uids: [message.uid],
    modseq: sourceModseq,
  });
  await spamLearnAfterMove(w, message.mailboxId, target, [message.contentId]);
  return { ...message, mailboxId: target.id, uid, modseq };
}

/**
 * Moves every message of one mailbox into another, giving them new UIDs there (RENAME INBOX,
 * RFC 3501 §6.3.5). Rows move rather than being copied, so contents and ids stay as they are.
 */
export async function messagesMoveAll(w: Write, source: CopyMailbox, target: CopyMailbox): Promise<void> {
  const rows = await w.tx
    .select({ id: messages.id, uid: messages.uid, keywords: messages.keywords })
    .from(messages)
    .where(eq(messages.mailboxId, source.id))
    .orderBy(asc(messages.uid));
  if (rows.length === 0) return;
  await mailboxKeywordsAdd(
    w,
    target.id,
    rows.flatMap((r) => parseKeywords(r.keywords)),
  );
  const sourceModseq = await mailboxBumpModseq(w, source.id);
  const { firstUid, modseq } = await mailboxTakeUids(w, target, rows.length);
  const saveDate = Date.now();
  for (const [i, row] of rows.entries()) {
    await w.tx
      .update(messages)
      .set({ mailboxId: target.id, uid: firstUid + i, modseq, saveDate })
      .where(eq(messages.id, row.id));
    await w.tx
      .insert(expunged)
      .values({ mailboxId: source.id, uid: row.uid, modseq: sourceModseq })
      .onConflictDoNothing();
    w.changed({
      kind: "message-added",
      accountId: target.accountId,
      mailboxId: target.id,
      uid: firstUid + i,
      modseq,
    });
  }
  w.changed({
    kind: "messages-expunged",
    accountId: source.accountId,
    mailboxId: source.id,
    uids: rows.map((r) => r.uid),
    modseq: sourceModseq,
  });
}
