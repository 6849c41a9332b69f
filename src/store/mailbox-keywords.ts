/**
 * A mailbox's keyword set (mailboxes.keywords): every keyword ever set on one of its messages, in
 * the order first used. IMAP lists it in FLAGS and PERMANENTFLAGS at SELECT (RFC 3501 §7.2.6), so a
 * client knows a keyword before any FETCH shows it. Grown by every writer that can bring a keyword
 * into a mailbox (flag changes, ingest, copy and move), in the same transaction; never shrunk, as
 * FLAGS may name keywords no message carries any more.
 */
import type { Write } from "./db.ts";
import { StoreError } from "./errors.ts";
import { parseKeywords } from "./flags.ts";

/**
 * Distinct keywords one mailbox may know. Each is listed in the FLAGS line every session of the
 * mailbox receives at SELECT and whenever one is added, and kept in each session's memory: without
 * a bound, a client adding fresh keywords in a loop would grow that line for everyone. (Cyrus
 * stopped at 128 for years; real mailboxes use a handful.)
 */
export const MAX_KEYWORDS_PER_MAILBOX = 1000;

/**
 * Adds keywords the mailbox does not know yet. Refuses (StoreError "limit") to take it past
 * MAX_KEYWORDS_PER_MAILBOX, which rolls the caller's write back.
 */
export async function mailboxKeywordsAdd(
  w: Write,
  mailboxId: number,
  keywords: readonly string[],
): Promise<void> {
  if (keywords.length === 0) return;
  const { rows } = await w.exec({ sql: "SELECT keywords FROM mailboxes WHERE id = ?", args: [mailboxId] });
  if (!rows[0]) return;
  const known = parseKeywords(String(rows[0].keywords));
  const have = new Set(known);
  const fresh = [...new Set(keywords)].filter((k) => !have.has(k));
  if (fresh.length === 0) return;
  if (known.length + fresh.length > MAX_KEYWORDS_PER_MAILBOX) {
    throw new StoreError(
      "limit",
      `a mailbox may know at most ${MAX_KEYWORDS_PER_MAILBOX} keywords; reuse existing ones`,
    );
  }
  await w.exec({
    sql: "UPDATE mailboxes SET keywords = ? WHERE id = ?",
    args: [JSON.stringify([...known, ...fresh]), mailboxId],
  });
}
