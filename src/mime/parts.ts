/**
 * Navigating a parsed structure: IMAP section lookup, body bytes, and which
 * parts are the readable text/HTML bodies versus attachments.
 */

import { decodeCharset } from "./charset.ts";
import { decodeTransfer } from "./transfer.ts";
import type { MimePart } from "./types.ts";

/** The raw (still transfer-encoded) body bytes of a part; a view, not a copy. */
export function partBody(raw: Uint8Array, part: MimePart): Uint8Array {
  return raw.subarray(part.bodyStart, part.end);
}

/** A part's body with its transfer encoding and charset decoded, reading at most `maxBytes` of it. */
export function bodyText(raw: Uint8Array, part: MimePart, maxBytes = Number.POSITIVE_INFINITY): string {
  let body = partBody(raw, part);
  if (body.length > maxBytes) body = body.subarray(0, maxBytes);
  return decodeBody(body, part);
}

/** A part's body bytes (as partBody() gives them) with its transfer encoding and charset decoded. */
export function decodeBody(body: Uint8Array, part: MimePart): string {
  return decodeCharset(decodeTransfer(body, part.encoding), part.params.charset);
}

/**
 * Finds a part by IMAP section number (RFC 3501 §6.4.5). Part ids are
 * assigned so that a message/rfc822 part "2" holds its encapsulated body as
 * "2" (multipart, children "2.1", ...) or "2.1" (single part); searching
 * depth-first, outer first, returns the message/rfc822 part itself for "2".
 */
export function findPart(structure: MimePart, partId: string): MimePart | undefined {
  let node: MimePart | undefined = structure;
  while (node) {
    if (node.partId === partId) return node;
    const inside: MimePart = node;
    const candidates = inside.message ? [inside.message.body] : inside.children;
    node = candidates.find(
      (c) => c.partId === partId || partId.startsWith(`${c.partId}.`) || c.partId === "",
    );
  }
  return undefined;
}

/** Calls visit for every leaf (a part without children), optionally descending into encapsulated messages. */
export function forEachLeaf(
  part: MimePart,
  visit: (leaf: MimePart, parent: MimePart | null) => void,
  intoMessages: boolean,
  parent: MimePart | null = null,
): void {
  if (part.children.length > 0) {
    for (const child of part.children) forEachLeaf(child, visit, intoMessages, part);
  } else if (intoMessages && part.message) {
    forEachLeaf(part.message.body, visit, intoMessages, part);
  } else {
    visit(part, parent);
  }
}

/** RFC 2183 filename, else the RFC 2045-era Content-Type name parameter. */
export function filenameOf(part: MimePart): string | null {
  return part.disposition?.params.filename ?? part.params.name ?? null;
}

/**
 * Whether a leaf is something a user would call an attachment. RFC 2183 §2.8
 * says an unknown disposition is treated as "attachment"; without any
 * disposition, plain or HTML text without a filename is body text, and a part
 * with a Content-ID inside multipart/related is an embedded resource
 * (RFC 2387), not an attachment.
 */
function isAttachmentLike(part: MimePart, parent: MimePart | null): boolean {
  const disposition = part.disposition?.type;
  if (disposition === "inline") return false;
  if (disposition !== undefined) return true;
  if (part.type === "multipart") return false;
  if (
    part.type === "text" &&
    (part.subtype === "plain" || part.subtype === "html") &&
    filenameOf(part) === null
  ) {
    return false;
  }
  if (parent?.type === "multipart" && parent.subtype === "related" && part.id !== null) return false;
  return true;
}

export interface Bodies {
  text: MimePart | null;
  html: MimePart | null;
  attachments: MimePart[];
}

/**
 * The first text/plain and first text/html body of the message (not looking
 * inside attached messages), and the attachment-like leaves that are not one
 * of those two bodies. A message/rfc822 part is itself one leaf here.
 */
export function chooseBodies(structure: MimePart): Bodies {
  const result: Bodies = { text: null, html: null, attachments: [] };
  forEachLeaf(
    structure,
    (leaf, parent) => {
      const attachment = isAttachmentLike(leaf, parent);
      if (!attachment && leaf.type === "text" && leaf.subtype === "plain" && result.text === null) {
        result.text = leaf;
      } else if (!attachment && leaf.type === "text" && leaf.subtype === "html" && result.html === null) {
        result.html = leaf;
      } else if (attachment) {
        result.attachments.push(leaf);
      }
    },
    false,
  );
  return result;
}
