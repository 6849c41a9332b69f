/**
 * One message's FETCH response (RFC 3501 §7.4.2) from its stored row: what each data item says, in
 * the order asked for, plus the items the protocol adds on its own (UID for UID FETCH §6.4.8, FLAGS
 * after an implicit \Seen §6.4.5, MODSEQ once CONDSTORE is on RFC 7162 §3.1.4.1). Also decides what
 * a plan needs read from the store, so nothing unused is loaded.
 */
import { Buffer } from "node:buffer";
import type { MimePart } from "../../mime/mod.ts";
import { envelopeDecode, type FetchRow, parseKeywords, structureDecode } from "../../store/mod.ts";
import { flagList } from "../mailbox-flags.ts";
import { emailId, threadId } from "../object-id.ts";
import { dateTime, type Piece, str } from "../protocol/encode.ts";
import { fetchHead } from "../uid-only.ts";
import { renderBinary } from "./binary.ts";
import { encodeBody } from "./bodystructure.ts";
import { EMPTY_ENVELOPE, encodeEnvelope } from "./envelope.ts";
import type { FetchItem } from "./items.ts";
import { PieceBuilder } from "./pieces.ts";
import { needsOnlyHeader, partialBytes, sectionBytes } from "./sections.ts";

export interface FetchNeeds {
  envelope: boolean;
  structure: boolean;
  /** RFC 8970 PREVIEW: the stored preview. */
  preview: boolean;
  /** The message bytes: none, the top-level header only, or all of them. */
  raw: "none" | "head" | "full";
  /** Where the top-level header ends (RFC822.HEADER and .TEXT, HEADER and TEXT of the message). */
  headerEnd: boolean;
  /** Some item sets \Seen implicitly (RFC 3501 §6.4.5: BODY[...] without .PEEK, RFC822, RFC822.TEXT). */
  setsSeen: boolean;
}

/** What the items without arguments need read (sections and BINARY depend on theirs: below). */
const FIXED_NEEDS: Partial<Record<FetchItem["kind"], Partial<FetchNeeds>>> = {
  ENVELOPE: { envelope: true },
  PREVIEW: { preview: true },
  BODY: { structure: true },
  BODYSTRUCTURE: { structure: true },
  RFC822: { raw: "full", setsSeen: true },
  "RFC822.TEXT": { raw: "full", headerEnd: true, setsSeen: true },
  "RFC822.HEADER": { raw: "head", headerEnd: true },
};

export function fetchNeeds(items: readonly FetchItem[]): FetchNeeds {
  const needs: FetchNeeds = {
    envelope: false,
    structure: false,
    preview: false,
    raw: "none",
    headerEnd: false,
    setsSeen: false,
  };
  const want = (raw: "none" | "head" | "full") => {
    if (needs.raw !== "full" && raw !== "none") needs.raw = raw;
  };
  for (const item of items) {
    const fixed = FIXED_NEEDS[item.kind];
    if (fixed) {
      const { raw, ...flags } = fixed;
      Object.assign(needs, flags);
      if (raw) want(raw);
    } else if (item.kind === "section") {
      if (item.section.path.length > 0) needs.structure = true;
      // BODY[] is the bytes as they are; the message's own HEADER and TEXT cut at its header end.
      else if (item.section.text !== "") needs.headerEnd = true;
      want(needsOnlyHeader(item.section) ? "head" : "full");
      if (!item.peek) needs.setsSeen = true;
    } else if (item.kind === "binary") {
      // RFC 3516 §4.2: decoded from the part's stored offsets; BINARY (not .PEEK) sets \Seen.
      if (item.path.length > 0) needs.structure = true;
      want("full");
      if (!item.peek && !item.size) needs.setsSeen = true;
    }
  }
  return needs;
}

/** The items every response carries, in order: asked-for ones (each once), then the implied ones. */
export function responseItems(
  items: readonly FetchItem[],
  options: { uid: boolean; modseq: boolean; uidOnly?: boolean },
): FetchItem[] {
  const seen = new Set<string>();
  const out: FetchItem[] = [];
  for (const item of items) {
    const key = item.kind === "section" || item.kind === "binary" ? item.label : item.kind;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  // RFC 3501 §6.4.8: UID FETCH responses always include UID (under UIDONLY it heads the response).
  if (options.uid && !options.uidOnly && !seen.has("UID")) out.unshift({ kind: "UID" });
  if (options.modseq && !seen.has("MODSEQ")) out.push({ kind: "MODSEQ" });
  return out;
}

export interface MessageData {
  seq: number;
  row: FetchRow;
  /** The whole message, or only its header, per FetchNeeds.raw. */
  raw: Uint8Array | undefined;
  /** \Seen was just set by this FETCH: FLAGS goes out even if not asked for (§6.4.5). */
  addFlags: boolean;
  /** RFC 9586 §3.3: `uid UIDFETCH (...)` instead of `seq FETCH (...)`. */
  uidOnly?: boolean;
  /** The message is \Recent in this session (RFC 3501 §2.3.2): FLAGS says so. */
  recent?: boolean;
  /** The session takes UTF-8 strings (UTF8=ACCEPT / IMAP4rev2): PREVIEW may go quoted. */
  utf8?: boolean;
}

const EMPTY = new Uint8Array(0);

/** Message data as a literal; an empty result as "" (also what a missing section returns). */
function data(out: PieceBuilder, bytes: Uint8Array): void {
  if (bytes.length === 0) {
    out.add('""');
    return;
  }
  out.add(`{${bytes.length}}\r\n`).add(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** `seq FETCH (...)`, without "* " and CRLF. Stored JSON is parsed once per message, on first use. */
export function renderFetch(items: readonly FetchItem[], message: MessageData): Piece[] {
  const { row } = message;
  const raw = message.raw ?? EMPTY;
  const headerEnd = Math.min(row.headerEnd ?? 0, raw.length);
  let structure: MimePart | undefined;
  const structureOf = (): MimePart | undefined => {
    if (structure === undefined && row.structure !== undefined)
      structure = structureDecode(row.structure, row.structureColumns);
    return structure;
  };
  const out = new PieceBuilder();
  out.add(`${fetchHead(message.seq, row.uid, message.uidOnly ?? false)} (`);
  let first = true;
  let flagsSent = false;
  const all = message.addFlags ? [...items, { kind: "FLAGS" } as const] : items;
  for (const item of all) {
    if (item.kind === "FLAGS") {
      if (flagsSent) continue;
      flagsSent = true;
    }
    if (!first) out.add(" ");
    first = false;
    switch (item.kind) {
      case "UID":
        out.add(`UID ${row.uid}`);
        break;
      case "FLAGS":
        out.add(`FLAGS ${flagList(row.flags, parseKeywords(row.keywords), message.recent === true)}`);
        break;
      case "INTERNALDATE":
        out.add(`INTERNALDATE ${dateTime(row.internalDate)}`);
        break;
      case "RFC822.SIZE":
        out.add(`RFC822.SIZE ${row.size}`);
        break;
      case "MODSEQ":
        out.add(`MODSEQ (${row.modseq})`);
        break;
      // RFC 8514 §4.2: NIL where no save date was kept (messages stored before this server kept one).
      case "SAVEDATE":
        out.add(`SAVEDATE ${row.saveDate === null ? "NIL" : dateTime(row.saveDate)}`);
        break;
      // RFC 8970 §3.1: the text stored at delivery (at most 200 characters, whitespace collapsed;
      // "" when the message has no text to show). UTF-8, so a literal unless it is plain ASCII.
      case "PREVIEW":
        out.add("PREVIEW ").add(str(row.preview ?? "", message.utf8 === true));
        break;
      // RFC 8474 §5.1: one id per stored content, which COPY and MOVE share: stable across both.
      case "EMAILID":
        out.add(`EMAILID (${emailId(row.contentId)})`);
        break;
      // RFC 8474 §5.2
      case "THREADID":
        out.add(`THREADID (${threadId(row.threadId)})`);
        break;
      case "ENVELOPE":
        out.add("ENVELOPE ");
        encodeEnvelope(
          out,
          row.envelope ? envelopeDecode(row.envelope, row.envelopeColumns) : EMPTY_ENVELOPE,
        );
        break;
      case "BODY":
      case "BODYSTRUCTURE": {
        out.add(`${item.kind} `);
        const part = structureOf();
        if (part) encodeBody(out, part, item.kind === "BODYSTRUCTURE");
        else out.add('("TEXT" "PLAIN" NIL NIL NIL "7BIT" 0 0)');
        break;
      }
      case "RFC822":
        out.add("RFC822 ");
        data(out, raw);
        break;
      case "RFC822.HEADER":
        out.add("RFC822.HEADER ");
        data(out, raw.subarray(0, headerEnd));
        break;
      case "RFC822.TEXT":
        out.add("RFC822.TEXT ");
        data(out, raw.subarray(headerEnd));
        break;
      case "section": {
        const bytes = sectionBytes(item.section, raw, headerEnd, structureOf());
        out.add(`${item.label} `);
        data(out, item.partial ? partialBytes(bytes, item.partial.origin, item.partial.length) : bytes);
        break;
      }
      case "binary":
        renderBinary(out, item, raw, structureOf());
        break;
    }
  }
  out.add(")");
  return out.pieces;
}
