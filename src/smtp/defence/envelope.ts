/**
 * The inbound defence at MAIL FROM and RCPT TO (port 25, clients outside the trusted networks):
 * the per-address message rate at MAIL (421 4.7.0); at RCPT the refusals that need no content:
 * a forged HELO, a client on a block list, a HELO name or sender domain on a domain block list
 * (554 5.7.1, Postfix's reject_rbl_client / reject_rhsbl_*). Authenticated clients (our own users)
 * and mail to postmaster (RFC 5321 §4.5.1: accepted from anyone, so a blocked sender can still
 * reach a human) are not refused here.
 */
import type { SMTPServerAddress, SMTPServerSession } from "smtp-server";
import { clientAddressKey } from "../../security/connection-limits.ts";
import { forgedHelo, SPAM_LIMITS } from "../../spam/mod.ts";
import { type SmtpContext, sessionUser } from "../context.ts";
import { reply, type SmtpReply } from "../replies.ts";
import { defenceState, findingsWithin } from "./state.ts";

function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? "" : address.slice(at + 1).toLowerCase();
}

/** MAIL FROM: counts the message; starts the RHSBL lookups of the HELO name and the sender's domain. */
export function defenceMail(
  ctx: SmtpContext,
  session: SMTPServerSession,
  address: SMTPServerAddress,
): SmtpReply | undefined {
  const defence = ctx.defence;
  if (!defence) return undefined;
  const state = defenceState(session);
  if (state.exempt) return undefined;
  if (!defence.messageAllowed(clientAddressKey(session.remoteAddress))) {
    ctx.log.warn("smtp.rate_limited", {
      session: session.id,
      client: session.remoteAddress,
      what: "messages",
    });
    return reply.messageRateExceeded();
  }
  if (sessionUser(session) || defence.settings.rhsbl.length === 0) return undefined;
  const helo = (session.hostNameAppearsAs || "").toLowerCase();
  if (helo && state.helo?.name !== helo) state.helo = { name: helo, listings: defence.lookupDomain(helo) };
  const domain = domainOf(address.address);
  state.sender = domain ? { domain, listings: defence.lookupDomain(domain) } : undefined;
  return undefined;
}

/** RCPT TO: the refusal for this recipient, or undefined. */
export async function defenceRcpt(
  ctx: SmtpContext,
  session: SMTPServerSession,
  address: SMTPServerAddress,
): Promise<SmtpReply | undefined> {
  const defence = ctx.defence;
  if (!defence) return undefined;
  const state = defenceState(session);
  if (state.exempt || sessionUser(session)) return undefined;
  if (/^postmaster(@|$)/i.test(address.address)) return undefined;
  const log = (event: string, extra: Record<string, unknown>) =>
    ctx.log.warn(event, {
      session: session.id,
      client: session.remoteAddress,
      rcpt: address.address,
      ...extra,
    });
  const forged = forgedHelo({
    helo: session.hostNameAppearsAs || "",
    clientAddress: session.remoteAddress,
    localAddress: session.localAddress,
    hostname: ctx.hostname,
  });
  if (forged) {
    log("smtp.forged_helo", { helo: session.hostNameAppearsAs, reason: forged });
    return reply.forgedHelo();
  }
  const findings = await findingsWithin(state, SPAM_LIMITS.lookupWaitMs);
  const blocked = findings && defence.blockedBy(findings.dnsbl);
  if (blocked) {
    log("smtp.blocked", { zone: blocked.zone, at: "rcpt" });
    return reply.clientBlocked(session.remoteAddress, blocked.zone);
  }
  const helo = state.helo && defence.blockedBy(await state.helo.listings);
  if (helo && state.helo) {
    log("smtp.blocked", { zone: helo.zone, helo: state.helo.name, at: "rcpt" });
    return reply.domainBlocked("helo", state.helo.name, helo.zone);
  }
  const sender = state.sender && defence.blockedBy(await state.sender.listings);
  if (sender && state.sender) {
    log("smtp.blocked", { zone: sender.zone, sender: state.sender.domain, at: "rcpt" });
    return reply.domainBlocked("sender", state.sender.domain, sender.zone);
  }
  return undefined;
}
