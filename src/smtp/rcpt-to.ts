/**
 * RCPT TO (RFC 5321 §4.1.1.3): local recipients are accepted from anyone, resolving aliases and
 * "+tag" sub-addresses to accounts now so DATA knows where to deliver. Other domains are accepted
 * only from an authenticated client (RFC 6409 §3.3 authorized submission), with their RFC 3461 DSN parameters;
 * unauthenticated relaying is refused everywhere (this server is never an open relay).
 */
import type { SMTPServerAddress, SMTPServerSession } from "smtp-server";
import { type CatchResolution, recipientResolveOrCatch, recipientsToCreate } from "./catch.ts";
import { type SmtpContext, sessionUser, transaction } from "./context.ts";
import { defenceRcpt } from "./defence/envelope.ts";
import { hookFailure } from "./hook-failure.ts";
import { reply, SmtpReply } from "./replies.ts";
import { envelopeUtf8Refusal } from "./smtputf8.ts";

type Callback = (err?: Error | null) => void;

/**
 * Refused recipients a session may collect before we hang up: more is a dictionary attack (guessing
 * addresses) or a relay probe, not a mail client with a typo.
 */
export const MAX_REFUSED_RECIPIENTS = 20;
const refusedBySession = new WeakMap<SMTPServerSession, number>();

export function onRcptTo(ctx: SmtpContext) {
  return (address: SMTPServerAddress, session: SMTPServerSession, done: Callback): void => {
    const callback: Callback = (error) => {
      if (!error) return done();
      // Only a refused address (5xx: unknown user, bad syntax, relay denied) is a guess; a 4xx such as
      // RFC 5321 §4.5.3.1.10's 452 "too many recipients" asks the client to send the rest later.
      if (((error as { responseCode?: number }).responseCode ?? 500) < 500) return done(error);
      const refused = (refusedBySession.get(session) ?? 0) + 1;
      refusedBySession.set(session, refused);
      if (refused > MAX_REFUSED_RECIPIENTS) {
        ctx.log.warn("smtp.too_many_refused_recipients", {
          session: session.id,
          client: session.remoteAddress,
        });
        // A 421 makes smtp-server close the connection after the reply (RFC 5321 §3.8).
        return done(reply.tooManyRefusedRecipients());
      }
      done(error);
    };
    const utf8 = envelopeUtf8Refusal(session, "rcpt");
    if (utf8) {
      callback(utf8);
      return;
    }
    const { local, remote } = transaction(session.envelope);
    const key = address.address.toLowerCase();
    // RFC 5321 §4.5.3.1.8 lets us refuse past a limit with 452; the client sends the rest later.
    // Local and remote recipients count alike; naming one again is not another recipient.
    if (local.size + remote.size >= ctx.maxRecipients && !local.has(key) && !remote.has(key)) {
      callback(reply.tooManyRecipients(ctx.maxRecipients));
      return;
    }
    resolveUnlessRefused(ctx, session, address).then(
      (resolution) =>
        callback(resolution instanceof SmtpReply ? resolution : take(ctx, session, address, resolution)),
      hookFailure(ctx, session, "smtp.rcpt_failed", callback),
    );
  };
}

/** Adds the resolved recipient to the transaction, or says why not (the RCPT refusal). */
function take(
  ctx: SmtpContext,
  session: SMTPServerSession,
  address: SMTPServerAddress,
  resolution: CatchResolution,
): SmtpReply | undefined {
  const { local, remote } = transaction(session.envelope);
  const key = address.address.toLowerCase();
  switch (resolution.kind) {
    case "create":
      // Issue 16 (catch mode, a namespace): DATA creates the account; it counts as local.
      local.set(key, []);
      recipientsToCreate(session.envelope).add(resolution.address);
      return undefined;
    case "invalid":
      return reply.badRecipient();
    case "unknown":
      return reply.noSuchUser();
    case "remote":
      if (!sessionUser(session)) {
        ctx.log.info("smtp.relay_denied", {
          session: session.id,
          client: session.remoteAddress,
          rcpt: address.address,
        });
        return reply.relayDenied();
      }
      remote.set(key, {
        address: address.address,
        notify: address.dsn?.notify?.length ? address.dsn.notify.join(",") : null,
        orcpt: address.dsn?.orcpt ?? null,
      });
      return undefined;
    case "local": {
      const active = resolution.accounts.filter((a) => !a.disabled);
      if (active.length === 0) return reply.mailboxDisabled();
      const size = mailSize(session);
      if (active.some((a) => a.quota !== null && a.usedBytes + size > a.quota)) return reply.mailboxFull();
      local.set(key, active);
      return undefined;
    }
  }
}

/** Issue 14: the inbound defence's refusal (forged HELO, block lists: defence/envelope.ts), else the resolution. */
async function resolveUnlessRefused(
  ctx: SmtpContext,
  session: SMTPServerSession,
  address: SMTPServerAddress,
): Promise<CatchResolution | SmtpReply> {
  const refusal = await defenceRcpt(ctx, session, address);
  if (refusal) return refusal;
  // RFC 5321 §4.5.1 (postmaster) and issue 16's catch mode and namespaces: catch.ts.
  return recipientResolveOrCatch(ctx, address.address);
}

/** The SIZE the client declared on MAIL FROM (RFC 1870), or 0: a quota check before the bytes arrive. */
function mailSize(session: SMTPServerSession): number {
  const from = session.envelope.mailFrom;
  if (!from || typeof from.args !== "object") return 0;
  const size = Number((from.args as Record<string, unknown>).SIZE);
  return Number.isFinite(size) ? size : 0;
}
