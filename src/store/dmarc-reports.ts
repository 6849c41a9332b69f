/**
 * DMARC aggregate reporting (RFC 7489 §7.2): counters of what we received, by day, policy domain
 * and outcome, and the record of which daily reports were sent. Adding a result is one upsert.
 */
import { dailyReportRows } from "./daily-reports.ts";
import { decode, rowDecoder, type Write } from "./db.ts";

export interface DmarcAuthResults {
  dkim: Array<{ domain: string; selector: string; result: string }>;
  spf: { domain: string; scope: "mfrom" | "helo"; result: string };
}

/** policy_published (RFC 7489 Appendix C). */
export interface DmarcPublished {
  domain: string;
  adkim: "r" | "s";
  aspf: "r" | "s";
  p: string;
  sp: string;
  np?: string;
  pct: number;
  fo?: string;
}

export interface DmarcResultInput {
  /** UTC day "YYYY-MM-DD". */
  day: string;
  policyDomain: string;
  sourceIp: string;
  headerFrom: string;
  envelopeFrom: string;
  disposition: "none" | "quarantine" | "reject";
  dkimAligned: "pass" | "fail";
  spfAligned: "pass" | "fail";
  /** PolicyOverrideType (RFC 7489 Appendix C), e.g. "sampled_out"; "" when none. */
  reason: string;
  authResults: DmarcAuthResults;
  published: DmarcPublished;
  rua: readonly string[];
}

export interface DmarcResultRow extends DmarcResultInput {
  count: number;
}

export async function dmarcResultAdd(w: Write, input: DmarcResultInput): Promise<void> {
  await w.exec({
    sql: `INSERT INTO dmarc_results (day, policy_domain, source_ip, header_from, envelope_from, disposition,
            dkim_aligned, spf_aligned, reason, auth_results, published, rua, count)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
          ON CONFLICT (day, policy_domain, source_ip, header_from, envelope_from, disposition, dkim_aligned,
            spf_aligned, reason, auth_results)
          DO UPDATE SET count = count + 1, published = excluded.published, rua = excluded.rua`,
    args: [
      input.day,
      input.policyDomain.toLowerCase(),
      input.sourceIp,
      input.headerFrom.toLowerCase(),
      input.envelopeFrom.toLowerCase(),
      input.disposition,
      input.dkimAligned,
      input.spfAligned,
      input.reason,
      JSON.stringify(input.authResults),
      JSON.stringify(input.published),
      JSON.stringify(input.rua),
    ],
  });
}

const COLUMNS = `day, policy_domain, source_ip, header_from, envelope_from, disposition, dkim_aligned, spf_aligned,
  reason, auth_results, published, rua, count`;

const fromRow = rowDecoder<DmarcResultRow>({
  day: String,
  policyDomain: String,
  sourceIp: String,
  headerFrom: String,
  envelopeFrom: String,
  disposition: decode.oneOf(),
  dkimAligned: decode.oneOf(),
  spfAligned: decode.oneOf(),
  reason: String,
  authResults: decode.json(),
  published: decode.json(),
  rua: decode.json(),
  count: Number,
});

/** The counters' and sent reports' queries (daily-reports.ts), over the DMARC tables. */
export const dmarcReportRows = dailyReportRows({
  results: "dmarc_results",
  sent: "dmarc_reports_sent",
  columns: COLUMNS,
  fromRow,
});
