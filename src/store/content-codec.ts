/**
 * How the parse at delivery is stored: the envelope and the MIME structure as compact JSON arrays
 * (positional fields, defaults and trailing empties left out) instead of JSON objects with their
 * key names. Issue 12: for a small message the object form of the two took about 680 bytes, more
 * than the message itself; the array form takes about 200. Decoding stays one JSON.parse plus a walk
 * (reads must not get slower: FETCH ENVELOPE and BODYSTRUCTURE run this for every message).
 *
 * A message's own envelope also leaves out what its contents row holds already (EnvelopeColumns):
 * the Date as the sent time and its offset, and the Subject, From, To and Message-ID where the
 * row's columns give them back exactly. For a small message that was another ~115 bytes, a third
 * of what the row took; each reference is checked by rebuilding the field from the column at
 * encode time, so a field is left out only when it reads back identical.
 *
 * Contents stored before this encoding hold the object form (a JSON object, first character "{"):
 * the decoders read both, so an existing database needs no rewrite.
 */
import type { Address, Envelope, MimePart } from "../mime/mod.ts";

type Json = null | string | number | Json[] | { [key: string]: Json };

/**
 * Drops trailing nulls, which a decoder reads back as null; below `placeholders`, also the "" and []
 * that stand for a default. A "" elsewhere is a value (an empty Subject is not a missing one).
 */
function trimmed(fields: Json[], placeholders = 0): Json[] {
  let n = fields.length;
  while (n > 0) {
    const f = fields[n - 1];
    const placeholder = n - 1 < placeholders && (f === "" || (Array.isArray(f) && f.length === 0));
    if (f === null || placeholder) n--;
    else break;
  }
  fields.length = n;
  return fields;
}

/** NIL as 0 where no number can stand (4 bytes fewer than null); nil() reads either back. */
const NIL = 0;

function nil(f: Json | undefined): string | null {
  return f === undefined || f === null || f === NIL ? null : (f as string);
}

/** An address as [name, mailbox, host, adl]; NIL fields (a group marker's host) as NIL. */
function addressEncode(a: Address): Json[] {
  const fields: Json[] = [a.name ?? NIL, a.mailbox ?? NIL, a.host ?? NIL];
  if (a.adl !== undefined) fields.push(a.adl);
  return fields;
}

function addressDecode(f: Json[]): Address {
  const a: Address = { name: nil(f[0]), mailbox: nil(f[1]), host: nil(f[2]) };
  if (f.length > 3) a.adl = f[3] as string;
  return a;
}

function listEncode(list: Address[] | null): Json {
  return list === null ? null : list.map(addressEncode);
}

function listDecode(f: Json | undefined): Address[] | null {
  return Array.isArray(f) ? (f as Json[][]).map(addressDecode) : null;
}

function sameList(a: Address[] | null, b: Address[] | null): boolean {
  if (a === null || b === null || a.length !== b.length) return a === b;
  return a.every(
    (x, i) =>
      x.name === b[i]!.name && x.mailbox === b[i]!.mailbox && x.host === b[i]!.host && x.adl === b[i]!.adl,
  );
}

/** Sender and Reply-To are mostly copies of From (RFC 3501 §7.4.2 defaults): 0 stands for "as From". */
const AS_FROM = 0;

/**
 * The columns of a message's contents row that its envelope may refer to instead of repeating them
 * (store/contents.ts writes them from the same parse): the decoded Subject, the first From and the
 * To as shown (mime formatAddress), the Date header's instant, and the Message-ID key.
 */
export interface EnvelopeColumns {
  subject: string;
  fromText: string;
  toText: string;
  sentAt: number | null;
  messageId: string;
}

/** Stands, in the Subject, From, To or Message-ID field, for "the row's column gives it back". */
const AS_COLUMN = 1;

/**
 * The Date field as a number: the sent time written in the canonical RFC 5322 §3.3 form at an offset
 * of (n - base) minutes, the day of the month two digits wide (DATE_PADDED) or as few as it needs
 * (DATE_UNPADDED). Offsets lie within ±1439 minutes, so the two ranges never meet, nor meet NIL or
 * AS_COLUMN.
 */
const DATE_PADDED = 10_000;
const DATE_UNPADDED = 20_000;
const MAX_OFFSET_MINUTES = 1439;

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * The sent time written as RFC 5322 §3.3 canonical text at an offset. Calendar arithmetic instead of
 * a Date object: FETCH ENVELOPE runs this for every message (civil-from-days, H. Hinnant's algorithm).
 */
function canonicalDate(sentAt: number, offsetMinutes: number, padded: boolean): string {
  const seconds = Math.floor(sentAt / 1000) + offsetMinutes * 60;
  const days = Math.floor(seconds / 86_400);
  const secondOfDay = seconds - days * 86_400;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const abs = Math.abs(offsetMinutes);
  return (
    `${DAYS[(((days + 4) % 7) + 7) % 7]}, ${padded ? two(day) : day} ${MONTHS[month - 1]} ${year} ` +
    `${two(Math.floor(secondOfDay / 3600))}:${two(Math.floor(secondOfDay / 60) % 60)}:${two(secondOfDay % 60)} ` +
    `${offsetMinutes < 0 ? "-" : "+"}${two(Math.floor(abs / 60))}${two(abs % 60)}`
  );
}

/** The number standing for `date`, when the canonical form of `sentAt` is exactly that text. */
function dateReference(date: string, sentAt: number | null): number | undefined {
  if (sentAt === null || !Number.isFinite(sentAt)) return undefined;
  const zone = /([+-])(\d\d)(\d\d)$/.exec(date);
  if (!zone) return undefined;
  const offset = (zone[1] === "-" ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3]));
  if (Math.abs(offset) > MAX_OFFSET_MINUTES) return undefined;
  if (canonicalDate(sentAt, offset, true) === date) return DATE_PADDED + offset;
  if (canonicalDate(sentAt, offset, false) === date) return DATE_UNPADDED + offset;
  return undefined;
}

function dateOfReference(n: number, sentAt: number): string {
  const padded = Math.abs(n - DATE_PADDED) <= MAX_OFFSET_MINUTES;
  return canonicalDate(sentAt, n - (padded ? DATE_PADDED : DATE_UNPADDED), padded);
}

/**
 * The addresses a From or To column shows, read back (the inverse of mime formatAddress joined with
 * ", "), or undefined when the text is not of that plain form. The caller compares the result with
 * the envelope's list, so a text this misreads only means the field is stored in full.
 */
function addressesOfText(text: string): Address[] | undefined {
  if (text === "") return undefined;
  const out: Address[] = [];
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf(", ", start);
    if (end < 0) end = text.length;
    let name: string | null = null;
    let specStart = start;
    let specEnd = end;
    if (text.charCodeAt(end - 1) === 62 /* > */) {
      const open = text.lastIndexOf(" <", end);
      if (open < start) return undefined;
      name = text.slice(start, open);
      specStart = open + 2;
      specEnd = end - 1;
    }
    const at = text.lastIndexOf("@", specEnd - 1);
    if (at < specStart) return undefined;
    out.push({ name, mailbox: text.slice(specStart, at), host: text.slice(at + 1, specEnd) });
    start = end + 2;
  }
  return out;
}

/** A field's reference to the row's columns, or the field itself. */
function referenced(e: Envelope, fields: Json[], columns: EnvelopeColumns): void {
  if (e.date !== null) {
    const n = dateReference(e.date, columns.sentAt);
    if (n !== undefined) fields[0] = n;
  }
  if (e.subject !== null && e.subject === columns.subject) fields[1] = AS_COLUMN;
  if (e.from !== null && sameList(addressesOfText(columns.fromText) ?? null, e.from)) fields[2] = AS_COLUMN;
  if (e.to !== null && sameList(addressesOfText(columns.toText) ?? null, e.to)) fields[5] = AS_COLUMN;
  if (e.messageId !== null && e.messageId === columns.messageId) fields[9] = AS_COLUMN;
}

/** What a decoder needs when the stored envelope refers to its row and the caller did not read the row. */
function missingColumns(): never {
  throw new Error("the stored envelope refers to its contents row's columns, which were not read");
}

/**
 * [date, subject, from, sender, replyTo, to, cc, bcc, inReplyTo, messageId]; NIL as NIL except for
 * sender and replyTo, where 0 is AS_FROM and NIL is null.
 */
function envelopeFields(e: Envelope, columns?: EnvelopeColumns): Json[] {
  const fields = trimmed([
    e.date,
    e.subject,
    listEncode(e.from),
    e.from !== null && sameList(e.sender, e.from) ? AS_FROM : listEncode(e.sender),
    e.from !== null && sameList(e.replyTo, e.from) ? AS_FROM : listEncode(e.replyTo),
    listEncode(e.to),
    listEncode(e.cc),
    listEncode(e.bcc),
    e.inReplyTo,
    e.messageId,
  ]);
  for (let i = 0; i < fields.length; i++) if (fields[i] === null && i !== 3 && i !== 4) fields[i] = NIL;
  if (columns) referenced(e, fields, columns);
  return fields;
}

function envelopeOf(f: Json[], columns?: EnvelopeColumns): Envelope {
  // A field that is a number other than NIL refers to the row (AS_COLUMN, or a date's offset).
  const refers = (v: Json | undefined): boolean => typeof v === "number" && v !== NIL;
  const row = (): EnvelopeColumns => columns ?? missingColumns();
  const from = refers(f[2]) ? (addressesOfText(row().fromText) ?? missingColumns()) : listDecode(f[2]);
  // "As From": lists of their own, as decoding the From field again gave them before.
  const orFrom = (v: Json | undefined) =>
    v === AS_FROM ? (from?.map((a) => ({ ...a })) ?? null) : listDecode(v);
  return {
    date: refers(f[0]) ? dateOfReference(f[0] as number, row().sentAt ?? missingColumns()) : nil(f[0]),
    subject: refers(f[1]) ? row().subject : nil(f[1]),
    from,
    sender: orFrom(f[3]),
    replyTo: orFrom(f[4]),
    to: refers(f[5]) ? (addressesOfText(row().toText) ?? missingColumns()) : listDecode(f[5]),
    cc: listDecode(f[6]),
    bcc: listDecode(f[7]),
    inReplyTo: nil(f[8]),
    messageId: refers(f[9]) ? row().messageId : nil(f[9]),
  };
}

/**
 * A message's envelope as stored. With `columns` (the values its contents row holds), the fields
 * those give back exactly are left out; envelopeDecode then needs the same columns.
 */
export function envelopeEncode(e: Envelope, columns?: EnvelopeColumns): string {
  const fields = envelopeFields(e, columns);
  return isUsualTail(fields) ? String(fields[0]) : JSON.stringify(fields);
}

/**
 * Most messages' envelope, once it refers to its row: a date reference, then Subject, From, To and
 * Message-ID from the row, Sender and Reply-To as From, no Cc, Bcc or In-Reply-To. Stored as the
 * date reference alone (a JSON number, which no other form is), 5 bytes instead of 25.
 */
const USUAL_TAIL: readonly Json[] = [
  AS_COLUMN,
  AS_COLUMN,
  AS_FROM,
  AS_FROM,
  AS_COLUMN,
  NIL,
  NIL,
  NIL,
  AS_COLUMN,
];

function isUsualTail(fields: Json[]): boolean {
  if (fields.length !== 10 || typeof fields[0] !== "number" || fields[0] === NIL) return false;
  for (let i = 1; i < 10; i++) if (fields[i] !== USUAL_TAIL[i - 1]) return false;
  return true;
}

/** The stored envelope as fields (the usual one written as its date reference alone expanded again). */
function storedFields(stored: string): Json[] | Envelope {
  const value = JSON.parse(stored) as Json[] | Envelope | number;
  return typeof value === "number" ? [value, ...USUAL_TAIL] : value;
}

/** Whether a stored envelope refers to its contents row's columns (was encoded with them). */
export function envelopeRefersToRow(stored: string): boolean {
  const value = storedFields(stored);
  if (!Array.isArray(value)) return false;
  return [0, 1, 2, 5, 9].some((i) => typeof value[i] === "number" && value[i] !== NIL);
}

/** The Date field alone of a stored envelope (`sentAt`: its row's sent_at, which a reference needs). */
export function envelopeDateDecode(stored: string, sentAt: number | null): string | null {
  const value = storedFields(stored);
  if (!Array.isArray(value)) return value.date;
  const date = value[0];
  if (typeof date !== "number" || date === NIL) return nil(date);
  return dateOfReference(date, sentAt ?? missingColumns());
}

/** Reads a stored envelope; `columns` are its contents row's, needed when it was encoded with them. */
export function envelopeDecode(stored: string, columns?: EnvelopeColumns): Envelope {
  const value = storedFields(stored);
  return Array.isArray(value) ? envelopeOf(value, columns) : value;
}

/**
 * A part as [partId, start, bodyStart, end, lines, "type/subtype", encoding, params, children, id,
 * description, md5, disposition, language, location, message]; `size` is end - bodyStart (as the
 * parser sets it); "text/plain", "7BIT" and {charset: "us-ascii"} are written as "" (then trimmed
 * when last).
 */
/** The parameters of most small text parts: the parser's default charset alone (RFC 2045 §5.2). */
function isDefaultParams(params: Record<string, string>): boolean {
  let n = 0;
  for (const key in params) if (++n > 1 || key !== "charset" || params[key] !== "us-ascii") return false;
  return n === 1;
}

function partFields(p: MimePart): Json[] {
  const media = `${p.type}/${p.subtype}`;
  return trimmed(
    [
      p.partId,
      p.start,
      p.bodyStart,
      p.end,
      p.lines,
      media === "text/plain" ? "" : media,
      p.encoding === "7BIT" ? "" : p.encoding,
      isDefaultParams(p.params) ? "" : p.params,
      p.children.map(partFields),
      p.id,
      p.description,
      p.md5,
      p.disposition,
      p.language,
      p.location,
      p.message ? [envelopeFields(p.message.envelope), partFields(p.message.body)] : null,
    ],
    9,
  );
}

function partOf(f: Json[]): MimePart {
  const media = (f[5] as string | undefined) || "text/plain";
  const slash = media.indexOf("/");
  const bodyStart = f[2] as number;
  const end = f[3] as number;
  const part: MimePart = {
    partId: f[0] as string,
    start: f[1] as number,
    bodyStart,
    end,
    type: media.slice(0, slash),
    subtype: media.slice(slash + 1),
    params: (f[7] || { charset: "us-ascii" }) as Record<string, string>,
    id: (f[9] ?? null) as string | null,
    description: (f[10] ?? null) as string | null,
    encoding: (f[6] as string | undefined) || "7BIT",
    size: end - bodyStart,
    lines: f[4] as number,
    md5: (f[11] ?? null) as string | null,
    disposition: (f[12] ?? null) as MimePart["disposition"],
    language: (f[13] ?? null) as string[] | null,
    location: (f[14] ?? null) as string | null,
    children: ((f[8] ?? []) as Json[][]).map(partOf),
  };
  const message = f[15] as [Json[], Json[]] | undefined;
  if (message) part.message = { envelope: envelopeOf(message[0]), body: partOf(message[1]) };
  return part;
}

/**
 * What a message's contents row says of its top-level part: where its body starts (header_end) and
 * where the message ends (size).
 */
export interface StructureColumns {
  headerEnd: number;
  size: number;
}

/**
 * A message whose whole structure is one part with every default (text/plain, 7BIT, us-ascii, no
 * other fields) spanning the message, its body from header_end: stored as its line count alone (a
 * JSON number, which no other form is), e.g. "1" for '["1",0,349,385,1]'.
 */
function isPlainWhole(fields: Json[], columns: StructureColumns): boolean {
  return (
    fields.length === 5 &&
    fields[0] === "1" &&
    fields[1] === 0 &&
    fields[2] === columns.headerEnd &&
    fields[3] === columns.size
  );
}

/** A message's MIME tree as stored; with `columns` (its row's), a plain one-part tree is its line count alone. */
export function structureEncode(p: MimePart, columns?: StructureColumns): string {
  const fields = partFields(p);
  return columns && isPlainWhole(fields, columns) ? String(fields[4]) : JSON.stringify(fields);
}

/** Reads a stored MIME tree; `columns` are its row's, needed for the line-count-only form. */
export function structureDecode(stored: string, columns?: StructureColumns): MimePart {
  const value = JSON.parse(stored) as Json[] | MimePart | number;
  if (typeof value === "number") {
    if (!columns)
      throw new Error("the stored structure refers to its contents row's columns, which were not read");
    return partOf(["1", 0, columns.headerEnd, columns.size, value]);
  }
  return Array.isArray(value) ? partOf(value) : value;
}
