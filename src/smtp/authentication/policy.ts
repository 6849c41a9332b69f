/**
 * What to do with a message once it is checked: deliver it, deliver it into Junk, refuse it (550),
 * or ask the client to try again later (451).
 *
 * - DMARC fail (RFC 7489 §6.6.4, RFC 9989 §5.3.1) applies the domain's policy: p= for the author
 *   domain's own record, sp= or np= for an inherited one, a level lower with t=y (mailauth works
 *   these out), and pct= of RFC 7489 §6.6.4: a message outside the sample gets the next weaker
 *   policy. reject -> 550 5.7.1; quarantine -> the recipient's Junk mailbox.
 * - A lookup that failed for now only matters where the answer could have saved the message: a
 *   policy of reject with an SPF or DKIM temperror of an identifier that could align (a retry may
 *   pass), or a DMARC temperror with a known reject policy, is 451 4.7.0. Otherwise the message is
 *   delivered with the result recorded (RFC 7489 §6.6.3: receivers may accept rather than defer),
 *   and not put into Junk on the strength of an answer we did not get.
 * - Without DMARC, SPF fail is recorded and delivered, or refused (550 5.7.23, RFC 7372 §3.2) when
 *   MAILROOM_SPF_REJECT is set; RFC 7208 §8.4 lets a receiver reject on "fail".
 */
import type { DMARCResult } from "mailauth";
import { reply, type SmtpReply } from "../replies.ts";
import type { SpfOutcome } from "./spf.ts";
import type { DkimResult, DmarcResult } from "./types.ts";

export type Verdict =
  | { action: "deliver"; junk: boolean }
  | { action: "refuse"; reply: SmtpReply; why: string };

export interface PolicyInput {
  spf: SpfOutcome;
  dkim: readonly DkimResult[];
  dmarc: DMARCResult | false;
  spfReject: boolean;
  /** A number in [0, 100) for the pct= sample; Math.random()*100 when absent. */
  sample?: number;
}

const WEAKER: Record<string, "none" | "quarantine"> = {
  reject: "quarantine",
  quarantine: "none",
  none: "none",
};

/** RFC 7489 §6.3: pct= is 0 to 100, 100 when absent or not a number. */
function percentOf(record: unknown): number {
  const pct = (record as { pct?: unknown } | undefined)?.pct;
  if (typeof pct !== "number" || !Number.isInteger(pct) || pct < 0 || pct > 100) return 100;
  return pct;
}

/** The policy that applies to a failing message, pct= sampling included; null when none is known. */
export function appliedPolicy(dmarc: DMARCResult, sample: number): string | null {
  const policy = typeof dmarc.policy === "string" ? dmarc.policy : null;
  if (!policy) return null;
  // The applied record is a hidden property of mailauth's result (set for BIMI, readable by us).
  const pct = percentOf((dmarc as unknown as { record?: unknown }).record);
  return sample < pct ? policy : WEAKER[policy]!;
}

/**
 * Could `identifier` be aligned with the author domain `from` (RFC 7489 §3.1, relaxed)? Within the
 * same Organizational Domain; without the tree walk's answer, the last two labels stand for it
 * (generous on purpose: it only decides whether a temporary failure defers a reject).
 */
function mayAlign(identifier: string | null, from: string | null): boolean {
  if (!identifier || !from) return false;
  const a = identifier.toLowerCase();
  const b = from.toLowerCase();
  if (a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`)) return true;
  const lastTwo = (name: string) => name.split(".").slice(-2).join(".");
  return lastTwo(a) === lastTwo(b);
}

export function decide(input: PolicyInput): { verdict: Verdict; dmarc: DmarcResult | null } {
  const sample = input.sample ?? Math.random() * 100;
  const d = input.dmarc;
  const from = d ? (d.status.header?.from ?? null) : null;
  // Only an identifier that could have aligned can save the message on a retry: a temperror of an
  // unrelated signature (which anyone can add) does not defer a spoof.
  const temporary =
    (input.spf.mailFrom.result === "temperror" && mayAlign(input.spf.mailFrom.domain, from)) ||
    input.dkim.some((k) => k.result === "temperror" && mayAlign(k.domain, from));
  if (d && (d.status.result === "fail" || d.status.result === "temperror")) {
    const policy = appliedPolicy(d, sample);
    const base = { result: d.status.result, policy, domain: d.status.header?.from ?? null };
    if (policy === "reject") {
      // A failure that rests on a lookup that failed: the client tries again, it may pass then.
      if (d.status.result === "temperror" || temporary)
        return {
          verdict: { action: "refuse", reply: reply.authTemporary(), why: "dmarc-temperror" },
          dmarc: { ...base, disposition: "none" },
        };
      return {
        verdict: { action: "refuse", reply: reply.dmarcReject(base.domain ?? ""), why: "dmarc-reject" },
        dmarc: { ...base, disposition: "reject" },
      };
    }
    // A quarantine resting on a failed lookup is not applied: delivered, with the result recorded.
    if (policy === "quarantine" && d.status.result === "fail" && !temporary)
      return { verdict: { action: "deliver", junk: true }, dmarc: { ...base, disposition: "quarantine" } };
    return { verdict: { action: "deliver", junk: false }, dmarc: { ...base, disposition: "none" } };
  }
  const dmarc: DmarcResult | null = d
    ? {
        result: d.status.result,
        policy: typeof d.policy === "string" ? d.policy : null,
        domain: d.status.header?.from ?? null,
        disposition: "none",
      }
    : null;
  // "Without DMARC": no record for the author domain (or no author domain at all).
  const noDmarc = !d || d.status.result === "none";
  if (noDmarc && input.spfReject) {
    if (input.spf.mailFrom.result === "fail")
      return {
        verdict: {
          action: "refuse",
          reply: reply.spfReject(input.spf.mailFrom.domain ?? ""),
          why: "spf-fail",
        },
        dmarc,
      };
    if (input.spf.mailFrom.result === "temperror")
      return { verdict: { action: "refuse", reply: reply.authTemporary(), why: "spf-temperror" }, dmarc };
  }
  return { verdict: { action: "deliver", junk: false }, dmarc };
}
