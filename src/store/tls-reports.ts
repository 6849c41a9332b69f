/**
 * Outbound TLS results for TLS-RPT (RFC 8460): counters by day, policy domain, policy and outcome,
 * and the record of which daily reports were sent. Adding a result is one upsert.
 */
import { type Reader, rawOf, type Write } from "./db.ts";

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

/** Every counter, newest day first; only `day`'s (or from `since` on) when given. */
export async function tlsResultsList(
  r: Reader,
  options: { day?: string | undefined; since?: string | undefined; limit: number },
): Promise<TlsResultRow[]> {
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (options.day) {
    where.push("day = ?");
    args.push(options.day);
  }
  if (options.since) {
    where.push("day >= ?");
    args.push(options.since);
  }
  const { rows } = await rawOf(r).execute({
    sql: `SELECT ${COLUMNS} FROM tls_results ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
          ORDER BY day DESC, policy_domain, id LIMIT ?`,
    args: [...args, options.limit],
  });
  return rows.map((row) => fromRow(row as Record<string, unknown>));
}

/** Policy domains with results on `day` and no report sent for it yet. */
export async function tlsReportsPending(r: Reader, day: string): Promise<string[]> {
  const { rows } = await rawOf(r).execute({
    sql: `SELECT DISTINCT policy_domain FROM tls_results WHERE day = ? AND policy_domain NOT IN
            (SELECT policy_domain FROM tls_reports_sent WHERE day = ?) ORDER BY policy_domain`,
    args: [day, day],
  });
  return rows.map((row) => String((row as Record<string, unknown>).policy_domain));
}

/** Days before `day` that still have unsent results (a missed timer after downtime). */
export async function tlsReportDaysPending(r: Reader, before: string): Promise<string[]> {
  const { rows } = await rawOf(r).execute({
    sql: `SELECT DISTINCT day FROM tls_results t WHERE day < ? AND NOT EXISTS
            (SELECT 1 FROM tls_reports_sent s WHERE s.day = t.day AND s.policy_domain = t.policy_domain) ORDER BY day`,
    args: [before],
  });
  return rows.map((row) => String((row as Record<string, unknown>).day));
}

export async function tlsReportMarkSent(
  w: Write,
  input: { day: string; policyDomain: string; sentAt: number; destinations: unknown },
): Promise<void> {
  await w.exec({
    sql: `INSERT INTO tls_reports_sent (day, policy_domain, sent_at, destinations) VALUES (?, ?, ?, ?)
          ON CONFLICT (day, policy_domain) DO UPDATE SET sent_at = excluded.sent_at, destinations = excluded.destinations`,
    args: [input.day, input.policyDomain, input.sentAt, JSON.stringify(input.destinations)],
  });
}

export async function tlsReportsSentList(
  r: Reader,
  options: { limit: number },
): Promise<Array<{ day: string; policyDomain: string; sentAt: number; destinations: unknown }>> {
  const { rows } = await rawOf(r).execute({
    sql: "SELECT day, policy_domain, sent_at, destinations FROM tls_reports_sent ORDER BY day DESC, policy_domain LIMIT ?",
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
export async function tlsResultsPrune(w: Write, before: string): Promise<void> {
  await w.exec({ sql: "DELETE FROM tls_results WHERE day < ?", args: [before] });
  await w.exec({ sql: "DELETE FROM tls_reports_sent WHERE day < ?", args: [before] });
}
