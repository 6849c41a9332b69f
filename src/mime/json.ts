/**
 * The REST API view of a message: decoded headers, addresses, the readable
 * bodies and the attachment list, computed from the stored parse plus the
 * bytes it points at (no re-parse of the structure): the header and the few
 * bodies the view shows, which the store reads by offset.
 */

import { plainAddresses } from "./address.ts";
import { decodeMimeWords } from "./encoded-words.ts";
import { MAX_FIELDS, parseHeaders } from "./headers.ts";
import { chooseBodies, decodeBody, filenameOf, partBody } from "./parts.ts";
import { base64DecodedSize } from "./transfer.ts";
import type { MessageJson, MimePart, ParsedMessage } from "./types.ts";

/**
 * Where messageJson() gets bytes from: the top-level header block [0, headerEnd), and the body
 * [bodyStart, end) of each part messageJsonParts() names. The whole message will do
 * (messageToJson), and so will just those slices read from the store by their offsets.
 */
export interface MessageBytes {
  header: Uint8Array;
  body(part: MimePart): Uint8Array;
}

/** The stored parse results messageJson() reads (everything but the listing and search fields). */
export type MessageParse = Pick<ParsedMessage, "headerEnd" | "envelope" | "structure" | "subject" | "date">;

/**
 * The parts whose bodies messageJson() reads: the text and HTML bodies it decodes, and the base64
 * attachments whose decoded size it counts. Nothing else of the body is needed.
 */
export function messageJsonParts(structure: MimePart): MimePart[] {
  const bodies = chooseBodies(structure);
  return [
    ...(bodies.text ? [bodies.text] : []),
    ...(bodies.html ? [bodies.html] : []),
    ...bodies.attachments.filter((part) => part.encoding === "BASE64"),
  ];
}

/**
 * Attachment size: the decoded size for base64 (counted exactly, without
 * decoding) and for 7bit/8bit/binary (the same as encoded); the encoded size
 * for quoted-printable and anything else, where counting would mean decoding.
 */
function attachmentSize(bytes: MessageBytes, part: MimePart): number {
  if (part.encoding === "BASE64") return base64DecodedSize(bytes.body(part));
  return part.size;
}

/** A header block's fields in order, values unfolded and RFC 2047-decoded. */
export function headerFieldsJson(header: Uint8Array): MessageJson["headers"] {
  const fields = parseHeaders(header, 0, header.length, MAX_FIELDS);
  return fields.map((f) => ({ name: f.name, value: decodeMimeWords(f.value) }));
}

/** The REST view of a message from its parse and the bytes messageJsonParts() asks for; no re-parse. */
export function messageJson(parsed: MessageParse, bytes: MessageBytes): MessageJson {
  const bodies = chooseBodies(parsed.structure);
  const env = parsed.envelope;
  const filename = (part: MimePart): string | null => {
    const name = filenameOf(part);
    // RFC 2047 words inside parameters are not standard (RFC 2047 §5) but common; RFC 2231 is already decoded.
    return name === null ? null : decodeMimeWords(name);
  };
  return {
    headers: headerFieldsJson(bytes.header),
    from: plainAddresses(env.from),
    to: plainAddresses(env.to),
    cc: plainAddresses(env.cc),
    subject: parsed.subject,
    date: parsed.date === null ? null : new Date(parsed.date).toISOString(),
    messageId: env.messageId,
    text: bodies.text ? decodeBody(bytes.body(bodies.text), bodies.text) : null,
    html: bodies.html ? decodeBody(bytes.body(bodies.html), bodies.html) : null,
    attachments: bodies.attachments.map((part) => ({
      partId: part.partId,
      filename: filename(part),
      contentType: `${part.type}/${part.subtype}`,
      size: attachmentSize(bytes, part),
      disposition: part.disposition?.type ?? null,
      contentId: part.id,
    })),
  };
}

/** messageJson() over the whole message in memory (tests, fuzzing). */
export function messageToJson(raw: Uint8Array, parsed: MessageParse): MessageJson {
  return messageJson(parsed, {
    header: raw.subarray(0, parsed.headerEnd),
    body: (part) => partBody(raw, part),
  });
}
