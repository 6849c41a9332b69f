/**
 * MAIL FROM (RFC 5321 §4.1.1.2): the reverse-path. Empty (<>) is the null sender of bounces.
 * From an unauthenticated client the sender is informational (inbound mail); from an authenticated
 * one it must be an address the account owns (RFC 6409 §6.1), and never <>.
 */
import type { SMTPServerAddress, SMTPServerSession } from "smtp-server";
import { type SmtpContext, sessionUser, transaction } from "./context.ts";
import { defenceMail } from "./defence/envelope.ts";
import { hookFailure } from "./hook-failure.ts";
import { reply } from "./replies.ts";
import { senderOwnership } from "./sender-lookup.ts";
import { senderAllowed } from "./sender-rules.ts";
import { envelopeUtf8Refusal } from "./smtputf8.ts";

type Callback = (err?: Error | null) => void;

// Loose on purpose: the sender is informational for inbound mail; we only refuse what could not be an address.
const SENDER = /^[^\s<>@]+@[^\s<>@]+$/u;

export function onMailFrom(ctx: SmtpContext) {
  return (address: SMTPServerAddress, session: SMTPServerSession, callback: Callback): void => {
    const utf8 = envelopeUtf8Refusal(session, "mail");
    if (utf8) {
      callback(utf8);
      return;
    }
    if (address.address !== "" && !SENDER.test(address.address)) {
      callback(reply.badSender());
      return;
    }
    // Issue 14: the message rate; RHSBL lookups start (defence/envelope.ts).
    const refusal = defenceMail(ctx, session, address);
    if (refusal) {
      callback(refusal);
      return;
    }
    const user = sessionUser(session);
    if (!user) {
      // RFC 7208 §2.4: SPF starts now and runs while the client sends RCPT and DATA.
      ctx.authentication?.startSpf(session, address.address);
      callback();
      return;
    }
    // Mail clients do not send bounces; a <> from a user would be a bounce nobody can bounce back.
    if (address.address === "") {
      callback(reply.nullSenderNotAllowed());
      return;
    }
    senderOwnership(ctx.store.read, user.accountId, [address.address]).then(
      ({ own, inUse }) => {
        if (!senderAllowed(address.address, own, inUse)) {
          ctx.log.warn("smtp.sender_denied", {
            session: session.id,
            client: session.remoteAddress,
            account: user.address,
            from: address.address,
          });
          callback(reply.senderNotOwned(address.address));
          return;
        }
        transaction(session.envelope).senders = own;
        callback();
      },
      hookFailure(ctx, session, "smtp.mail_failed", callback),
    );
  };
}
