/**
 * DATA (RFC 5321 §4.1.1.4): spool the message within the size limit, check it (from clients without
 * AUTH on port 25: authenticate it, authentication/, then the spam defence, defence/, which sees the
 * authentication results), prepend trace headers, parse it once, and in one durable transaction store
 * it into every local recipient's INBOX (or Junk) and queue it for every remote one (a single stored
 * content shared by both). The 250 goes out only after that transaction committed: a crash after the
 * 250 cannot lose the message.
 */
import type { SMTPServerDataStream, SMTPServerSession } from "smtp-server";
import { LineEndings, parseMessage } from "../mime/mod.ts";
import { messageIngest, type QueueInput, type Spool, SpoolDir, StoreError } from "../store/mod.ts";
import { catchTargets } from "./catch.ts";
import { type SmtpContext, type SmtpUser, sessionUser, transaction } from "./context.ts";
import { defenceDecide, defenceScan, defenceTargets, spamAuth } from "./defence/content.ts";
import { deliveredNotices, sendNotices } from "./delivery/notices.ts";
import { hookFailure } from "./hook-failure.ts";
import { SMTP_LIMITS } from "./limits.ts";
import { reply } from "./replies.ts";
import { senderOwnership } from "./sender-lookup.ts";
import { checkHeaderSenders, headerSenders } from "./sender-rules.ts";
import { readSpooled } from "./spooled.ts";
import { missingSubmissionHeaders } from "./submission-headers.ts";
import { receivedCount, traceHeaders } from "./trace-headers.ts";

type Callback = (err?: Error | null, message?: string) => void;

export function onData(ctx: SmtpContext) {
  return (stream: SMTPServerDataStream, session: SMTPServerSession, callback: Callback): void => {
    // To a spool file as it arrives, never into memory: a connection holds a bounded number of bytes
    // whatever the message size (100 unfinished 20 MB transfers once took the server to 2 GB).
    const spool = (ctx.spool ?? SpoolDir.temporary()).create();
    let length = 0;
    // RFC 5322 §2.3 (issue 9): a bare CR or LF is refused, or made CRLF, on the bytes as they arrive,
    // before the sender check, the parser or the store sees them: one view of the message for all.
    const lines = new LineEndings(ctx.bareNewline ?? "reject");
    const refused = () => lines.policy === "reject" && lines.sawBare;
    const keep = (chunk: Uint8Array) => {
      length += chunk.length;
      // Past the limit, or once refused, keep draining the socket but stop writing.
      if (length <= ctx.maxMessageSize && !refused()) spool.write(chunk);
    };
    stream.on("data", (chunk: Buffer) => keep(lines.push(chunk)));
    stream.once("error", (error) => {
      void spool.discard();
      callback(error);
    });
    stream.once("end", () => {
      keep(lines.end());
      if (stream.sizeExceeded || length > ctx.maxMessageSize) {
        void spool.discard();
        return callback(reply.messageTooBig(ctx.maxMessageSize));
      }
      if (refused()) {
        void spool.discard();
        ctx.log.warn("smtp.bare_newline", { session: session.id, client: session.remoteAddress });
        return callback(reply.bareNewline());
      }
      const failed = hookFailure(ctx, session, "smtp.data_failed", callback);
      readSpooled(ctx, session, spool, (body) => deliver(ctx, session, body, spool)).then(
        ({ text, queued }) => {
          callback(null, text);
          // Committed and acknowledged: the runner may start on it now rather than at its next timer.
          if (queued) ctx.queue.kick();
        },
        (error: unknown) => {
          void spool.discard();
          failed(error);
        },
      );
    });
  };
}

async function deliver(
  ctx: SmtpContext,
  session: SMTPServerSession,
  received: Buffer,
  spool: Spool,
): Promise<{ text: string; queued: boolean }> {
  if (receivedCount(received) > SMTP_LIMITS.maxReceivedHeaders) throw reply.loopDetected();

  const user = sessionUser(session);
  if (user) await checkFromHeader(ctx, session, user, received);
  // Issue 11, port 25 without AUTH: SPF, DKIM, DMARC, ARC (authentication/). They may refuse the
  // message (the SmtpReply is thrown); forged Authentication-Results are gone from `body`, which is
  // what the spam check sees and what is stored.
  // Issue 16: test mail (catch mode, only namespace recipients) is checked and the results kept, but
  // never refused, deferred or put in Junk for them, and gets no spam verdict or greylisting: a test
  // must find every message it sent, at once, and can still read what a real receiver would decide.
  const state = transaction(session.envelope);
  const testMail =
    state.remote.size === 0 &&
    ctx.catching !== undefined &&
    (await ctx.catching.testMail(ctx.store.read, [...state.local.keys()]));
  const checked = user
    ? undefined
    : await ctx.authentication?.check(session, received, { enforce: !testMail });
  const body = checked?.body ?? received;

  // Issue 14, after the authentication: rspamd gets the message with our Authentication-Results on
  // top, the built-in score and greylisting get the results; then the verdict and its X-Spam-* fields.
  const scan = testMail
    ? undefined
    : await defenceScan(ctx, session, {
        spool,
        ...(checked ? { message: [Buffer.from(checked.field, "utf8"), body] } : {}),
      });
  const spam = await defenceDecide(ctx, session, scan, { message: body, auth: spamAuth(checked?.results) });
  const message = spam?.message ?? [body];
  // A DMARC quarantine (RFC 7489 §6.3 p=quarantine) or a junk verdict: Junk, with $Junk.
  const junk = checked?.junk === true || spam?.junk === true;

  const local = state.local;
  const remote = [...state.remote.values()];
  const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
  const now = new Date();
  const trace = traceHeaders({
    mailFrom,
    helo: session.hostNameAppearsAs || "",
    clientAddress: session.remoteAddress,
    clientHostname: session.clientHostname,
    by: ctx.hostname,
    // RFC 3848: ESMTPA once authenticated; smtp-server's transmissionType already says so.
    protocol: session.envelope.smtpUtf8
      ? session.transmissionType.replace("ESMTP", "UTF8SMTP")
      : session.transmissionType,
    id: session.id,
    recipients: [...local.keys(), ...remote.map((r) => r.address)],
    date: now,
    utf8: session.envelope.smtpUtf8 === true,
    ...(checked ? { authenticationResults: checked.field } : {}),
  });
  // RFC 6409 §8.2, §8.3: the MSA completes what the client left out, below our trace fields.
  const completed =
    ctx.mode === "submission" ? missingSubmissionHeaders(body, { hostname: ctx.hostname, now }) : "";
  let raw: Uint8Array = Buffer.concat([Buffer.from(trace + completed, "utf8"), ...message]);
  // Issue 11: mail leaving for remote recipients is made 7-bit and DKIM-signed once, before it is stored.
  if (user && remote.length > 0 && ctx.signOutgoing) raw = await ctx.signOutgoing(raw);
  const parsed = parseMessage(raw);

  // One message per account, however many of its addresses (aliases, +tags) were named.
  const accountIds = [...new Set([...local.values()].flat().map((a) => a.id))];
  // Checked mail finds (or creates) each account's Junk inside the write; other mail as the defence says.
  const targets = checked ? undefined : await defenceTargets(ctx, accountIds, spam);
  const dsn = session.envelope.dsn;
  const queue: QueueInput | undefined =
    remote.length > 0
      ? {
          sender: mailFrom,
          recipients: remote,
          ret: dsn?.ret ?? null,
          envid: dsn?.envid ?? null,
          accountId: user?.accountId ?? null,
          // RFC 8689 §4.1 and RFC 6531 §3.4: what the next hop must honour.
          requireTls: session.envelope.requireTLS === true,
          smtpUtf8: session.envelope.smtpUtf8 === true,
        }
      : undefined;
  // RFC 3461 NOTIFY=SUCCESS on a local recipient: a "delivered" notice, committed with the message
  // (none in catch mode, where nothing leaves the server).
  const notices = ctx.catching?.all
    ? []
    : deliveredNotices({
        rcptTo: session.envelope.rcptTo,
        local: new Set(local.keys()),
        sender: mailFrom,
        envid: dsn?.envid ?? null,
        arrivalDate: now,
        hostname: ctx.hostname,
      });
  try {
    // RFC 5321 §4.5.3.1.10 / RFC 3463 X.2.2: the RCPT check knew only the declared SIZE (or none),
    // so the quota is checked again on the real size inside the ingest transaction, where parallel
    // deliveries cannot all pass it. One full mailbox refuses the message for every recipient
    // (452: the client retries them all later); delivering to the others would lose it for this one.
    let noticeQueued = false;
    const added = await ctx.store.write(async (w) => {
      const into = targets ?? (await checked!.targets(w, accountIds, junk));
      // Issue 16: accounts this message creates (catch mode, namespaces), in this same transaction.
      const caught = await catchTargets(w, ctx, session, accountIds);
      const all = [...into, ...caught];
      const stored = await messageIngest(w, { raw, parsed, targets: all, queue, enforceQuota: true });
      if (checked) await checked.persist(w, stored);
      if (notices.length > 0)
        noticeQueued =
          (await sendNotices(w, notices, { hostname: ctx.hostname, original: raw, sign: ctx.signNotice }))
            .queued > 0;
      return stored;
    });
    ctx.log.info(queue ? "smtp.queued" : "smtp.delivered", {
      session: session.id,
      from: mailFrom,
      to: [...local.keys()],
      remote: remote.map((r) => r.address),
      account: user?.address,
      size: raw.byteLength,
      ids: added.map((m) => m.id),
    });
    return {
      text: `Ok: ${queue ? "queued" : "delivered"} as ${session.id}`,
      queued: queue !== undefined || noticeQueued,
    };
  } catch (error) {
    if (error instanceof StoreError && error.code === "over_quota") throw reply.mailboxFull();
    ctx.log.error("smtp.delivery_failed", { session: session.id, error });
    // Disk full, I/O error, database locked: nothing was committed, and the client will retry.
    throw reply.storageFailure();
  }
}

/** RFC 6409 §6.1: an authenticated user's message must be from one of its own addresses. */
async function checkFromHeader(
  ctx: SmtpContext,
  session: SMTPServerSession,
  user: SmtpUser,
  body: Buffer,
): Promise<void> {
  const senders = headerSenders(body);
  const { own, inUse } = await senderOwnership(ctx.store.read, user.accountId, senders.addresses, {
    own: transaction(session.envelope).senders,
  });
  const check = checkHeaderSenders(senders, own, inUse);
  if (check.ok) return;
  ctx.log.warn("smtp.from_denied", {
    session: session.id,
    client: session.remoteAddress,
    account: user.address,
    from: check.reason === "not-owned" ? check.address : null,
  });
  throw check.reason === "missing" ? reply.noFromHeader() : reply.fromNotOwned(check.address);
}
