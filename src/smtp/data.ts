/**
 * DATA (RFC 5321 §4.1.1.4): read the message within the size limit, prepend trace headers, parse it
 * once, and store it into every recipient's INBOX in one durable transaction. The 250 goes out only
 * after that transaction committed: a crash after the 250 cannot lose the message.
 */
import type { SMTPServerDataStream, SMTPServerSession } from "smtp-server";
import { parseHeaders, parseMessage } from "../mime/mod.ts";
import { messageIngest, StoreError } from "../store/mod.ts";
import { acceptedRecipients, type SmtpContext } from "./context.ts";
import { reply } from "./replies.ts";
import { traceHeaders } from "./trace-headers.ts";

type Callback = (err?: Error | null, message?: string) => void;

/** RFC 5321 §6.3: a message that has passed this many relays is looping. */
const MAX_RECEIVED_HEADERS = 30;

export function onData(ctx: SmtpContext) {
  return (stream: SMTPServerDataStream, session: SMTPServerSession, callback: Callback): void => {
    const chunks: Buffer[] = [];
    let length = 0;
    stream.on("data", (chunk: Buffer) => {
      // Past the limit keep draining the socket but stop buffering: memory stays bounded.
      if (length + chunk.length <= ctx.maxMessageSize) chunks.push(chunk);
      length += chunk.length;
    });
    stream.once("error", (error) => callback(error));
    stream.once("end", () => {
      if (stream.sizeExceeded || length > ctx.maxMessageSize)
        return callback(reply.messageTooBig(ctx.maxMessageSize));
      deliver(ctx, session, Buffer.concat(chunks, length)).then(
        (text) => callback(null, text),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    });
  };
}

async function deliver(ctx: SmtpContext, session: SMTPServerSession, body: Buffer): Promise<string> {
  const received = countReceived(body);
  if (received > MAX_RECEIVED_HEADERS) throw reply.loopDetected();

  const recipients = acceptedRecipients(session.envelope);
  const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
  const trace = traceHeaders({
    mailFrom,
    helo: session.hostNameAppearsAs || "",
    clientAddress: session.remoteAddress,
    clientHostname: session.clientHostname,
    by: ctx.hostname,
    protocol: session.envelope.smtpUtf8
      ? session.transmissionType.replace("ESMTP", "UTF8SMTP")
      : session.transmissionType,
    id: session.id,
    recipients: [...recipients.keys()],
    date: new Date(),
  });
  const raw = Buffer.concat([Buffer.from(trace, "utf8"), body]);
  const parsed = parseMessage(raw);

  // One message per account, however many of its addresses (aliases, +tags) were named.
  const accountIds = [...new Set([...recipients.values()].flat().map((a) => a.id))];
  try {
    const targets = accountIds.map((accountId) => ({ accountId, mailboxName: "INBOX" }));
    const added = await ctx.store.write((w) => messageIngest(w, { raw, parsed, targets }));
    ctx.log.info("smtp.delivered", {
      session: session.id,
      from: mailFrom,
      to: [...recipients.keys()],
      size: raw.byteLength,
      ids: added.map((m) => m.id),
    });
    return `Ok: delivered as ${session.id}`;
  } catch (error) {
    if (error instanceof StoreError && error.code === "over_quota") throw reply.mailboxFull();
    ctx.log.error("smtp.delivery_failed", { session: session.id, error });
    // Disk full, I/O error, database locked: nothing was committed, and the client will retry.
    throw reply.storageFailure();
  }
}

function countReceived(body: Buffer): number {
  const headerEnd = findHeaderEnd(body);
  let n = 0;
  for (const field of parseHeaders(body, 0, headerEnd)) if (field.name.toLowerCase() === "received") n++;
  return n;
}

function findHeaderEnd(body: Buffer): number {
  const crlf = body.indexOf("\r\n\r\n");
  const lf = body.indexOf("\n\n");
  if (crlf === -1 && lf === -1) return body.length;
  if (crlf === -1) return lf + 2;
  if (lf === -1) return crlf + 4;
  return Math.min(crlf + 4, lf + 2);
}
