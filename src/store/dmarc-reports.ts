/**
 * DMARC aggregate reporting (RFC 7489 §7.2): counters of what we received, by day, policy domain
 * and outcome, and the record of which daily reports were sent. Adding a result is one upsert.
 */
import { type Reader, rawOf, type Write } from "./db.ts";

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

function fromRow(row: Record<string, unknown>): DmarcResultRow {
  return {
    day: String(row.day),
    policyDomain: String(row.policy_domain),
    sourceIp: String(row.source_ip),
    headerFrom: String(row.header_from),
    envelopeFrom: String(row.envelope_from),
    disposition: String(row.disposition) as DmarcResultRow["disposition"],
    dkimAligned: String(row.dkim_aligned) as "pass" | "fail",
    spfAligned: String(row.spf_aligned) as "pass" | "fail",
    reason: String(row.reason),
    authResults: JSON.parse(String(row.auth_results)) as DmarcAuthResults,
    published: JSON.parse(String(row.published)) as DmarcPublished,
    rua: JSON.parse(String(row.rua)) as string[],
    count: Number(row.count),
  };
}

/** Counters, newest day first; one day's, or one domain's, when given. */
export async function dmarcResultsList(
  r: Reader,
  options: { day?: string | undefined; policyDomain?: string | undefined; limit: number },
): Promise<DmarcResultRow[]> {
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (options.day) {
    where.push("day = ?");
    args.push(options.day);
  }
  if (options.policyDomain) {
    where.push("policy_domain = ?");
    args.push(options.policyDomain.toLowerCase());
  }
  const { rows } = await rawOf(r).execute({
    sql: `SELECT ${COLUMNS} FROM dmarc_results ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
          ORDER BY day DESC, policy_domain, id LIMIT ?`,
    args: [...args, options.limit],
  });
  return rows.map((row) => fromRow(row as Record<string, unknown>));
}

/** Policy domains with results on `day` and no report sent for it yet. */
export async function dmarcReportsPending(r: Reader, day: string): Promise<string[]> {
  const { rows } = await rawOf(r).execute({
    sql: `SELECT DISTINCT policy_domain FROM dmarc_results WHERE day = ? AND policy_domain NOT IN
            (SELECT policy_domain FROM dmarc_reports_sent WHERE day = ?) ORDER BY policy_domain`,
    args: [day, day],
  });
  return rows.map((row) => String((row as Record<string, unknown>).policy_domain));
}

/** Days before `before` that still have unsent results (a missed timer after downtime). */
export async function dmarcReportDaysPending(r: Reader, before: string): Promise<string[]> {
  const { rows } = await rawOf(r).execute({
    sql: `SELECT DISTINCT day FROM dmarc_results t WHERE day < ? AND NOT EXISTS
            (SELECT 1 FROM dmarc_reports_sent s WHERE s.day = t.day AND s.policy_domain = t.policy_domain) ORDER BY day`,
    args: [before],
  });
  return rows.map((row) => String((row as Record<string, unknown>).day));
}

export async function dmarcReportMarkSent(
  w: Write,
  input: { day: string; policyDomain: string; sentAt: number; destinations: unknown },
): Promise<void> {
  await w.exec({
    sql: `INSERT INTO dmarc_reports_sent (day, policy_domain, sent_at, destinations) VALUES (?, ?, ?, ?)
          ON CONFLICT (day, policy_domain) DO UPDATE SET sent_at = excluded.sent_at, destinations = excluded.destinations`,
    args: [input.day, input.policyDomain, input.sentAt, JSON.stringify(input.destinations)],
  });
}

export async function dmarcReportsSentList(
  r: Reader,
  options: { limit: number },
): Promise<Array<{ day: string; policyDomain: string; sentAt: number; destinations: unknown }>> {
  const { rows } = await rawOf(r).execute({
    sql: "SELECT day, policy_domain, sent_at, destinations FROM dmarc_reports_sent ORDER BY day DESC, policy_domain LIMIT ?",
    args: [options.limit],
  });
  return rows.map((row) => {
    const r0 = row as Record<string, unknown>;
    return {
      day: String(r0.day),
      policyDomain: String(r0.policy_domain),
      sentAt: Number(r0.sent_at),
      destinations: JSON.parse(String(r0.destinations)),
    };
  });
}

/** Drops counters older than `before` (a day): reports are daily, the table must not grow forever. */
export async function dmarcResultsPrune(w: Write, before: string): Promise<void> {
  await w.exec({ sql: "DELETE FROM dmarc_results WHERE day < ?", args: [before] });
  await w.exec({ sql: "DELETE FROM dmarc_reports_sent WHERE day < ?", args: [before] });
}
