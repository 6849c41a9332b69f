/**
 * Flag changes: the one writer of messages' flags and keywords, for IMAP STORE (with CONDSTORE's
 * UNCHANGEDSINCE, RFC 7162 §3.1.3), the \Seen that FETCH BODY[] (RFC 3501 §6.4.5) and POP3 RETR
 * set, and the REST PATCH. Every caller gets the same rules: the keyword cap, a MODSEQ raised once
 * per write, and a flags-changed event per message whose flags really changed.
 */
import { IN_LIST_MAX, inChunks, placeholders } from "./chunks.ts";
import type { Write } from "./db.ts";
import { StoreError } from "./errors.ts";
import { parseKeywords } from "./flags.ts";
import { mailboxBumpModseq } from "./mailbox-counters.ts";
import { lessonOfKeywords, type SpamLesson, spamLearnQueue } from "./spam-learns.ts";

/**
 * Keywords one message may carry. Without a bound, repeated `+FLAGS (kw1 kw2 ...)` (or PATCH
 * addFlags) grows one row's keyword list, and every FETCH of it, without end.
 */
export const MAX_KEYWORDS_PER_MESSAGE = 100;

export type FlagMode = "set" | "add" | "remove";

export interface FlagChange {
  mode: FlagMode;
  flags: number;
  keywords: string[];
}

export interface FlagState {
  uid: number;
  flags: number;
  keywords: string[];
  modseq: number;
}

export interface FlagsUpdateResult {
  /** Messages the change was applied to, in UID order, as they are now; `changed` when this write altered them. */
  stored: Array<FlagState & { changed: boolean }>;
  /** The messages of `stored` this write altered, with their new MODSEQ, in UID order. */
  changed: FlagState[];
  /** Messages left alone because their MODSEQ is above UNCHANGEDSINCE (RFC 7162 §3.1.3), in UID order. */
  modified: FlagState[];
}

interface Current extends FlagState {
  id: number;
  accountId: number;
  contentId: number;
}

/**
 * Changes the flags of messages of one mailbox (UIDs that no longer exist are skipped), leaving
 * alone those modified after `unchangedSince`. The MODSEQ test and the change run in one
 * transaction, so no other writer can slip in between. Refuses (StoreError "invalid") a change that
 * would take a message past MAX_KEYWORDS_PER_MESSAGE, before writing anything.
 */
export async function messagesUpdateFlags(
  w: Write,
  mailboxId: number,
  uids: readonly number[],
  change: FlagChange,
  options: { unchangedSince?: number | undefined } = {},
): Promise<FlagsUpdateResult> {
  // Raw: a BODY[] fetch of 10,000 messages sets \Seen on each; drizzle's building tripled the cost.
  const rows = await inChunks(uids, IN_LIST_MAX, async (chunk) => {
    const { rows } = await w.exec({
      sql: `SELECT id, account_id, content_id, uid, flags, keywords, modseq FROM messages
            WHERE mailbox_id = ? AND uid IN (${placeholders(chunk.length)})`,
      args: [mailboxId, ...chunk],
    });
    return rows;
  });
  const current: Current[] = rows
    .map((r) => ({
      id: Number(r.id),
      accountId: Number(r.account_id),
      contentId: Number(r.content_id),
      uid: Number(r.uid),
      flags: Number(r.flags),
      keywords: parseKeywords(String(r.keywords)),
      modseq: Number(r.modseq),
    }))
    .sort((a, b) => a.uid - b.uid);
  const since = options.unchangedSince;
  // RFC 7162 §3.1.3: UNCHANGEDSINCE 0 fails for every message, as every MODSEQ is at least 1.
  const modified = since === undefined ? [] : current.filter((m) => m.modseq > since).map(flagState);
  const passing = since === undefined ? current : current.filter((m) => m.modseq <= since);
  const after = passing.map((m) => applyChange(m, change));
  for (const [i, m] of passing.entries()) {
    const count = after[i]!.keywords.length;
    // Only growth past the cap is refused: a message already past it (stored before the cap
    // applied to every writer) may still get system flags or lose keywords.
    if (count > MAX_KEYWORDS_PER_MESSAGE && count > m.keywords.length) {
      throw new StoreError("invalid", `a message may carry at most ${MAX_KEYWORDS_PER_MESSAGE} keywords`);
    }
  }
  const stored: FlagsUpdateResult["stored"] = [];
  const changed: FlagState[] = [];
  let modseq: number | undefined;
  const lessons: Array<{ accountId: number; contentId: number; kind: SpamLesson }> = [];
  for (const [i, m] of passing.entries()) {
    const { flags, keywords } = after[i]!;
    if (
      flags === m.flags &&
      keywords.length === m.keywords.length &&
      keywords.every((k) => m.keywords.includes(k))
    ) {
      stored.push({ ...flagState(m), changed: false });
      continue;
    }
    modseq ??= await mailboxBumpModseq(w, mailboxId);
    await w.exec({
      sql: "UPDATE messages SET flags = ?, keywords = ?, modseq = ? WHERE id = ?",
      args: [flags, JSON.stringify(keywords), modseq, m.id],
    });
    const now = { uid: m.uid, flags, keywords, modseq };
    stored.push({ ...now, changed: true });
    changed.push(now);
    w.changed({ kind: "flags-changed", accountId: m.accountId, mailboxId, ...now });
    // $Junk / $NotJunk set by the owner trains the spam filter (spam-learns.ts).
    const kind = w.features.spamLearning ? lessonOfKeywords(m.keywords, keywords) : undefined;
    if (kind) lessons.push({ accountId: m.accountId, contentId: m.contentId, kind });
  }
  for (const l of lessons) await spamLearnQueue(w, l.accountId, [l.contentId], l.kind);
  return { stored, changed, modified };
}

function flagState(m: FlagState): FlagState {
  return { uid: m.uid, flags: m.flags, keywords: m.keywords, modseq: m.modseq };
}

/** RFC 3501 §6.4.6: FLAGS replaces the set, +FLAGS adds to it, -FLAGS removes from it. */
function applyChange(m: FlagState, change: FlagChange): { flags: number; keywords: string[] } {
  if (change.mode === "set") return { flags: change.flags, keywords: [...change.keywords] };
  if (change.mode === "add") {
    return { flags: m.flags | change.flags, keywords: [...new Set([...m.keywords, ...change.keywords])] };
  }
  return { flags: m.flags & ~change.flags, keywords: m.keywords.filter((k) => !change.keywords.includes(k)) };
}
