/**
 * The REST API view of a message: decoded headers, addresses, the readable
 * bodies and the attachment list, computed from the stored parse plus the raw
 * bytes (no re-parse of the structure).
 */

import { plainAddresses } from "./address.ts";
import { decodeMimeWords } from "./encoded-words.ts";
import { MAX_FIELDS, parseHeaders } from "./headers.ts";
import { bodyText, chooseBodies, filenameOf, partBody } from "./parts.ts";
import { base64DecodedSize } from "./transfer.ts";
import type { MessageJson, MimePart, ParsedMessage } from "./types.ts";

/**
 * Attachment size: the decoded size for base64 (counted exactly, without
 * decoding) and for 7bit/8bit/binary (the same as encoded); the encoded size
 * for quoted-printable and anything else, where counting would mean decoding.
 */
function attachmentSize(raw: Uint8Array, part: MimePart): number {
  if (part.encoding === "BASE64") return base64DecodedSize(partBody(raw, part));
  return part.size;
}

export function messageToJson(raw: Uint8Array, parsed: ParsedMessage): MessageJson {
  const fields = parseHeaders(raw, 0, parsed.headerEnd, MAX_FIELDS);
  const bodies = chooseBodies(parsed.structure);
  const env = parsed.envelope;
  const filename = (part: MimePart): string | null => {
    const name = filenameOf(part);
    // RFC 2047 words inside parameters are not standard (RFC 2047 §5) but common; RFC 2231 is already decoded.
    return name === null ? null : decodeMimeWords(name);
  };
  return {
    headers: fields.map((f) => ({ name: f.name, value: decodeMimeWords(f.value) })),
    from: plainAddresses(env.from),
    to: plainAddresses(env.to),
    cc: plainAddresses(env.cc),
    subject: parsed.subject,
    date: parsed.date === null ? null : new Date(parsed.date).toISOString(),
    messageId: env.messageId,
    text: bodies.text ? bodyText(raw, bodies.text) : null,
    html: bodies.html ? bodyText(raw, bodies.html) : null,
    attachments: bodies.attachments.map((part) => ({
      partId: part.partId,
      filename: filename(part),
      contentType: `${part.type}/${part.subtype}`,
      size: attachmentSize(raw, part),
      disposition: part.disposition?.type ?? null,
      contentId: part.id,
    })),
  };
}
