/**
 * Delivery status notifications (RFC 3464) for failed deliveries: a multipart/report
 * (RFC 6522; report-type=delivery-status) with a human-readable part, the machine-readable
 * message/delivery-status part, and the original message or only its header, as RFC 3461 RET asks.
 * Pure: facts in, bytes out.
 */
import { randomBytes } from "node:crypto";
import { headerEnd } from "../../mime/mod.ts";
import { rfc5322Date } from "../trace-headers.ts";

export interface DsnRecipient {
  /** The address we tried (Final-Recipient). */
  recipient: string;
  /** RFC 3461 ORCPT as received: "rfc822;addr" (smtp-server has already undone the xtext). */
  orcpt?: string | null;
  /** RFC 3463 status, e.g. "5.1.1" or "4.4.7". */
  status: string;
  /** The host that gave the reply (Remote-MTA), when there was one. */
  remoteMta?: string | null;
  /** The remote server's SMTP reply ("550 5.1.1 no such user"), when there was one. */
  reply?: string | null;
  /** Our own explanation when no server replied (null MX, expiry, connection refused...). */
  detail?: string | null;
  lastAttempt?: Date | null;
  /**
   * RFC 3464 §2.3.3: "failed" (the default), "delayed" (still being retried, RFC 3461 NOTIFY=DELAY),
   * "delivered" (into a local mailbox) or "relayed" (handed to a server without DSN, RFC 3461 §5.2.2.1).
   */
  action?: "failed" | "delayed" | "delivered" | "relayed";
  /** RFC 3464 §2.3.7: for "delayed", when we give up. */
  willRetryUntil?: Date | null;
}

export interface DsnInput {
  /** Our host name: Reporting-MTA, the From address's domain, the Message-ID's right-hand side. */
  reportingMta: string;
  /** The original envelope sender: where the DSN goes. */
  sender: string;
  /** RFC 3461 ENVID (xtext already undone), echoed as Original-Envelope-Id. */
  envid?: string | null;
  /** RFC 3461 RET: "HDRS" returns the header only; "FULL" or nothing returns the whole message. */
  ret?: string | null;
  arrivalDate: Date;
  original: Uint8Array;
  recipients: DsnRecipient[];
  /** For tests: fixed values instead of now / random. */
  date?: Date;
  boundary?: string;
  messageId?: string;
}

/** Strips line breaks and controls from a value that goes into a header field. */
function oneLine(value: string): string {
  return value
    .replace(/\r?\n[ \t]*/g, " ")
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .trim();
}

/** RFC 3464 §2.3.1: ORCPT's "rfc822;addr" as "rfc822; addr". */
function originalRecipient(orcpt: string): string | undefined {
  const semi = orcpt.indexOf(";");
  if (semi <= 0) return undefined;
  const type = orcpt.slice(0, semi).trim();
  const address = oneLine(orcpt.slice(semi + 1).trim());
  return address ? `${type}; ${address}` : undefined;
}

function has8bit(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return true;
  return false;
}

type Action = NonNullable<DsnRecipient["action"]>;

/** The notice's kind: one DSN reports one action (callers group recipients by it). */
function actionOf(input: DsnInput): Action {
  return input.recipients[0]?.action ?? "failed";
}

const SUBJECTS: Record<Action, string> = {
  failed: "Undelivered Mail Returned to Sender",
  delayed: "Delayed Mail (still being retried)",
  delivered: "Successful Mail Delivery Report",
  relayed: "Successful Mail Delivery Report",
};

function intro(input: DsnInput): string {
  switch (actionOf(input)) {
    case "delayed":
      return "Your message has not been delivered yet to these recipients. It is still being retried; you do not need to send it again:";
    case "delivered":
      return "Your message was delivered to these recipients:";
    case "relayed":
      return "Your message was handed on to a mail server that does not send delivery reports; this is the last report for these recipients:";
    default:
      return input.recipients.some((r) => r.status === "4.4.7")
        ? "Your message could not be delivered in the time allowed; delivery to these recipients was given up:"
        : "Your message could not be delivered to one or more recipients. It was returned for these:";
  }
}

/** The human-readable explanation (RFC 3464 §2: the first part of the report). */
function humanText(input: DsnInput): string {
  const lines = [`This is the mail system at ${input.reportingMta}.`, "", intro(input), ""];
  for (const r of input.recipients) {
    lines.push(`<${r.recipient}>:`);
    const why = r.reply ? `${r.remoteMta ? `${r.remoteMta} said: ` : ""}${oneLine(r.reply)}` : r.detail;
    lines.push(`    ${oneLine(why ?? `status ${r.status}`)}`);
    lines.push("");
  }
  return lines.join("\r\n");
}

/** The message/delivery-status body (RFC 3464 §2.2, §2.3): per-message fields, then one block per recipient. */
function statusFields(input: DsnInput): string {
  const blocks: string[][] = [];
  const message = [`Reporting-MTA: dns; ${input.reportingMta}`];
  if (input.envid) message.push(`Original-Envelope-Id: ${oneLine(input.envid)}`);
  message.push(`Arrival-Date: ${rfc5322Date(input.arrivalDate)}`);
  blocks.push(message);
  for (const r of input.recipients) {
    const block: string[] = [];
    const original = r.orcpt ? originalRecipient(r.orcpt) : undefined;
    if (original) block.push(`Original-Recipient: ${original}`);
    block.push(`Final-Recipient: rfc822; ${oneLine(r.recipient)}`);
    block.push(`Action: ${r.action ?? "failed"}`);
    block.push(`Status: ${r.status}`);
    if (r.remoteMta) block.push(`Remote-MTA: dns; ${oneLine(r.remoteMta)}`);
    if (r.reply) block.push(`Diagnostic-Code: smtp; ${oneLine(r.reply)}`);
    else if (r.detail) block.push(`Diagnostic-Code: X-Mailroom; ${oneLine(r.detail)}`);
    if (r.lastAttempt) block.push(`Last-Attempt-Date: ${rfc5322Date(r.lastAttempt)}`);
    if (r.willRetryUntil) block.push(`Will-Retry-Until: ${rfc5322Date(r.willRetryUntil)}`);
    blocks.push(block);
  }
  return `${blocks.map((b) => b.join("\r\n")).join("\r\n\r\n")}\r\n`;
}

/** Builds the whole DSN message, ready to store or send. */
export function dsnBuild(input: DsnInput): Uint8Array {
  const boundary = input.boundary ?? `=_mailroom_dsn_${randomBytes(12).toString("hex")}`;
  const date = input.date ?? new Date();
  const messageId =
    input.messageId ?? `<${Date.now().toString(36)}.${randomBytes(8).toString("hex")}@${input.reportingMta}>`;
  const headersOnly = (input.ret ?? "").toUpperCase() === "HDRS";
  const returned = headersOnly ? input.original.subarray(0, headerEnd(input.original)) : input.original;
  const text = humanText(input);

  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${input.reportingMta}>`,
    `To: <${oneLine(input.sender)}>`,
    `Subject: ${SUBJECTS[actionOf(input)]}`,
    `Date: ${rfc5322Date(date)}`,
    `Message-ID: ${messageId}`,
    // RFC 3834 §5: an automatic reply; mail filters and vacation responders must not answer it.
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"`,
    "",
    "This is a MIME-encapsulated delivery status notification.",
    "",
    `--${boundary}`,
    "Content-Description: Notification",
    "Content-Type: text/plain; charset=utf-8",
    `Content-Transfer-Encoding: ${has8bit(Buffer.from(text, "utf8")) ? "8bit" : "7bit"}`,
    "",
    text,
    `--${boundary}`,
    "Content-Description: Delivery report",
    "Content-Type: message/delivery-status",
    "",
    statusFields(input),
    `--${boundary}`,
    `Content-Description: ${actionOf(input) === "failed" ? "Undelivered message" : "Message"}${headersOnly ? " headers" : ""}`,
    headersOnly ? "Content-Type: text/rfc822-headers" : "Content-Type: message/rfc822",
    // RFC 2046 §5.2.1: message/rfc822 may only be 7bit, 8bit or binary.
    `Content-Transfer-Encoding: ${has8bit(returned) ? "8bit" : "7bit"}`,
    "",
    "",
  ].join("\r\n");
  const endsWithBreak = returned.length > 0 && returned[returned.length - 1] === 0x0a;
  const tail = `${endsWithBreak ? "" : "\r\n"}--${boundary}--\r\n`;
  return Buffer.concat([Buffer.from(head, "utf8"), returned, Buffer.from(tail, "utf8")]);
}
