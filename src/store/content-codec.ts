/**
 * How the parse at delivery is stored: the envelope and the MIME structure as compact JSON arrays
 * (positional fields, defaults and trailing empties left out) instead of JSON objects with their
 * key names. Issue 12: for a small message the object form of the two took about 680 bytes, more
 * than the message itself; the array form takes about 200. Decoding stays one JSON.parse plus a walk
 * (reads must not get slower: FETCH ENVELOPE and BODYSTRUCTURE run this for every message).
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
 * [date, subject, from, sender, replyTo, to, cc, bcc, inReplyTo, messageId]; NIL as NIL except for
 * sender and replyTo, where 0 is AS_FROM and NIL is null.
 */
function envelopeFields(e: Envelope): Json[] {
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
  return fields;
}

function envelopeOf(f: Json[]): Envelope {
  const from = listDecode(f[2]);
  const orFrom = (v: Json | undefined) => (v === AS_FROM ? listDecode(f[2]) : listDecode(v));
  return {
    date: nil(f[0]),
    subject: nil(f[1]),
    from,
    sender: orFrom(f[3]),
    replyTo: orFrom(f[4]),
    to: listDecode(f[5]),
    cc: listDecode(f[6]),
    bcc: listDecode(f[7]),
    inReplyTo: nil(f[8]),
    messageId: nil(f[9]),
  };
}

export function envelopeEncode(e: Envelope): string {
  return JSON.stringify(envelopeFields(e));
}

export function envelopeDecode(stored: string): Envelope {
  const value = JSON.parse(stored) as Json[] | Envelope;
  return Array.isArray(value) ? envelopeOf(value) : value;
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

export function structureEncode(p: MimePart): string {
  return JSON.stringify(partFields(p));
}

export function structureDecode(stored: string): MimePart {
  const value = JSON.parse(stored) as Json[] | MimePart;
  return Array.isArray(value) ? partOf(value) : value;
}
