/**
 * RCPT TO (RFC 5321 §4.1.1.3): accept local recipients only (this server is never an open relay),
 * resolving aliases and "+tag" sub-addresses to accounts now so DATA knows where to deliver.
 */
import type { SMTPServerAddress, SMTPServerSession } from "smtp-server";
import { recipientResolve } from "../store/mod.ts";
import { acceptedRecipients, type SmtpContext } from "./context.ts";
import { reply } from "./replies.ts";

type Callback = (err?: Error | null) => void;

export function onRcptTo(ctx: SmtpContext) {
  return (address: SMTPServerAddress, session: SMTPServerSession, callback: Callback): void => {
    const accepted = acceptedRecipients(session.envelope);
    // RFC 5321 §4.5.3.1.8 lets us refuse past a limit with 452; the client sends the rest later.
    if (accepted.size >= ctx.maxRecipients) {
      callback(reply.tooManyRecipients(ctx.maxRecipients));
      return;
    }
    recipientResolve(ctx.store.read, address.address).then(
      (resolution) => {
        switch (resolution.kind) {
          case "invalid":
            callback(reply.badRecipient());
            return;
          case "remote":
            ctx.log.info("smtp.relay_denied", {
              session: session.id,
              client: session.remoteAddress,
              rcpt: address.address,
            });
            callback(reply.relayDenied());
            return;
          case "unknown":
            callback(reply.noSuchUser());
            return;
          case "local": {
            const active = resolution.accounts.filter((a) => !a.disabled);
            if (active.length === 0) {
              callback(reply.mailboxDisabled());
              return;
            }
            const size = mailSize(session);
            if (active.some((a) => a.quota !== null && a.usedBytes + size > a.quota)) {
              callback(reply.mailboxFull());
              return;
            }
            accepted.set(address.address.toLowerCase(), active);
            callback();
            return;
          }
        }
      },
      (error: unknown) => {
        ctx.log.error("smtp.rcpt_failed", { session: session.id, error });
        callback(reply.localError());
      },
    );
  };
}

/** The SIZE the client declared on MAIL FROM (RFC 1870), or 0: a quota check before the bytes arrive. */
function mailSize(session: SMTPServerSession): number {
  const from = session.envelope.mailFrom;
  if (!from || typeof from.args !== "object") return 0;
  const size = Number((from.args as Record<string, unknown>).SIZE);
  return Number.isFinite(size) ? size : 0;
}
