/**
 * SEARCH's prefilter: an FTS5 index with the trigram tokenizer over each content's search text
 * (table contents_fts, migration 0007; written behind delivery by search-indexer.ts, emptied of a
 * content by contentsDeleteOrphans).
 * A trigram phrase query finds every text that has the needle as a substring, and maybe a few more
 * (the tokenizer folds case on its own): so it only narrows the messages that SEARCH then checks
 * exactly, as before (RFC 3501 §6.4.4 substring semantics unchanged). Needles shorter than three
 * characters have no trigram: the caller scans for those.
 */
import { chunksOf, IN_LIST_MAX } from "./chunks.ts";
import { type Reader, rawOf } from "./db.ts";
import { type MessageSearchOptions, type MessageSearchRow, messagesSearchRows } from "./search.ts";
import { SEARCH_INDEXED_UPTO_SQL } from "./search-indexer.ts";

/** The trigram tokenizer indexes runs of three characters: a shorter needle matches nothing in it. */
export const TRIGRAM_MIN_CHARS = 3;

export interface IndexTerm {
  /** headers: search_headers; body: search_text; any: either (TEXT). */
  column: "headers" | "body" | "any";
  /** Lower-cased, whitespace collapsed (as the stored text is); at least TRIGRAM_MIN_CHARS characters. */
  needle: string;
}

function matchExpression(terms: readonly IndexTerm[]): string {
  // FTS5 strings: "..." with " doubled; each term a phrase, which trigram treats as a substring.
  return terms
    .map((t) => `${t.column === "any" ? "" : `${t.column} : `}"${t.needle.replace(/"/g, '""')}"`)
    .join(" AND ");
}

/**
 * The UIDs (ascending, up to `maxUid`) of the mailbox's messages whose content the index says may
 * contain every term, and those whose content the indexer has not reached yet (search-indexer.ts),
 * which only the exact check can judge. Driven from the index: a rare term costs its few rows,
 * whatever the mailbox size.
 */
export async function messagesTextCandidates(
  r: Reader,
  mailboxId: number,
  terms: readonly IndexTerm[],
  maxUid = Number.MAX_SAFE_INTEGER,
): Promise<number[]> {
  // CROSS JOIN and the unary "+" keep SQLite on messages_content for each indexed content: left to
  // itself it walks the whole mailbox (messages_mailbox_uid) once per content, ~0.2 s per 100k.
  // The second part reads messages_content above the watermark: the few messages stored last.
  const { rows } = await rawOf(r).execute({
    sql: `SELECT m.uid FROM contents_fts CROSS JOIN messages m ON m.content_id = contents_fts.rowid
          WHERE contents_fts MATCH ? AND +m.mailbox_id = ? AND +m.uid <= ?
          UNION
          SELECT m.uid FROM messages m
          WHERE m.content_id > ${SEARCH_INDEXED_UPTO_SQL} AND +m.mailbox_id = ? AND +m.uid <= ?
          ORDER BY 1`,
    args: [matchExpression(terms), mailboxId, maxUid, mailboxId, maxUid],
  });
  return rows.map((row) => Number(row.uid));
}

/** The search rows of just these UIDs (ascending), in UID order, with the columns asked for. */
export async function messagesSearchRowsOf(
  r: Reader,
  mailboxId: number,
  uids: readonly number[],
  options: MessageSearchOptions = {},
): Promise<MessageSearchRow[]> {
  const out: MessageSearchRow[] = [];
  for (const chunk of chunksOf(uids, IN_LIST_MAX)) {
    out.push(...(await messagesSearchRows(r, mailboxId, { ...options, uids: chunk })));
  }
  return out;
}
