import type { SMTPServerSession } from "smtp-server";
import type { SmtpContext } from "./context.ts";
import { reply, SmtpReply } from "./replies.ts";

/**
 * How an smtp-server hook answers when its work fails: a refusal thrown as an SmtpReply is sent as
 * it is; anything else is our fault, logged as `event` and answered 451 4.3.0 so the client retries
 * (RFC 5321 §4.2.5: a transient failure; nothing was accepted).
 */
export function hookFailure(
  ctx: SmtpContext,
  session: SMTPServerSession,
  event: string,
  callback: (error?: Error | null) => void,
): (error: unknown) => void {
  return (error) => {
    if (error instanceof SmtpReply) return callback(error);
    ctx.log.error(event, { session: session.id, error });
    callback(reply.localError());
  };
}
