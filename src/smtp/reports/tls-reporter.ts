/**
 * Sends the daily TLS-RPT reports (RFC 8460 §3, §5) through the daily reporter (daily-reporter.ts:
 * the hourly timer, due days, sent record, queueing): for every policy domain with results on a
 * finished UTC day and a `_smtp._tls` record, by mail to each mailto: rua and by HTTPS POST to each
 * https: rua. The clock is injectable and `send()` is what the admin API's
 * POST /api/v1/reports/tls/send calls.
 */
import type { DnsResolver } from "../../dns/mod.ts";
import { tlsReportRows } from "../../store/mod.ts";
import { httpsRequest } from "../delivery/https-fetch.ts";
import { TLS_POLICY_LIMITS } from "../queue/limits.ts";
import type { DailyReporter, DailyReporterOptions, ReportHead, SentReport } from "./daily-reporter.ts";
import { createDailyReporter, queueReport } from "./daily-reporter.ts";
import { parseTlsRptRecord, reportGzip, reportMail, tlsReportJson } from "./tls-report.ts";

export interface TlsReporterOptions extends DailyReporterOptions {
  resolver: Pick<DnsResolver, "txt" | "a" | "aaaa">;
  extraCa?: readonly string[];
  /** Days of counters kept (for GET /api/v1/reports/tls) before they are pruned. */
  keepDays?: number;
}

export type TlsReporter = DailyReporter;

export function createTlsReporter(options: TlsReporterOptions): TlsReporter {
  const now = options.now ?? Date.now;

  async function report(head: ReportHead): Promise<SentReport["destinations"] | undefined> {
    const { day, policyDomain } = head;
    const txt = await options.resolver.txt(`_smtp._tls.${policyDomain}`);
    // A lookup that failed may work tomorrow; the hourly timer comes back to it.
    if (txt.kind === "temperror") return undefined;
    const rua = txt.kind === "ok" ? (parseTlsRptRecord(txt.records) ?? []) : [];
    const rows = await tlsReportRows.list(options.store.read, { day, policyDomain, limit: 100_000 });
    const input = { ...head, rows };
    const gzip = reportGzip(tlsReportJson(input));
    const destinations: SentReport["destinations"] = [];
    for (const uri of rua.slice(0, TLS_POLICY_LIMITS.maxReportDestinations))
      destinations.push({ uri, result: await deliver(uri, input, gzip) });
    return destinations;
  }

  async function deliver(
    uri: string,
    input: Parameters<typeof tlsReportJson>[0],
    gzip: Buffer,
  ): Promise<string> {
    if (/^mailto:/i.test(uri)) {
      const to = decodeURIComponent(uri.slice("mailto:".length).split("?")[0]!);
      const raw = reportMail({ ...input, to, gzip, date: new Date(now()) });
      return queueReport(options, to, raw);
    }
    if (gzip.byteLength > TLS_POLICY_LIMITS.maxReportBytes) return "too large";
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return "bad uri";
    }
    // RFC 8460 §5.4: POST with the gzipped report as application/tlsrpt+gzip.
    const answer = await httpsRequest(
      { host: url.hostname, path: `${url.pathname}${url.search}` },
      {
        resolver: options.resolver,
        port: url.port ? Number(url.port) : 443,
        ...(options.extraCa ? { extraCa: options.extraCa } : {}),
        timeoutMs: TLS_POLICY_LIMITS.fetchTimeoutMs,
        maxBytes: 64 * 1024,
        method: "POST",
        body: gzip,
        headers: { "content-type": "application/tlsrpt+gzip" },
      },
    );
    if (answer.kind === "failed") return `failed: ${answer.detail}`;
    return answer.status >= 200 && answer.status < 300 ? "posted" : `failed: HTTP ${answer.status}`;
  }

  return createDailyReporter(options, {
    rows: tlsReportRows,
    events: { sent: "tlsrpt.sent", failed: "tlsrpt.send_failed" },
    keepDays: options.keepDays ?? 30,
    report,
  });
}
