/**
 * Sends the daily DMARC aggregate reports (RFC 7489 §7.2): once a day (a timer that looks every
 * hour, so a restart or a missed day catches up), for every policy domain with results on a
 * finished UTC day, to each mailto: rua its record named (queued like any message, from the null
 * sender so nothing bounces back to a report). External destinations are verified first (§7.1),
 * and a "!size" limit is honoured. What went out is recorded, so a day is reported once. Also
 * prunes old counters and old received reports. `send()` is what POST /api/v1/reports/dmarc/send calls.
 */
import { type DnsResolver, mailauthResolver } from "../../dns/mod.ts";
import type { Logger } from "../../log.ts";
import {
  dmarcReportDaysPending,
  dmarcReportMarkSent,
  dmarcReportsPending,
  dmarcResultsList,
  dmarcResultsPrune,
  receivedReportsPrune,
  type Store,
} from "../../store/mod.ts";
import { deliverNotice, type NoticeSigner } from "../delivery/bounce.ts";
import { destinationAllowed, dmarcReportGzip, dmarcReportMail, ruaDestination } from "./dmarc-report.ts";
import { dmarcReportXml } from "./dmarc-xml.ts";
import { REPORT_LIMITS } from "./limits.ts";

export interface DmarcReporterOptions {
  store: Store;
  resolver: DnsResolver;
  log: Logger;
  hostname: string;
  /** Primary domain: the report's contact is its postmaster. */
  domain: string;
  /** Told when a report was queued for remote delivery. */
  onQueued(): void;
  /** DKIM-signs the reports mailed to remote rua addresses. */
  sign?: NoticeSigner;
  now?: () => number;
}

export interface SentDmarcReport {
  day: string;
  policyDomain: string;
  destinations: Array<{ uri: string; result: string }>;
}

export interface DmarcReporter {
  start(): void;
  stop(): void;
  /** Sends what is due: every finished day not yet reported, or the given day (even today). */
  send(options?: { day?: string }): Promise<SentDmarcReport[]>;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

export function createDmarcReporter(options: DmarcReporterOptions): DmarcReporter {
  const now = options.now ?? Date.now;
  const lookup = mailauthResolver(options.resolver);
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<SentDmarcReport[]> | undefined;

  async function sendDomain(day: string, policyDomain: string): Promise<SentDmarcReport | undefined> {
    const rows = await dmarcResultsList(options.store.read, {
      day,
      policyDomain,
      limit: REPORT_LIMITS.maxSentRecords,
    });
    if (rows.length === 0) return undefined;
    const input = {
      day,
      policyDomain,
      submitter: options.hostname,
      contact: `postmaster@${options.domain}`,
      rows,
    };
    const gzip = dmarcReportGzip(dmarcReportXml(input));
    // The rua= the record had when these messages were counted (each row keeps the last one seen).
    const uris = [...new Set(rows[0]!.rua)].slice(0, REPORT_LIMITS.maxDestinations);
    const destinations: SentDmarcReport["destinations"] = [];
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
      const result = await options.store.write((w) => deliverNotice(w, target.address, raw, options.sign));
      if (result === "queued") options.onQueued();
      destinations.push({ uri, result });
    }
    await options.store.write((w) =>
      dmarcReportMarkSent(w, { day, policyDomain, sentAt: now(), destinations }),
    );
    options.log.info("dmarc.report_sent", { day, domain: policyDomain, destinations });
    return { day, policyDomain, destinations };
  }

  async function sendDue(day?: string): Promise<SentDmarcReport[]> {
    const today = new Date(now()).toISOString().slice(0, 10);
    const days = day ? [day] : await dmarcReportDaysPending(options.store.read, today);
    const sent: SentDmarcReport[] = [];
    for (const d of days)
      for (const policyDomain of await dmarcReportsPending(options.store.read, d)) {
        const report = await sendDomain(d, policyDomain);
        if (report) sent.push(report);
      }
    const oldest = new Date(now() - REPORT_LIMITS.keepResultsDays * DAY).toISOString().slice(0, 10);
    await options.store.write(async (w) => {
      await dmarcResultsPrune(w, oldest);
      await receivedReportsPrune(w, now() - REPORT_LIMITS.keepReceivedDays * DAY);
    });
    return sent;
  }

  /** One run at a time: the timer and an admin's request do not send a day twice. */
  function send(opts: { day?: string } = {}): Promise<SentDmarcReport[]> {
    const previous = running ?? Promise.resolve([]);
    const next = previous.catch(() => []).then(() => sendDue(opts.day));
    running = next;
    return next;
  }

  return {
    start() {
      if (timer) return;
      timer = setInterval(() => {
        send().catch((error) => options.log.error("dmarc.send_failed", { error }));
      }, HOUR);
      timer.unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    send,
  };
}
