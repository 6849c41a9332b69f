/**
 * The one ingest path: SMTP delivery, IMAP APPEND, REST import, mbox import and bounces all store
 * mail through messageIngest() (STYLE.md: one ingest path for every source of mail).
 */
import type { ParsedMessage } from "../mime/mod.ts";
import { contentCreate } from "./contents.ts";
import type { Write } from "./db.ts";
import { mailboxTakeUids } from "./mailbox-counters.ts";
import { mailboxKeywordsAdd } from "./mailbox-keywords.ts";
import type { Message } from "./message-read.ts";
import { type QueueInput, queueAdd } from "./queue.ts";
import { storageFullError } from "./space.ts";
import { threadIdFor } from "./thread-ids.ts";
import { accountQuotaCheck, accountUsageAdjust } from "./usage.ts";

export interface IngestTarget {
  accountId: number;
  /** The mailbox, by id or (for deliveries, saving a lookup) by name within the account. */
  mailboxId?: number;
  mailboxName?: string;
  flags?: number;
  keywords?: string[];
}

export interface IngestInput {
  raw: Uint8Array;
  parsed: ParsedMessage;
  internalDate?: number;
  targets: IngestTarget[];
  /** Refuse (StoreError "over_quota") when a target's account would go over quota: every ingest path but bounces. */
  enforceQuota?: boolean;
  /** Remote recipients: queued for delivery in the same transaction, sharing the stored content. */
  queue?: QueueInput;
}

/**
 * Stores the content once and adds a message for each target. Raw statements throughout, as this
 * runs for every delivered message: per target one UPDATE that takes the UID and MODSEQ (and finds
 * the mailbox by name), one INSERT, one counter update.
 */
export async function messageIngest(w: Write, input: IngestInput): Promise<Message[]> {
  // The disk reserve was given back: its room is for deletions (store/space.ts), not for new mail.
  if (w.lowSpace) throw storageFullError();
  const size = input.raw.byteLength;
  if (input.enforceQuota) {
    for (const accountId of new Set(input.targets.map((t) => t.accountId))) {
      await accountQuotaCheck(w, accountId, size);
    }
  }
  const contentId = await contentCreate(w, input.raw, input.parsed);
  if (input.queue && input.queue.recipients.length > 0) await queueAdd(w, contentId, input.queue);
  const now = Date.now();
  const internalDate = input.internalDate ?? now;
  const added: Message[] = [];
  for (const target of input.targets) {
    const {
      mailboxId,
      firstUid: uid,
      modseq,
    } = await mailboxTakeUids(
      w,
      target.mailboxId === undefined
        ? { accountId: target.accountId, name: target.mailboxName ?? "INBOX" }
        : { accountId: target.accountId, id: target.mailboxId },
      1,
    );
    const keywords = target.keywords ?? [];
    const flags = target.flags ?? 0;
    await mailboxKeywordsAdd(w, mailboxId, keywords);
    const threadId = await threadIdFor(w, target.accountId, input.parsed.sortKeys, contentId);
    const inserted = await w.exec({
      // RFC 8514 §3: the save date is now, whatever internal date the message brings.
      sql: `INSERT INTO messages (account_id, mailbox_id, uid, modseq, content_id, flags, keywords, internal_date, size, save_date, thread_id, sort_date)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      args: [
        target.accountId,
        mailboxId,
        uid,
        modseq,
        contentId,
        flags,
        JSON.stringify(keywords),
        internalDate,
        size,
        now,
        threadId,
        // RFC 5256 §2.2: the sent date, else the internal date.
        input.parsed.date ?? internalDate,
      ],
    });
    await accountUsageAdjust(w, target.accountId, size);
    const id = Number(inserted.rows[0]!.id);
    added.push({
      id,
      accountId: target.accountId,
      mailboxId,
      uid,
      modseq,
      contentId,
      flags,
      keywords,
      internalDate,
      size,
    });
    w.changed({
      kind: "message-added",
      accountId: target.accountId,
      mailboxId,
      uid,
      modseq,
      // As contentCreate stored them: the subject, from and to columns are these parse results.
      summary: {
        id,
        subject: input.parsed.subject,
        from: input.parsed.from,
        to: input.parsed.to,
        size,
        internalDate,
      },
    });
  }
  return added;
}
