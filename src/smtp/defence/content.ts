/**
 * The inbound defence at the end of DATA (port 25), after the authentication checks (issue 11):
 * 1. `defenceScan`: rspamd scans the message, with our Authentication-Results field on top when
 *    the checks ran (the bytes already in memory, sent without a copy), or else straight from the
 *    spool file. Its reject is 550 5.7.1, its soft reject / greylist 451 4.7.1; an outage is
 *    logged and either falls back to the built-in score (MAILROOM_RSPAMD_FAIL=open) or is 451.
 * 2. `defenceDecide`, with the authentication results at hand: the verdict (rspamd's, or the
 *    built-in score with SPF/DKIM/DMARC symbols), greylisting (DMARC pass skips it), and the message
 *    with its X-Spam-* fields (and rspamd's header changes); "junk" verdicts go to Junk with $Junk.
 * Nothing is stored for a refused message; the caller answers with the SmtpReply thrown.
 */
import type { SMTPServerSession } from "smtp-server";
import {
  type AuthResults,
  authSymbols,
  builtinVerdict,
  connectionSymbols,
  dispositionOf,
  heloSymbols,
  type ListResult,
  RspamdUnavailable,
  SPAM_LIMITS,
  type SpamSymbol,
  type SpamVerdict,
  verdictParts,
} from "../../spam/mod.ts";
import { type IngestTarget, junkMailboxIds, type Spool } from "../../store/mod.ts";
import type { AuthenticationResults } from "../authentication/mod.ts";
import { type SmtpContext, sessionUser } from "../context.ts";
import { reply } from "../replies.ts";
import { defenceState, findingsWithin } from "./state.ts";

/** What the scan left for the decision: rspamd's verdict, or why there is none. */
export interface ContentScan {
  rspamd?: SpamVerdict;
  /** rspamd was asked and failed (fail-open): the built-in score decides, and says so. */
  unavailable?: string;
}

/**
 * Step 1: rspamd, given `message` (the pieces to send, in order) or else the spool file. Undefined
 * when the defence does not apply to this session.
 */
export async function defenceScan(
  ctx: SmtpContext,
  session: SMTPServerSession,
  input: { spool: Spool; message?: readonly Uint8Array[] },
): Promise<ContentScan | undefined> {
  const defence = ctx.defence;
  if (!defence || defenceState(session).exempt) return undefined;
  if (!defence.rspamd) return {};
  const envelope = session.envelope;
  const findings = defenceState(session).findings;
  let verdict: SpamVerdict;
  try {
    const source = input.message
      ? { parts: input.message }
      : { path: input.spool.path, size: input.spool.size };
    verdict = await defence.rspamd.check(source, {
      ip: session.remoteAddress,
      helo: session.hostNameAppearsAs || "",
      ...(findings?.rdns.kind === "confirmed" ? { hostname: findings.rdns.name } : {}),
      from: envelope.mailFrom ? envelope.mailFrom.address : "",
      rcpt: envelope.rcptTo.map((r) => r.address),
      queueId: session.id,
      ...(sessionUser(session) ? { user: sessionUser(session)!.address } : {}),
    });
  } catch (error) {
    if (!(error instanceof RspamdUnavailable)) throw error;
    const failClosed = defence.settings.rspamd?.failClosed === true;
    ctx.log.warn("smtp.rspamd_unavailable", {
      session: session.id,
      client: session.remoteAddress,
      error: error.message,
      outcome: failClosed ? "deferred" : "delivered on the built-in score",
    });
    if (failClosed) throw reply.spamDeferred("Spam filter unavailable, try again later");
    return { unavailable: error.message };
  }
  refuseIfSpam(ctx, session, verdict);
  return { rspamd: verdict };
}

/** The symbols the built-in score sees for this session. */
async function sessionSymbols(ctx: SmtpContext, session: SMTPServerSession): Promise<SpamSymbol[]> {
  const state = defenceState(session);
  const findings = await findingsWithin(state, SPAM_LIMITS.lookupWaitMs);
  const settle = async (p: Promise<ListResult[]> | undefined) => (p ? await p : []);
  return connectionSymbols({
    dnsbl: findings?.dnsbl ?? [],
    rdns: findings?.rdns,
    rhsblHelo: await settle(state.helo?.listings),
    rhsblFrom: await settle(state.sender?.listings),
    helo: heloSymbols({
      helo: session.hostNameAppearsAs || "",
      clientAddress: session.remoteAddress,
      localAddress: session.localAddress,
      hostname: ctx.hostname,
    }),
  });
}

export interface SpamDecision {
  /** The message with the verdict's fields, in pieces to join once (views into the received bytes). */
  message: Uint8Array[];
  junk: boolean;
  verdict: SpamVerdict;
}

/**
 * The inbound checks' results (authentication/) as the verdict takes them: SPF of MAIL FROM, every
 * DKIM signature, DMARC with the policy that applied. Undefined when the checks did not run.
 */
export function spamAuth(results: AuthenticationResults | undefined): AuthResults | undefined {
  if (!results) return undefined;
  const named = (domain: string | null) => (domain ? { domain } : {});
  return {
    spf: { result: results.spf.result, ...named(results.spf.domain) },
    dkim: results.dkim.map((d) => ({ result: d.result, ...named(d.domain) })),
    ...(results.dmarc
      ? {
          dmarc: {
            result: results.dmarc.result,
            ...named(results.dmarc.domain),
            ...(results.dmarc.policy ? { policy: results.dmarc.policy } : {}),
          },
        }
      : {}),
  };
}

/**
 * Step 2: the verdict for a scanned message, given the authentication results (undefined when the
 * inbound checks did not run). Throws SmtpReply to refuse (550) or defer (451).
 * Undefined when there is nothing to decide (the defence is off, or an authenticated client
 * without rspamd: the built-in score is for strangers).
 */
export async function defenceDecide(
  ctx: SmtpContext,
  session: SMTPServerSession,
  scan: ContentScan | undefined,
  input: { message: Buffer; auth: AuthResults | undefined },
): Promise<SpamDecision | undefined> {
  const defence = ctx.defence;
  if (!defence || !scan) return undefined;
  const user = sessionUser(session);
  if (user && !scan.rspamd) return undefined;
  let verdict = scan.rspamd;
  if (!verdict) {
    const symbols = [...(await sessionSymbols(ctx, session)), ...authSymbols(input.auth)];
    if (scan.unavailable !== undefined)
      symbols.push({ name: "RSPAMD_UNAVAILABLE", score: 0, detail: scan.unavailable.slice(0, 100) });
    verdict = builtinVerdict(symbols, defence.settings.thresholds);
  }
  const disposition = refuseIfSpam(ctx, session, verdict);
  if (defence.greylister && !user) {
    const envelope = session.envelope;
    const decision = await defence.greylister.check({
      clientAddress: session.remoteAddress,
      sender: envelope.mailFrom ? envelope.mailFrom.address : "",
      recipients: envelope.rcptTo.map((r) => r.address),
      auth: input.auth,
    });
    if (decision.kind === "defer") {
      ctx.log.info("smtp.greylisted", {
        session: session.id,
        client: session.remoteAddress,
        from: envelope.mailFrom ? envelope.mailFrom.address : "",
        to: decision.recipients,
      });
      throw reply.greylisted();
    }
    verdict.symbols.push({ name: "GREYLIST_PASS", score: 0, detail: decision.reason });
  }
  const junk = disposition === "junk";
  logVerdict(ctx, session, verdict, disposition);
  return { message: verdictParts(input.message, verdict, junk), junk, verdict };
}

/** Where each account's copy goes: INBOX, or for junk its Junk mailbox (INBOX when it has none), marked $Junk. */
export async function defenceTargets(
  ctx: SmtpContext,
  accountIds: readonly number[],
  decision: SpamDecision | undefined,
): Promise<IngestTarget[]> {
  if (!decision?.junk) return accountIds.map((accountId) => ({ accountId, mailboxName: "INBOX" }));
  const junk = await junkMailboxIds(ctx.store.read, accountIds);
  return accountIds.map((accountId) => {
    const mailboxId = junk.get(accountId);
    return mailboxId === undefined
      ? { accountId, mailboxName: "INBOX", keywords: ["$Junk"] }
      : { accountId, mailboxId, keywords: ["$Junk"] };
  });
}

/**
 * A verdict of reject or defer, from rspamd or the built-in score alike, is logged and answered
 * (550 / 451, throwing SmtpReply); any other comes back as its disposition.
 */
function refuseIfSpam(ctx: SmtpContext, session: SMTPServerSession, verdict: SpamVerdict) {
  const disposition = dispositionOf(verdict.action);
  if (disposition === "reject" || disposition === "defer") {
    logVerdict(ctx, session, verdict, disposition);
    throw disposition === "reject"
      ? reply.spamRejected(verdict.message)
      : reply.spamDeferred(verdict.message);
  }
  return disposition;
}

function logVerdict(
  ctx: SmtpContext,
  session: SMTPServerSession,
  verdict: SpamVerdict,
  disposition: string,
): void {
  ctx.log.info("smtp.spam", {
    session: session.id,
    client: session.remoteAddress,
    checker: verdict.checker,
    action: verdict.action,
    score: verdict.score,
    disposition,
    symbols: verdict.symbols.map((s) => `${s.name}(${s.score})`),
  });
}
