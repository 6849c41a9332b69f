/**
 * What SORT and THREAD (RFC 5256, RFC 5957) compare, derived once at delivery from the envelope and
 * the References header so that neither command ever re-reads a message: the base subject (§2.1),
 * the address sort values, and the Message-ID / references chain the REFERENCES algorithm links.
 * Strings that are compared are stored casefolded (i;unicode-casemap, RFC 5051: titlecase then
 * NFKD — upper case stands in for titlecase), so the store can order them bytewise.
 */
import { decodeMimeWords } from "./encoded-words.ts";
import type { Address, Envelope, SortKeys } from "./types.ts";

/** Bumped when the derivation changes: rows with a lower version are derived again (store backfill). */
export const SORT_KEYS_VERSION = 1;
/**
 * References kept per message: a hostile header can list thousands, and each one costs a container
 * in THREAD and a lookup at delivery; the last ones (nearest ancestors) are the ones that matter.
 */
export const MAX_REFERENCES = 64;
/** Longest Message-ID kept (RFC 5322 §3.6.4 sets none; 998-octet lines bound it anyway). */
const MAX_ID_CHARS = 250;
/** Sort strings are cut here: ordering needs the start of the text, and the column stays small. */
const MAX_SORT_CHARS = 256;

/** i;unicode-casemap, approximately (RFC 5051 §2: titlecase, then NFKD). */
export function casefold(s: string): string {
  return s.toUpperCase().normalize("NFKD").slice(0, MAX_SORT_CHARS);
}

/** The message IDs "<...>" in a header value, in order; the rest (comments, junk) ignored. */
export function messageIds(value: string | null): string[] {
  if (!value) return [];
  const ids: string[] = [];
  for (const m of value.matchAll(/<([^<>\s]+)>/g)) {
    if (m[1]!.length <= MAX_ID_CHARS && m[1]!.includes("@")) ids.push(`<${m[1]}>`);
  }
  return ids;
}

const SUBJ_BLOB = String.raw`\[[^\[\]]*\] *`;
/** RFC 5256 §5: subj-leader = (*subj-blob subj-refwd) / WSP; subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":". */
const LEADER = new RegExp(`^(?:(?:${SUBJ_BLOB})*(?:re|fwd?) *(?:${SUBJ_BLOB})?:|[ ]+)`, "i");
const BLOB = new RegExp(`^${SUBJ_BLOB}`);
const TRAILER = /(?:\(fwd\)| )+$/i;

/** RFC 5256 §2.1: the base subject of a decoded subject, and whether it was a reply or forward. */
export function baseSubject(decoded: string): { base: string; isReply: boolean } {
  // (1) whitespace runs (tabs, folding) become one space.
  let s = decoded.replace(/[\s]+/g, " ");
  let isReply = false;
  for (;;) {
    // (2) trailing "(fwd)" and whitespace.
    const trailer = TRAILER.exec(s);
    if (trailer) {
      if (/\(fwd\)/i.test(trailer[0])) isReply = true;
      s = s.slice(0, trailer.index);
    }
    // (3)-(5): leaders, then a leading blob that does not make the rest empty, until neither applies.
    for (;;) {
      const leader = LEADER.exec(s);
      if (leader) {
        if (leader[0].trim() !== "") isReply = true;
        s = s.slice(leader[0].length);
        continue;
      }
      const blob = BLOB.exec(s);
      if (blob && s.length > blob[0].length) {
        s = s.slice(blob[0].length);
        continue;
      }
      break;
    }
    // (6) "[fwd: ... ]" around the whole: unwrap and start again at (2).
    if (s.length >= 6 && s.slice(0, 5).toLowerCase() === "[fwd:" && s.endsWith("]")) {
      s = s.slice(5, -1);
      isReply = true;
      continue;
    }
    return { base: s, isReply };
  }
}

function firstAddress(list: readonly Address[] | null): Address | undefined {
  return list?.find((a) => a.host !== null);
}

/** RFC 5957 §3: the decoded display name if there is one, else the addr-spec. */
function displayValue(a: Address | undefined): string {
  if (!a) return "";
  const name = a.name === null ? "" : decodeMimeWords(a.name).trim();
  if (name !== "") return casefold(name);
  return casefold(a.host ? `${a.mailbox ?? ""}@${a.host}` : (a.mailbox ?? ""));
}

/** The sort keys of a message from its envelope and its raw References header value (or null). */
export function sortKeysOf(envelope: Envelope, references: string | null): SortKeys {
  const { base, isReply } = baseSubject(envelope.subject === null ? "" : decodeMimeWords(envelope.subject));
  const from = firstAddress(envelope.from);
  const to = firstAddress(envelope.to);
  // RFC 5256 §3 step 1: References, or else the first valid message ID of In-Reply-To.
  let refs = messageIds(references);
  if (refs.length === 0) refs = messageIds(envelope.inReplyTo).slice(0, 1);
  return {
    baseSubject: casefold(base),
    isReply,
    sortFrom: casefold(from?.mailbox ?? ""),
    sortTo: casefold(to?.mailbox ?? ""),
    sortCc: casefold(firstAddress(envelope.cc)?.mailbox ?? ""),
    displayFrom: displayValue(from),
    displayTo: displayValue(to),
    messageId: messageIds(envelope.messageId)[0] ?? "",
    references: refs.slice(-MAX_REFERENCES),
  };
}
