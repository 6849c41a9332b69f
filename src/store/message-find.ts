/**
 * Finding messages across accounts (issue 16): by criteria for the REST search and wait-for-message
 * (`GET /api/v1/messages`, `.../messages/wait`), by their global id, and the newest one ("latest").
 *
 * A message id (messages.id, AUTOINCREMENT) is unique across the whole database and never reused,
 * and a move within an account keeps it, so it names one message on its own; the account-scoped
 * REST paths only add a check of the owner.
 *
 * Criteria are case-insensitive substrings, always literal: they are bound as LIKE patterns with
 * `%`, `_` and `\` escaped, or compared with instr(), never turned into a regular expression.
 * SQLite's lower() and LIKE fold ASCII only, so a needle's non-ASCII characters become `_` in the
 * pattern (any one character) and every row SQL finds is checked again here with JavaScript's
 * Unicode toLowerCase (`messageMatches`): SQL narrows, JavaScript decides, and the wait's check of a
 * newly arrived message (the same function) can never disagree with the search.
 */
import { searchTextSql } from "./contents.ts";
import { decode, type Reader, rawFirst, rawOf, rowDecoder } from "./db.ts";
import { FLAG_BITS, parseKeywords } from "./flags.ts";
import { mailboxNameNormalize } from "./mailboxes.ts";
import { type Message, messageFromRow } from "./message-read.ts";

export interface MessageCriteria {
  /** Only this account's messages. */
  accountId?: number | undefined;
  /** The owning account's address or the To header. */
  to?: string | undefined;
  /** The (first) From header. */
  from?: string | undefined;
  subject?: string | undefined;
  /** The decoded body text (text and HTML parts, attached messages included). */
  text?: string | undefined;
  /** Only ids above this. */
  sinceId?: number | undefined;
  /** Only messages that arrived at or after this time (epoch ms, the internal date). */
  sinceTime?: number | undefined;
  /** Only ids below this. */
  beforeId?: number | undefined;
  /** Only messages that arrived before this time. */
  beforeTime?: number | undefined;
  /** A system flag (\Seen...) or keyword the message has, or with `negate` does not have. */
  flag?: { name: string; negate: boolean } | undefined;
  /** The mailbox's name (INBOX in any case). */
  mailbox?: string | undefined;
}

/** A message with what search results and criteria need: its account, mailbox and listing fields. */
export interface FoundMessage {
  id: number;
  accountId: number;
  /** The owning account's address. */
  account: string;
  mailboxId: number;
  mailbox: string;
  uid: number;
  flags: number;
  keywords: string[];
  internalDate: number;
  size: number;
  subject: string;
  from: string;
  to: string;
  /** The Date header as epoch ms, or null. */
  date: number | null;
  preview: string;
}

/** A newly added message as the wait checks it: with its body text when a criterion needs it. */
export type AddedMessage = FoundMessage & { searchText?: string };

const COLUMNS = `m.id, m.account_id, m.mailbox_id, m.uid, m.flags, m.keywords, m.internal_date, m.size,
  a.address, mb.name AS mailbox, c.subject, c.from_text, c.to_text, c.sent_at, c.preview`;
const FROM = `messages m JOIN contents c ON c.id = m.content_id JOIN accounts a ON a.id = m.account_id
  JOIN mailboxes mb ON mb.id = m.mailbox_id`;

/** A criterion as compared: lower-cased; the body text also with white space collapsed, as stored. */
export function needleOf(value: string, kind: "field" | "text"): string {
  const lower = value.toLowerCase();
  return kind === "text" ? lower.replace(/[\s\x00-\x1f\x7f]+/g, " ").trim() : lower;
}

/** A LIKE pattern (ESCAPE '\') matching `needle` anywhere, literally; non-ASCII is `_` (see above). */
function containsPattern(needle: string): string {
  let out = "%";
  for (const ch of needle) {
    if (ch === "\\" || ch === "%" || ch === "_") out += `\\${ch}`;
    else if (ch.charCodeAt(0) > 0x7f) out += "_";
    else out += ch;
  }
  return `${out}%`;
}

/** The flag's bit when it names a system flag (case-insensitive), else undefined (a keyword). */
function systemBit(name: string): number | undefined {
  for (const [flag, bit] of Object.entries(FLAG_BITS))
    if (flag.toLowerCase() === name.toLowerCase()) return bit;
  return undefined;
}

/** Criteria that compare one column with the value as given. */
const COMPARISONS = [
  ["accountId", "m.account_id = ?"],
  ["sinceId", "m.id > ?"],
  ["sinceTime", "m.internal_date >= ?"],
  ["beforeId", "m.id < ?"],
  ["beforeTime", "m.internal_date < ?"],
] as const satisfies ReadonlyArray<readonly [keyof MessageCriteria, string]>;

function conditions(c: MessageCriteria): { where: string[]; args: Array<string | number> } {
  const where: string[] = [];
  const args: Array<string | number> = [];
  const add = (sql: string, ...values: Array<string | number>) => {
    where.push(sql);
    args.push(...values);
  };
  for (const [key, sql] of COMPARISONS) {
    const value = c[key];
    if (value !== undefined) add(sql, value);
  }
  if (c.to) {
    const n = needleOf(c.to, "field");
    add("(instr(a.address, ?) > 0 OR lower(c.to_text) LIKE ? ESCAPE '\\')", n, containsPattern(n));
  }
  if (c.from) add("lower(c.from_text) LIKE ? ESCAPE '\\'", containsPattern(needleOf(c.from, "field")));
  if (c.subject) add("lower(c.subject) LIKE ? ESCAPE '\\'", containsPattern(needleOf(c.subject, "field")));
  // Stored lower-cased by JavaScript and collapsed (src/mime/search-text.ts): instr() is exact.
  if (c.text) add(`instr(${searchTextSql("c")}, ?) > 0`, needleOf(c.text, "text"));
  if (c.flag) {
    const bit = systemBit(c.flag.name);
    const has =
      bit !== undefined
        ? `(m.flags & ${bit}) <> 0`
        : "EXISTS (SELECT 1 FROM json_each(m.keywords) k WHERE lower(k.value) = lower(?))";
    if (bit === undefined) args.push(c.flag.name);
    where.push(c.flag.negate ? `NOT ${has}` : has);
  }
  if (c.mailbox !== undefined) add("mb.name = ?", mailboxNameNormalize(c.mailbox));
  return { where, args };
}

const foundOf = rowDecoder<FoundMessage>({
  id: Number,
  accountId: Number,
  account: ["address", String],
  mailboxId: Number,
  mailbox: String,
  uid: Number,
  flags: Number,
  keywords: (value) => parseKeywords(String(value)),
  internalDate: Number,
  size: Number,
  subject: String,
  from: ["from_text", String],
  to: ["to_text", String],
  date: ["sent_at", decode.numberOrNull],
  preview: String,
});

/**
 * Whether a message meets every criterion: the final word on the text fields (see the module
 * comment). `searchText` is checked when the message carries it (a newly added message); rows from
 * messagesFind() passed that test in SQL already, exactly.
 */
export function messageMatches(c: MessageCriteria, m: AddedMessage): boolean {
  if (c.accountId !== undefined && m.accountId !== c.accountId) return false;
  if (c.to) {
    const n = needleOf(c.to, "field");
    if (!m.account.includes(n) && !m.to.toLowerCase().includes(n)) return false;
  }
  if (c.from && !m.from.toLowerCase().includes(needleOf(c.from, "field"))) return false;
  if (c.subject && !m.subject.toLowerCase().includes(needleOf(c.subject, "field"))) return false;
  if (c.text && m.searchText !== undefined && !m.searchText.includes(needleOf(c.text, "text"))) return false;
  if (c.sinceId !== undefined && m.id <= c.sinceId) return false;
  if (c.sinceTime !== undefined && m.internalDate < c.sinceTime) return false;
  if (c.beforeId !== undefined && m.id >= c.beforeId) return false;
  if (c.beforeTime !== undefined && m.internalDate >= c.beforeTime) return false;
  if (c.flag) {
    const bit = systemBit(c.flag.name);
    const name = c.flag.name.toLowerCase();
    const has = bit !== undefined ? (m.flags & bit) !== 0 : m.keywords.some((k) => k.toLowerCase() === name);
    if (has === c.flag.negate) return false;
  }
  if (c.mailbox !== undefined && m.mailbox !== mailboxNameNormalize(c.mailbox)) return false;
  return true;
}

export interface FindOptions {
  /** "asc": oldest first (the wait's "first message"); "desc": newest first (search pages). */
  order: "asc" | "desc";
  limit: number;
}

/**
 * Up to `limit` messages meeting `criteria`, in id order. SQL reads in batches and JavaScript
 * confirms each row (messageMatches), so a batch thinned by that check is followed by the next one
 * until `limit` are found or the table is exhausted.
 */
export async function messagesFind(
  r: Reader,
  criteria: MessageCriteria,
  options: FindOptions,
): Promise<FoundMessage[]> {
  const found: FoundMessage[] = [];
  const batch = Math.max(options.limit, 1);
  let cursor = criteria;
  for (;;) {
    const { where, args } = conditions(cursor);
    const { rows } = await rawOf(r).execute({
      sql: `SELECT ${COLUMNS} FROM ${FROM} ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
            ORDER BY m.id ${options.order === "asc" ? "ASC" : "DESC"} LIMIT ?`,
      args: [...args, batch],
    });
    for (const row of rows) {
      const m = foundOf(row as Record<string, unknown>);
      if (messageMatches(criteria, m)) found.push(m);
      if (found.length >= options.limit) return found;
    }
    if (rows.length < batch) return found;
    const last = Number((rows[rows.length - 1] as Record<string, unknown>).id);
    // Continue past the last row SQL gave, keeping the tighter of the caller's bound and this one.
    cursor =
      options.order === "asc"
        ? { ...cursor, sinceId: Math.max(last, cursor.sinceId ?? 0) }
        : { ...cursor, beforeId: Math.min(last, cursor.beforeId ?? Number.MAX_SAFE_INTEGER) };
  }
}

/** Rows looked up per statement when the wait reads newly added messages. */
const ADDED_PER_STATEMENT = 100;

/**
 * The messages just added at these (mailbox, UID) positions, as the wait checks them: one indexed
 * lookup per position (messages_mailbox_uid), in batches; positions whose message is gone again
 * are left out. `withText` also reads the body text (up to 256 KiB a message).
 */
export async function messagesAdded(
  r: Reader,
  positions: ReadonlyArray<{ mailboxId: number; uid: number }>,
  withText: boolean,
): Promise<AddedMessage[]> {
  const out: AddedMessage[] = [];
  for (let i = 0; i < positions.length; i += ADDED_PER_STATEMENT) {
    const chunk = positions.slice(i, i + ADDED_PER_STATEMENT);
    const { rows } = await rawOf(r).execute({
      sql: `SELECT ${COLUMNS}${withText ? `, ${searchTextSql("c")} AS search_text` : ""} FROM ${FROM}
            WHERE (m.mailbox_id, m.uid) IN (VALUES ${chunk.map(() => "(?, ?)").join(", ")}) ORDER BY m.id`,
      args: chunk.flatMap((p) => [p.mailboxId, p.uid]),
    });
    for (const row of rows) {
      const m: AddedMessage = foundOf(row as Record<string, unknown>);
      if (withText) m.searchText = String((row as Record<string, unknown>).search_text ?? "");
      out.push(m);
    }
  }
  return out;
}

/** One message by its global id, whoever owns it. */
export async function messageFind(r: Reader, id: number): Promise<Message | undefined> {
  const row = await rawFirst(r, {
    sql: `SELECT id, account_id, mailbox_id, uid, modseq, content_id, flags, keywords, internal_date, size
          FROM messages WHERE id = ?`,
    args: [id],
  });
  if (!row) return undefined;
  return messageFromRow({
    id: Number(row.id),
    accountId: Number(row.account_id),
    mailboxId: Number(row.mailbox_id),
    uid: Number(row.uid),
    modseq: Number(row.modseq),
    contentId: Number(row.content_id),
    flags: Number(row.flags),
    keywords: String(row.keywords),
    internalDate: Number(row.internal_date),
    size: Number(row.size),
  });
}

/** The id of the newest message (highest id: the last to arrive), of one account or of all. */
export async function messageLatestId(r: Reader, accountId?: number): Promise<number | undefined> {
  const latest = await rawFirst(
    r,
    accountId === undefined
      ? "SELECT max(id) AS id FROM messages"
      : { sql: "SELECT max(id) AS id FROM messages WHERE account_id = ?", args: [accountId] },
  );
  const id = latest?.id;
  return id === null || id === undefined ? undefined : Number(id);
}
