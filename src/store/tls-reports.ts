/**
 * Outbound TLS results for TLS-RPT (RFC 8460): counters by day, policy domain, policy and outcome,
 * and the record of which daily reports were sent. Adding a result is one upsert.
 */
import { dailyReportRows } from "./daily-reports.ts";
import type { Write } from "./db.ts";

export interface TlsResultInput {
  /** UTC day "YYYY-MM-DD". */
  day: string;
  policyDomain: string;
  policyType: "sts" | "tlsa" | "no-policy-found";
  policyStrings: readonly string[];
  mxHost?: string;
  receivingIp?: string;
  /** "success" or an RFC 8460 §4.3 result type. */
  result: string;
  reason?: string;
}

export interface TlsResultRow {
  day: string;
  policyDomain: string;
  policyType: "sts" | "tlsa" | "no-policy-found";
  policyStrings: string[];
  mxHost: string;
  receivingIp: string;
  result: string;
  reason: string;
  count: number;
}

export async function tlsResultAdd(w: Write, input: TlsResultInput): Promise<void> {
  await w.exec({
    sql: `INSERT INTO tls_results (day, policy_domain, policy_type, policy_strings, mx_host, receiving_ip, result, reason, count)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
          ON CONFLICT (day, policy_domain, policy_type, policy_strings, mx_host, receiving_ip, result, reason)
          DO UPDATE SET count = count + 1`,
    args: [
      input.day,
      input.policyDomain.toLowerCase(),
      input.policyType,
      JSON.stringify(input.policyStrings),
      input.mxHost ?? "",
      input.receivingIp ?? "",
      input.result,
      (input.reason ?? "").slice(0, 500),
    ],
  });
}

function fromRow(row: Record<string, unknown>): TlsResultRow {
  return {
    day: String(row.day),
    policyDomain: String(row.policy_domain),
    policyType: String(row.policy_type) as TlsResultRow["policyType"],
    policyStrings: JSON.parse(String(row.policy_strings)) as string[],
    mxHost: String(row.mx_host),
    receivingIp: String(row.receiving_ip),
    result: String(row.result),
    reason: String(row.reason),
    count: Number(row.count),
  };
}

const COLUMNS =
  "day, policy_domain, policy_type, policy_strings, mx_host, receiving_ip, result, reason, count";

/** The counters' and sent reports' queries (daily-reports.ts), over the TLS-RPT tables. */
export const tlsReportRows = dailyReportRows({
  results: "tls_results",
  sent: "tls_reports_sent",
  columns: COLUMNS,
  fromRow,
});
