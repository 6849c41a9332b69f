/**
 * An mbox file as an import source: read as a stream in 1 MiB pieces, so memory holds about one
 * message whatever the file's size. The message's flags come from the Status/X-Status/X-Keywords
 * headers mbox writers (Dovecot, mutt, Thunderbird's X-Mozilla-Status aside) keep them in; those
 * headers are mbox bookkeeping, not part of the message, and are removed from the stored bytes.
 */
import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { basename } from "node:path";
import { headerEnd, parseHeaders, withoutRanges } from "../mime/mod.ts";
import { MboxFormatError, mboxMessageOf } from "./mbox-format.ts";
import type { MailSource, SourceFolder, SourceMessage } from "./source.ts";

const SEPARATOR = Buffer.from("\nFrom ");

/** A segment of the file: one message with its From_ line, or a note that one was too large. */
export type MboxSegment = { offset: number; bytes: Uint8Array } | { offset: number; tooLarge: number };

/**
 * The messages of an mbox stream, one segment each (From_ line to the next From_ line). A message
 * larger than `maxBytes` is not held: its bytes are dropped as they pass and it is reported by size.
 */
export async function* mboxSegments(
  stream: AsyncIterable<Uint8Array>,
  maxBytes: number,
): AsyncGenerator<MboxSegment> {
  let pending = Buffer.alloc(0);
  /** File offset of pending[0]. */
  let base = 0;
  let started = false;
  /** Bytes of the current message dropped because it was too large; 0 while it is held. */
  let dropped = 0;
  for await (const piece of stream) {
    pending = pending.length === 0 ? Buffer.from(piece) : Buffer.concat([pending, piece]);
    if (!started) {
      let i = 0;
      while (i < pending.length && (pending[i] === 0x0a || pending[i] === 0x0d)) i++;
      if (pending.length - i < 5) continue;
      if (pending.subarray(i, i + 5).toString("latin1") !== "From ")
        throw new MboxFormatError('not an mbox file: it must start with a "From " line');
      pending = pending.subarray(i);
      base += i;
      started = true;
    }
    let start = 0;
    for (let at = pending.indexOf(SEPARATOR, 1); at !== -1; at = pending.indexOf(SEPARATOR, start + 1)) {
      const cut = at + 1;
      yield dropped > 0
        ? { offset: base + start, tooLarge: dropped + cut - start }
        : { offset: base + start, bytes: pending.subarray(start, cut) };
      dropped = 0;
      start = cut;
    }
    // Keep only the unfinished message (copied, so the finished ones can be collected).
    pending = Buffer.from(pending.subarray(start));
    base += start;
    if (pending.length > maxBytes + SEPARATOR.length) {
      // Too large to import: keep the last bytes only, where a separator may begin.
      const keep = SEPARATOR.length;
      dropped += pending.length - keep;
      pending = Buffer.from(pending.subarray(pending.length - keep));
      base += dropped;
    }
  }
  if (!started) return;
  if (pending.length > 0 || dropped > 0)
    yield dropped > 0
      ? { offset: base, tooLarge: dropped + pending.length }
      : { offset: base, bytes: pending };
}

const STATUS_HEADERS = new Set(["status", "x-status", "x-keywords"]);

/** Flags from the mbox status headers, and the message without them. */
export function mboxFlags(raw: Uint8Array): { raw: Uint8Array; flags: string[] } {
  const fields = parseHeaders(raw, 0, headerEnd(raw)).filter((h) => STATUS_HEADERS.has(h.name.toLowerCase()));
  if (fields.length === 0) return { raw, flags: [] };
  const flags = new Set<string>();
  for (const f of fields) {
    const name = f.name.toLowerCase();
    const value = f.value.trim();
    if (name === "status" && value.includes("R")) flags.add("\\Seen");
    if (name === "x-status") {
      if (value.includes("A")) flags.add("\\Answered");
      if (value.includes("F")) flags.add("\\Flagged");
      if (value.includes("T")) flags.add("\\Draft");
      if (value.includes("D")) flags.add("\\Deleted");
    }
    if (name === "x-keywords") for (const k of value.split(/[\s,]+/)) if (k) flags.add(k);
  }
  return { raw: withoutRanges(raw, fields), flags: [...flags] };
}

/** One mbox file as a source with one folder (`mailbox`, INBOX unless told). */
export function mboxSource(path: string, options: { mailbox?: string; maxBytes: number }): MailSource {
  const name = options.mailbox ?? "INBOX";
  const folder: SourceFolder = {
    name,
    async list() {
      // Keys are the message's offset and digest: stable while the file is only appended to.
      const entries = [];
      for await (const message of readAll(path, options.maxBytes))
        entries.push({
          key: message.key,
          size: "tooLarge" in message ? message.tooLarge : message.raw.length,
        });
      return entries;
    },
    async *fetch(keys) {
      const wanted = new Set(keys);
      for await (const message of readAll(path, options.maxBytes))
        if (!("tooLarge" in message) && wanted.has(message.key)) yield message;
    },
  };
  return {
    description: `mbox ${basename(path)} (${statSync(path).size} bytes)`,
    folders: async () => [folder],
    close: async () => {},
  };
}

/** The file's messages; one too large to hold is listed by its size (the importer reports it as skipped). */
async function* readAll(
  path: string,
  maxBytes: number,
): AsyncGenerator<SourceMessage | { key: string; tooLarge: number }> {
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
  for await (const segment of mboxSegments(stream, maxBytes)) {
    if ("tooLarge" in segment) {
      yield { key: `mbox:${segment.offset}:too-large`, tooLarge: segment.tooLarge };
      continue;
    }
    const message = mboxMessageOf(segment.bytes);
    if (message.raw.length === 0) continue;
    const { raw, flags } = mboxFlags(message.raw);
    const digest = createHash("sha256").update(raw).digest("hex").slice(0, 32);
    yield {
      key: `mbox:${segment.offset}:${digest}`,
      raw,
      flags,
      internalDate: message.internalDate ?? undefined,
    };
  }
}
