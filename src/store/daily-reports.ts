/**
 * The rows both daily aggregate reports keep, TLS-RPT (RFC 8460) and DMARC (RFC 7489 §7.2): a
 * counter table keyed by UTC day and policy domain (and the kind's own outcome columns), and a
 * `<kind>_reports_sent` table (day, policy_domain, sent_at, destinations) recording which daily
 * report went out, so a restart does not send one twice. Only the table names and a counter row's
 * columns differ between the two kinds; every query over them is this one.
 */
import { type Reader, rawOf, type Write } from "./db.ts";

export interface SentReportRow {
  day: string;
  policyDomain: string;
  sentAt: number;
  destinations: unknown;
}

export interface DailyReportRows<Row> {
  /** Counters, newest day first; one day's, or one domain's, when given. */
  list(
    r: Reader,
    options: { day?: string | undefined; policyDomain?: string | undefined; limit: number },
  ): Promise<Row[]>;
  /** Policy domains with results on `day` and no report sent for it yet. */
  pending(r: Reader, day: string): Promise<string[]>;
  /** Days before `before` that still have unsent results (a missed timer after downtime). */
  daysPending(r: Reader, before: string): Promise<string[]>;
  markSent(w: Write, input: SentReportRow): Promise<void>;
  /** The reports sent, newest day first. */
  sentList(r: Reader, options: { limit: number }): Promise<SentReportRow[]>;
  /** Drops counters older than `before` (a day): reports are daily, the tables must not grow forever. */
  prune(w: Write, before: string): Promise<void>;
}

/** `results` and `sent` are table names of schema.ts (constants, never input). */
export function dailyReportRows<Row>(kind: {
  results: string;
  sent: string;
  /** The counter row's columns, as `fromRow` reads them. */
  columns: string;
  fromRow(row: Record<string, unknown>): Row;
}): DailyReportRows<Row> {
  const { results, sent } = kind;
  return {
    async list(r, options) {
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
        sql: `SELECT ${kind.columns} FROM ${results} ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
              ORDER BY day DESC, policy_domain, id LIMIT ?`,
        args: [...args, options.limit],
      });
      return rows.map((row) => kind.fromRow(row as Record<string, unknown>));
    },

    async pending(r, day) {
      const { rows } = await rawOf(r).execute({
        sql: `SELECT DISTINCT policy_domain FROM ${results} WHERE day = ? AND policy_domain NOT IN
                (SELECT policy_domain FROM ${sent} WHERE day = ?) ORDER BY policy_domain`,
        args: [day, day],
      });
      return rows.map((row) => String((row as Record<string, unknown>).policy_domain));
    },

    async daysPending(r, before) {
      const { rows } = await rawOf(r).execute({
        sql: `SELECT DISTINCT day FROM ${results} t WHERE day < ? AND NOT EXISTS
                (SELECT 1 FROM ${sent} s WHERE s.day = t.day AND s.policy_domain = t.policy_domain) ORDER BY day`,
        args: [before],
      });
      return rows.map((row) => String((row as Record<string, unknown>).day));
    },

    async markSent(w, input) {
      await w.exec({
        sql: `INSERT INTO ${sent} (day, policy_domain, sent_at, destinations) VALUES (?, ?, ?, ?)
              ON CONFLICT (day, policy_domain) DO UPDATE SET sent_at = excluded.sent_at, destinations = excluded.destinations`,
        args: [input.day, input.policyDomain, input.sentAt, JSON.stringify(input.destinations)],
      });
    },

    async sentList(r, options) {
      const { rows } = await rawOf(r).execute({
        sql: `SELECT day, policy_domain, sent_at, destinations FROM ${sent} ORDER BY day DESC, policy_domain LIMIT ?`,
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
    },

    async prune(w, before) {
      await w.exec({ sql: `DELETE FROM ${results} WHERE day < ?`, args: [before] });
      await w.exec({ sql: `DELETE FROM ${sent} WHERE day < ?`, args: [before] });
    },
  };
}
