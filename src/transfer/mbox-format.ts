/**
 * The mboxrd format (https://www.loc.gov/preservation/digital/formats/fdd/fdd000385.shtml): a
 * "From <sender> <asctime>" line before each message, every line matching /^>*From / quoted with one
 * more ">", and a blank line after each message. Quoting every such line (not only "From ") is what
 * makes mboxrd reversible, so export -> import gives back the stored bytes exactly.
 *
 * Export is a pull-driven stream: a message is fetched only when the client has taken the previous
 * one, so memory holds about one message whatever the mailbox size.
 */
import { headerEnd, normalizeNewlines, parseHeaders } from "../mime/mod.ts";

const LF = 0x0a;
const CR = 0x0d;
const GT = 0x3e;
const FROM_ = [0x46, 0x72, 0x6f, 0x6d, 0x20]; // "From "
const encoder = new TextEncoder();
const QUOTE = Uint8Array.of(GT);
const NEWLINE = Uint8Array.of(LF);
const CRLF = Uint8Array.of(CR, LF);

export interface MboxEntry {
  raw: Uint8Array;
  /** Epoch ms; written into the From_ line, read back on import as the internal date. */
  internalDate: number;
}

function startsWithFrom(buf: Uint8Array, at: number): boolean {
  if (at + FROM_.length > buf.length) return false;
  for (let k = 0; k < FROM_.length; k++) if (buf[at + k] !== FROM_[k]) return false;
  return true;
}

/** Whether the line starting at `at` matches /^>*From /, the lines mboxrd quotes. */
function isFromLine(buf: Uint8Array, at: number): boolean {
  let i = at;
  while (i < buf.length && buf[i] === GT) i++;
  return startsWithFrom(buf, i);
}

/** The message as chunks with mboxrd quoting applied; the bytes themselves are not copied. */
export function mboxrdQuote(raw: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let last = 0;
  for (let line = 0; line < raw.length; ) {
    if (isFromLine(raw, line)) {
      parts.push(raw.subarray(last, line), QUOTE);
      last = line;
    }
    const nl = raw.indexOf(LF, line);
    if (nl === -1) break;
    line = nl + 1;
  }
  parts.push(raw.subarray(last));
  return parts;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

/** C asctime() form in UTC, "Wed Jan  3 09:05:00 2024", as the From_ line has it. */
export function asctime(epochMs: number): string {
  const d = new Date(epochMs);
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${time} ${d.getUTCFullYear()}`;
}

/** Parses the asctime part of a From_ line (tolerating a zone before the year, as some writers add); UTC. */
export function parseAsctime(text: string): number | null {
  const m =
    /\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) +(\d{1,2}):(\d{2})(?::(\d{2}))?(?: +[A-Z]{1,5}| +[+-]\d{4})? +(\d{4})\b/.exec(
      text,
    );
  if (!m) return null;
  const ms = Date.UTC(
    Number(m[6]),
    MONTHS.indexOf(m[1]!),
    Number(m[2]),
    Number(m[3]),
    Number(m[4]),
    Number(m[5] ?? 0),
  );
  return Number.isFinite(ms) ? ms : null;
}

/** The envelope sender for the From_ line: Return-Path if it holds a usable address, else MAILER-DAEMON. */
export function mboxSender(raw: Uint8Array): string {
  const field = parseHeaders(raw, 0, headerEnd(raw)).find((h) => h.name.toLowerCase() === "return-path");
  if (!field) return "MAILER-DAEMON";
  const m = /^\s*<?\s*([^\s<>]+)\s*>?\s*$/.exec(field.value);
  // A From_ line is split on spaces by readers: anything with spaces or controls would break it.
  return m && !/[\u0000-\u001f\u007f]/.test(m[1]!) ? m[1]! : "MAILER-DAEMON";
}

/** One message as it appears in the file: From_ line, quoted bytes, line end if missing, blank line. */
export function mboxEntryChunks(entry: MboxEntry): Uint8Array[] {
  const { raw } = entry;
  const chunks = [
    encoder.encode(`From ${mboxSender(raw)} ${asctime(entry.internalDate)}\n`),
    ...mboxrdQuote(raw),
  ];
  // A message not ending in a line break gets one (its own style), or the next From_ would not start a line.
  if (raw.length > 0 && raw[raw.length - 1] !== LF) chunks.push(raw.includes(CR) ? CRLF : NEWLINE);
  chunks.push(NEWLINE);
  return chunks;
}

/** The mbox file as a stream; `source` is pulled one message at a time, as the client reads. */
export function mboxStream(source: AsyncIterator<MboxEntry>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await source.next();
        if (next.done) {
          controller.close();
          return;
        }
        for (const chunk of mboxEntryChunks(next.value)) if (chunk.length > 0) controller.enqueue(chunk);
      },
      async cancel() {
        await source.return?.();
      },
    },
    // Nothing is fetched ahead of the reader: the store is read only when the client wants more.
    { highWaterMark: 0 },
  );
}

export class MboxFormatError extends Error {
  override name = "MboxFormatError";
}

export interface MboxMessage {
  raw: Uint8Array;
  /** From the From_ line; null when it carries no readable date. */
  internalDate: number | null;
}

/** Lines of `buf` that start a message: "From " at a line start (quoted ones begin with ">"). */
function separatorOffsets(buf: Uint8Array, from: number): number[] {
  const offsets: number[] = [];
  for (let line = from; line < buf.length; ) {
    if (startsWithFrom(buf, line)) offsets.push(line);
    const nl = buf.indexOf(LF, line);
    if (nl === -1) break;
    line = nl + 1;
  }
  return offsets;
}

/** Undoes mboxrd quoting: one ">" off every line matching /^>+From /. */
function mboxrdUnquote(raw: Uint8Array): Uint8Array {
  const cuts: number[] = [];
  for (let line = 0; line < raw.length; ) {
    if (raw[line] === GT && isFromLine(raw, line)) cuts.push(line);
    const nl = raw.indexOf(LF, line);
    if (nl === -1) break;
    line = nl + 1;
  }
  if (cuts.length === 0) return raw;
  const out = new Uint8Array(raw.length - cuts.length);
  let o = 0;
  let last = 0;
  for (const cut of cuts) {
    out.set(raw.subarray(last, cut), o);
    o += cut - last;
    last = cut + 1;
  }
  out.set(raw.subarray(last), o);
  return out;
}

/**
 * Splits an mboxrd file into messages: drops each From_ line and the blank line that separates a
 * message from the next, undoes the quoting, and turns every bare LF and bare CR into CRLF (mbox
 * files are usually written with Unix line ends; RFC 5322 §2.3 wants CRLF). Exactly the inverse of
 * mboxEntryChunks for messages that end in a line break.
 */
export function mboxSplit(file: Uint8Array): MboxMessage[] {
  let start = 0;
  // Tolerate blank lines before the first From_ line.
  while (start < file.length && (file[start] === LF || file[start] === CR)) start++;
  if (start === file.length) return [];
  if (!startsWithFrom(file, start))
    throw new MboxFormatError('not an mbox file: it must start with a "From " line');
  const offsets = separatorOffsets(file, start);
  return offsets.map((offset, i) => mboxMessageOf(file.subarray(offset, offsets[i + 1] ?? file.length)));
}

/**
 * One message of an mbox file from its segment (its From_ line up to the next one): the From_ line
 * dropped, the separating blank line dropped, the quoting undone and line ends made CRLF.
 */
export function mboxMessageOf(segment: Uint8Array): MboxMessage {
  const end = segment.length;
  const nl = segment.indexOf(LF);
  const lineEnd = nl === -1 ? end : nl + 1;
  const fromLine = new TextDecoder("latin1").decode(segment.subarray(0, lineEnd));
  let body = segment.subarray(lineEnd, end);
  // The separating blank line: "\n" after the message's last line end (as we write it), or "\r\n\r\n"
  // in files written with CRLF throughout.
  const n = body.length;
  if (n >= 2 && body[n - 1] === LF && body[n - 2] === LF) body = body.subarray(0, n - 1);
  else if (n >= 4 && body[n - 1] === LF && body[n - 2] === CR && body[n - 3] === LF && body[n - 4] === CR)
    body = body.subarray(0, n - 2);
  return { raw: normalizeNewlines(mboxrdUnquote(body)), internalDate: parseAsctime(fromLine) };
}
