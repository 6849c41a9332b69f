/**
 * RFC 8474 §5.2 THREADID, assigned once at delivery: a message joins the thread of a message of the
 * same account that it references (References, else In-Reply-To, RFC 5256 §3) or that has its own
 * Message-ID (the same message stored again, e.g. APPENDed to Sent); otherwise it starts a thread,
 * numbered by its content.
 *
 * A reply that arrives before its parent: RFC 8474 §5.2 leaves the server either answer (the two
 * in one thread, or in two); we give two. The reply starts a thread of its own, and the parent,
 * arriving later, does too: its Message-ID is looked up among the ids it names, not among the
 * References of what came before (that would need an index from every referenced id to its
 * messages, written at each delivery, for a rare case), and no THREADID is changed once given, so
 * a client that cached one never sees it move. THREAD REFERENCES still puts the two together: it
 * links by References at the time it runs (RFC 5256 §3).
 */
import type { SortKeys } from "../mime/mod.ts";
import type { Write } from "./db.ts";

/** The thread id a new message of `accountId` with these keys joins, or `contentId` for a new one. */
export async function threadIdFor(
  w: Write,
  accountId: number,
  keys: SortKeys,
  contentId: number,
): Promise<number> {
  const ids = keys.messageId === "" ? keys.references : [...keys.references, keys.messageId];
  if (ids.length === 0) return contentId;
  // contents_message_id finds the candidates, messages_content narrows them to this account. CROSS
  // JOIN keeps that order: left to itself SQLite walks every message of the account (messages_account),
  // which made each delivery cost as much as the account's size; "+" keeps it off messages_account.
  const { rows } = await w.exec({
    sql: `SELECT coalesce(m.thread_id, m.content_id) AS thread FROM contents c CROSS JOIN messages m ON m.content_id = c.id
          WHERE c.message_id IN (${ids.map(() => "?").join(", ")}) AND +m.account_id = ? LIMIT 1`,
    args: [...ids, accountId],
  });
  return rows.length > 0 ? Number(rows[0]!.thread) : contentId;
}
