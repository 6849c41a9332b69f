/**
 * Aggregate reports received about our domains (DMARC, RFC 7489 §7.2; TLS-RPT, RFC 8460), parsed at
 * delivery by the SMTP side and kept as JSON. The same report arriving twice is kept once.
 */
import { type Reader, rawOf, type Write } from "./db.ts";

export interface ReceivedReportInput {
  kind: "dmarc" | "tlsrpt";
  orgName: string;
  reportId: string;
  policyDomain: string;
  beginAt: number;
  endAt: number;
  receivedAt: number;
  report: unknown;
}

export interface ReceivedReport extends ReceivedReportInput {
  id: number;
}

/** Stores a report; false when the same one (kind, organisation, report id) is already kept. */
export async function receivedReportAdd(w: Write, input: ReceivedReportInput): Promise<boolean> {
  const result = await w.exec({
    sql: `INSERT INTO received_reports (kind, org_name, report_id, policy_domain, begin_at, end_at, received_at, report)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, org_name, report_id) DO NOTHING`,
    args: [
      input.kind,
      input.orgName,
      input.reportId,
      input.policyDomain.toLowerCase(),
      input.beginAt,
      input.endAt,
      input.receivedAt,
      JSON.stringify(input.report),
    ],
  });
  return result.rowsAffected > 0;
}

/** Newest first (by the report's start); one kind, optionally one domain, at most `limit`. */
export async function receivedReportsList(
  r: Reader,
  options: { kind: "dmarc" | "tlsrpt"; policyDomain?: string | undefined; limit: number },
): Promise<ReceivedReport[]> {
  const args: Array<string | number> = [options.kind];
  let where = "kind = ?";
  if (options.policyDomain) {
    where += " AND policy_domain = ?";
    args.push(options.policyDomain.toLowerCase());
  }
  const { rows } = await rawOf(r).execute({
    sql: `SELECT id, kind, org_name, report_id, policy_domain, begin_at, end_at, received_at, report
          FROM received_reports WHERE ${where} ORDER BY begin_at DESC, id DESC LIMIT ?`,
    args: [...args, options.limit],
  });
  return rows.map((row) => {
    const x = row as Record<string, unknown>;
    return {
      id: Number(x.id),
      kind: String(x.kind) as "dmarc" | "tlsrpt",
      orgName: String(x.org_name),
      reportId: String(x.report_id),
      policyDomain: String(x.policy_domain),
      beginAt: Number(x.begin_at),
      endAt: Number(x.end_at),
      receivedAt: Number(x.received_at),
      report: JSON.parse(String(x.report)) as unknown,
    };
  });
}

/** Drops reports received before `before` (epoch ms): the table must not grow forever. */
export async function receivedReportsPrune(w: Write, before: number): Promise<void> {
  await w.exec({ sql: "DELETE FROM received_reports WHERE received_at < ?", args: [before] });
}
