/**
 * What a Message Submission Agent completes in a submitted message (RFC 6409 §8): Date (§8.2) and
 * Message-ID (§8.3) when the client left them out. The fields go at the top of the header block;
 * existing fields are never rewritten.
 */
import { randomBytes } from "node:crypto";
import { parseHeaders } from "../mime/mod.ts";
import { rfc5322Date } from "./trace-headers.ts";

/** The header lines to prepend ("" when nothing is missing), each ending in CRLF. */
export function missingSubmissionHeaders(
  message: Uint8Array,
  options: { hostname: string; now: Date },
): string {
  let hasDate = false;
  let hasMessageId = false;
  for (const field of parseHeaders(message, 0, message.length)) {
    const name = field.name.toLowerCase();
    if (name === "date") hasDate = true;
    else if (name === "message-id") hasMessageId = true;
  }
  let out = "";
  if (!hasDate) out += `Date: ${rfc5322Date(options.now)}\r\n`;
  if (!hasMessageId) out += `Message-ID: ${messageId(options.hostname)}\r\n`;
  return out;
}

/** RFC 5322 §3.6.4 msg-id: a unique left part (time + 96 random bits) at our host name. */
export function messageId(hostname: string): string {
  return `<${Date.now().toString(36)}.${randomBytes(12).toString("hex")}@${hostname}>`;
}
