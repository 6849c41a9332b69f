/**
 * The trace headers a delivering MTA prepends (RFC 5321 §4.4): Return-Path with the envelope sender
 * and a Received line naming who handed us the message, how (RFC 3848 "with" keywords) and when;
 * and counting the Received lines a message already carries, for loop detection (RFC 5321 §6.3).
 */
import { headerEnd, parseHeaders } from "../mime/mod.ts";

/** Received: fields in the message's header (RFC 5321 §6.3 loop detection); the body's do not count. */
export function receivedCount(raw: Uint8Array): number {
  let n = 0;
  for (const field of parseHeaders(raw, 0, headerEnd(raw))) if (field.name.toLowerCase() === "received") n++;
  return n;
}

/** RFC 5322 §3.3 date-time, e.g. "Thu, 26 Nov 2026 23:37:52 +0000". */
export function rfc5322Date(date: Date): string {
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${days[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * Strips what could break a header line or smuggle another header (CR, LF, other controls, C1
 * controls). Outside an SMTPUTF8 transaction a header field is ASCII (RFC 5322 §2.2; RFC 6532 allows
 * UTF-8 only in messages sent with SMTPUTF8), so anything else becomes "?"; U+FFFD, the mark of bytes
 * that were not UTF-8, becomes "?" always. The envelope was validated before (smtputf8.ts): this is
 * the last line of defence, not the rule.
 */
function clean(value: string, utf8: boolean): string {
  const text = value
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ")
    .replace(/\uFFFD/g, "?")
    .trim()
    .slice(0, 255);
  return utf8 ? text : text.replace(/[^\u0000-\u007f]/gu, "?");
}

export interface TraceInput {
  /** Envelope sender; "" for the null reverse-path of bounces. */
  mailFrom: string;
  /** The name the client gave in HELO/EHLO. */
  helo: string;
  clientAddress: string;
  clientHostname: string;
  /** Our host name. */
  by: string;
  /** RFC 3848 protocol: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA, UTF8SMTP... */
  protocol: string;
  id: string;
  /** Named in a "for" clause only when there is exactly one (RFC 5321 §4.4: it may reveal Bcc recipients otherwise). */
  recipients: string[];
  date: Date;
  /** An SMTPUTF8 transaction (RFC 6531): UTF-8 may appear in these fields; otherwise ASCII only. */
  utf8: boolean;
  /**
   * Our Authentication-Results field (RFC 8601), whole and CRLF-terminated: a trace field too, it
   * goes above our Received, so that everything above that line is visibly ours.
   */
  authenticationResults?: string;
}

export function traceHeaders(input: TraceInput): string {
  const c = (value: string) => clean(value, input.utf8);
  const from = c(input.helo) || "unknown";
  const peer =
    input.clientHostname && !input.clientHostname.startsWith("[") ? `${c(input.clientHostname)} ` : "";
  const forClause = input.recipients.length === 1 ? `\r\n\tfor <${c(input.recipients[0]!)}>` : "";
  return (
    `Return-Path: <${c(input.mailFrom)}>\r\n` +
    (input.authenticationResults ?? "") +
    `Received: from ${from} (${peer}[${c(input.clientAddress)}])\r\n` +
    `\tby ${input.by} (Mailroom) with ${input.protocol} id ${input.id}${forClause};\r\n` +
    `\t${rfc5322Date(input.date)}\r\n`
  );
}
