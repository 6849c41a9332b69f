/**
 * One message's line in the DMARC aggregate report of its author domain (RFC 7489 §7.2, Appendix
 * C): source address, identifiers, what was done, the aligned verdicts and the raw SPF and DKIM
 * results. Only for domains whose record asks for aggregate reports (rua=, §6.3) and only when a
 * policy was evaluated (pass or fail).
 */
import type { DMARCResult } from "mailauth";
import type { DmarcResultInput } from "../../store/mod.ts";
import type { SpfOutcome } from "./spf.ts";
import type { DkimResult } from "./types.ts";

interface PublishedRecord {
  p?: string;
  sp?: string;
  np?: string;
  adkim?: string;
  aspf?: string;
  pct?: number;
  fo?: string;
  rua?: string;
}

/** RFC 7489 §6.4 rua: a comma-separated list of URIs; we report by mail only (mailto:, §7.2.1.1). */
export function ruaAddresses(rua: string | undefined): string[] {
  if (typeof rua !== "string") return [];
  return rua
    .split(",")
    .map((uri) => uri.trim())
    .filter((uri) => /^mailto:[^\s@,]+@[^\s@,!]+(![0-9]+[kmgt]?)?$/i.test(uri));
}

export function dmarcObservation(input: {
  day: string;
  sourceIp: string;
  spf: SpfOutcome;
  dkim: readonly DkimResult[];
  dmarc: DMARCResult | false;
  disposition: "none" | "quarantine" | "reject";
  reason: string;
}): DmarcResultInput | undefined {
  const d = input.dmarc;
  if (!d || (d.status.result !== "pass" && d.status.result !== "fail")) return undefined;
  // The applied record: a hidden property of mailauth's result.
  const record = (d as unknown as { record?: PublishedRecord }).record ?? {};
  const rua = ruaAddresses(record.rua);
  const policyDomain = d.policyDomain ?? d.domain;
  if (rua.length === 0 || !policyDomain) return undefined;
  const nullSender = input.spf.helo === null;
  const pct = typeof record.pct === "number" && record.pct >= 0 && record.pct <= 100 ? record.pct : 100;
  return {
    day: input.day,
    policyDomain,
    sourceIp: input.sourceIp,
    headerFrom: d.status.header?.from ?? "",
    envelopeFrom: input.spf.mailFrom.domain ?? "",
    disposition: input.disposition,
    dkimAligned: d.alignment.dkim.result ? "pass" : "fail",
    spfAligned: d.alignment.spf.result ? "pass" : "fail",
    reason: input.reason,
    authResults: {
      dkim: input.dkim
        .filter((k) => k.domain)
        .map((k) => ({ domain: k.domain!, selector: k.selector ?? "", result: k.result })),
      spf: {
        domain: input.spf.mailFrom.domain ?? "",
        scope: nullSender ? "helo" : "mfrom",
        result: input.spf.mailFrom.result,
      },
    },
    published: {
      domain: policyDomain,
      adkim: record.adkim === "s" ? "s" : "r",
      aspf: record.aspf === "s" ? "s" : "r",
      p: record.p ?? "none",
      sp: record.sp ?? record.p ?? "none",
      ...(record.np ? { np: record.np } : {}),
      pct,
      ...(record.fo ? { fo: record.fo } : {}),
    },
    rua,
  };
}
