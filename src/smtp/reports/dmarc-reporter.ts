/**
 * Sends the daily DMARC aggregate reports (RFC 7489 §7.2) through the daily reporter
 * (daily-reporter.ts: the hourly timer, due days, sent record, queueing): for every policy domain
 * with results on a finished UTC day, to each mailto: rua its record named. External destinations
 * are verified first (§7.1), and a "!size" limit is honoured. Also prunes old received reports.
 * `send()` is what POST /api/v1/reports/dmarc/send calls.
 */
import { type DnsResolver, mailauthResolver } from "../../dns/mod.ts";
import { dmarcReportRows, receivedReportsPrune } from "../../store/mod.ts";
import type { DailyReporter, DailyReporterOptions, ReportHead, SentReport } from "./daily-reporter.ts";
import { createDailyReporter, queueReport } from "./daily-reporter.ts";
import { destinationAllowed, dmarcReportGzip, dmarcReportMail, ruaDestination } from "./dmarc-report.ts";
import { dmarcReportXml } from "./dmarc-xml.ts";
import { REPORT_LIMITS } from "./limits.ts";

export interface DmarcReporterOptions extends DailyReporterOptions {
  resolver: DnsResolver;
}

export type SentDmarcReport = SentReport;
export type DmarcReporter = DailyReporter;

const DAY = 86_400_000;

export function createDmarcReporter(options: DmarcReporterOptions): DmarcReporter {
  const now = options.now ?? Date.now;
  const lookup = mailauthResolver(options.resolver);

  async function report(head: ReportHead): Promise<SentReport["destinations"] | undefined> {
    const { day, policyDomain } = head;
    const rows = await dmarcReportRows.list(options.store.read, {
      day,
      policyDomain,
      limit: REPORT_LIMITS.maxSentRecords,
    });
    if (rows.length === 0) return undefined;
    const input = { ...head, rows };
    const gzip = dmarcReportGzip(dmarcReportXml(input));
    // The rua= the record had when these messages were counted (each row keeps the last one seen).
    const uris = [...new Set(rows[0]!.rua)].slice(0, REPORT_LIMITS.maxDestinations);
    const destinations: SentReport["destinations"] = [];
    for (const uri of uris) {
      const target = ruaDestination(uri);
      if (!target) {
        destinations.push({ uri, result: "bad uri" });
        continue;
      }
      const domain = target.address.slice(target.address.lastIndexOf("@") + 1);
      const allowed = await destinationAllowed(options.resolver, lookup, policyDomain, domain);
      // A destination that could not be verified now is tried again at the next run.
      if (allowed === "temperror") return undefined;
      if (allowed === "refused") {
        destinations.push({ uri, result: "refused: no _report._dmarc authorization (RFC 7489 7.1)" });
        continue;
      }
      if (target.maxBytes !== undefined && gzip.byteLength > target.maxBytes) {
        destinations.push({
          uri,
          result: `too large for the destination's limit (${target.maxBytes} bytes)`,
        });
        continue;
      }
      const raw = dmarcReportMail({ ...input, to: target.address, gzip, date: new Date(now()) });
      destinations.push({ uri, result: await queueReport(options, target.address, raw) });
    }
    return destinations;
  }

  return createDailyReporter(options, {
    rows: dmarcReportRows,
    events: { sent: "dmarc.report_sent", failed: "dmarc.send_failed" },
    keepDays: REPORT_LIMITS.keepResultsDays,
    report,
    prune: (w) => receivedReportsPrune(w, now() - REPORT_LIMITS.keepReceivedDays * DAY),
  });
}
