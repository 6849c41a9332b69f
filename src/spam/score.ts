/**
 * The built-in score, used when rspamd is off (or unavailable with MAILROOM_RSPAMD_FAIL=open): the
 * connection's signals (block and allow lists, reverse DNS, HELO) and the authentication results,
 * each a named symbol with its points, summed against two thresholds (MAILROOM_SPAM_JUNK_SCORE,
 * MAILROOM_SPAM_REJECT_SCORE). The points follow rspamd's defaults where rspamd has the same symbol,
 * so the headers read alike whichever decided.
 */
import type { ListResult } from "./dnsbl.ts";
import type { ReverseDns } from "./rdns.ts";
import type { AuthResults, SpamAction, SpamSymbol, SpamVerdict } from "./verdict.ts";

export interface Thresholds {
  junk: number;
  reject: number;
}

/** What the connection told us (connect, HELO, MAIL FROM), gathered by the SMTP glue. */
export interface ConnectionSignals {
  dnsbl: readonly ListResult[];
  rhsblHelo: readonly ListResult[];
  rhsblFrom: readonly ListResult[];
  rdns?: ReverseDns;
  helo: readonly SpamSymbol[];
}

function listSymbols(prefix: string, results: readonly ListResult[]): SpamSymbol[] {
  return results
    .filter((r) => r.listed)
    .map((r) => ({
      name: r.weight < 0 ? `${prefix}WL` : `${prefix}BL`,
      score: r.weight,
      detail: `${r.zone} ${r.codes.join(" ")}`,
    }));
}

export function connectionSymbols(signals: ConnectionSignals): SpamSymbol[] {
  const symbols = [
    ...listSymbols("RCVD_IN_DNS", signals.dnsbl),
    ...listSymbols("HELO_RHS", signals.rhsblHelo),
    ...listSymbols("FROM_RHS", signals.rhsblFrom),
    ...signals.helo,
  ];
  const rdns = signals.rdns;
  // RFC 8601 §3 iprev: no PTR, or PTR names that do not lead back.
  if (rdns?.kind === "none") symbols.push({ name: "RDNS_NONE", score: 1.5 });
  if (rdns?.kind === "mismatch")
    symbols.push({ name: "RDNS_MISMATCH", score: 1, detail: rdns.names.join(" ") });
  if (rdns?.kind === "confirmed") symbols.push({ name: "RDNS_CONFIRMED", score: 0, detail: rdns.name });
  return symbols;
}

const lower = (s: string | undefined) => (s ?? "").toLowerCase();

/** RFC 7208 §8, RFC 6376 §6.1, RFC 7489 §6.6: pass lowers the score, fail raises it; none says nothing. */
export function authSymbols(auth: AuthResults | undefined): SpamSymbol[] {
  if (!auth) return [];
  const out: SpamSymbol[] = [];
  const spf = lower(auth.spf?.result);
  const spfDomain = auth.spf?.domain;
  const spfScores: Record<string, [string, number]> = {
    pass: ["SPF_PASS", -0.5],
    fail: ["SPF_FAIL", 3],
    softfail: ["SPF_SOFTFAIL", 1.5],
    permerror: ["SPF_PERMERROR", 0.5],
  };
  const spfSymbol = spfScores[spf];
  if (spfSymbol)
    out.push({ name: spfSymbol[0], score: spfSymbol[1], ...(spfDomain ? { detail: spfDomain } : {}) });
  const dkim = auth.dkim ?? [];
  const passed = dkim.filter((d) => lower(d.result) === "pass");
  if (passed.length > 0)
    out.push({
      name: "DKIM_PASS",
      score: -1,
      detail: passed
        .map((d) => d.domain ?? "")
        .join(" ")
        .trim(),
    });
  else if (dkim.some((d) => lower(d.result) === "fail")) out.push({ name: "DKIM_FAIL", score: 2 });
  const dmarc = lower(auth.dmarc?.result);
  const dmarcDomain = auth.dmarc?.domain;
  if (dmarc === "pass")
    out.push({ name: "DMARC_PASS", score: -1.5, ...(dmarcDomain ? { detail: dmarcDomain } : {}) });
  if (dmarc === "fail")
    out.push({ name: "DMARC_FAIL", score: 4, ...(dmarcDomain ? { detail: dmarcDomain } : {}) });
  return out;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** The built-in verdict from its symbols (extra ones, e.g. "rspamd unavailable", added by the caller). */
export function builtinVerdict(symbols: readonly SpamSymbol[], thresholds: Thresholds): SpamVerdict {
  const score = round(symbols.reduce((sum, s) => sum + s.score, 0));
  const action: SpamAction =
    score >= thresholds.reject ? "reject" : score >= thresholds.junk ? "add header" : "no action";
  return { checker: "builtin", action, score, required: thresholds.reject, symbols: [...symbols] };
}
