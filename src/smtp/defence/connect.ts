/**
 * The inbound defence at connect (port 25): trusted networks pass untouched; the per-address
 * connection rate is counted (421 4.7.0); the block/allow-list and reverse-DNS lookups start, to be
 * ready by RCPT; with MAILROOM_GREET_DELAY the greeting waits, and a client listed by then is
 * refused at once (554 5.7.1, RFC 5321 §3.1 allows a 554 greeting), as is one that talked first.
 */
import type { SMTPServerSession } from "smtp-server";
import { clientAddressKey } from "../../security/connection-limits.ts";
import type { SmtpContext } from "../context.ts";
import { reply, type SmtpReply } from "../replies.ts";
import { defenceState } from "./state.ts";

/** Resolves with the refusal to send instead of the greeting, or undefined to greet. */
export async function defenceConnect(
  ctx: SmtpContext,
  session: SMTPServerSession,
): Promise<SmtpReply | undefined> {
  const defence = ctx.defence;
  if (!defence) return undefined;
  const address = session.remoteAddress;
  const state = defenceState(session);
  if (defence.exempt(address)) {
    state.exempt = true;
    return undefined;
  }
  if (!defence.connectionAllowed(clientAddressKey(address))) {
    ctx.log.warn("smtp.rate_limited", { session: session.id, client: address, what: "connections" });
    return reply.connectionRateExceeded();
  }
  state.client = defence.lookupClient(address).then(
    (findings) => {
      state.findings = findings;
      return findings;
    },
    (error: unknown) => {
      ctx.log.warn("spam.lookup_failed", { session: session.id, client: address, error });
      state.findings = { dnsbl: [], rdns: { kind: "temperror" } };
      return state.findings;
    },
  );
  const delay = defence.settings.greetDelayMs;
  if (delay <= 0) return undefined;
  await new Promise((resolve) => setTimeout(resolve, delay));
  // Refused and closed by the early-talker check already: nothing more to say.
  if (state.earlyTalk) return undefined;
  const blocked = state.findings && defence.blockedBy(state.findings.dnsbl);
  if (blocked) {
    ctx.log.warn("smtp.blocked", { session: session.id, client: address, zone: blocked.zone, at: "connect" });
    return reply.clientBlocked(address, blocked.zone);
  }
  return undefined;
}
