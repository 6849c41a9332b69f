/**
 * What both daily aggregate reporters do the same way, TLS-RPT (RFC 8460 §3) and DMARC (RFC 7489
 * §7.2): a timer that looks every hour (so a restart or a missed day catches up), every finished
 * UTC day with unreported policy domains, one run at a time, the record of what went out (so a day
 * is reported once), pruning old counters, and queueing a report mail like any message (from the
 * null sender so nothing bounces back to a report; DKIM-signed for remote rua addresses). A kind
 * brings only how one domain's report is built and where it goes.
 */
import type { Logger } from "../../log.ts";
import type { DailyReportRows, Store, Write } from "../../store/mod.ts";
import { deliverNotice, type NoticeSigner } from "../delivery/bounce.ts";

export interface DailyReporterOptions {
  store: Store;
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

export interface SentReport {
  day: string;
  policyDomain: string;
  destinations: Array<{ uri: string; result: string }>;
}

export interface DailyReporter {
  start(): void;
  stop(): void;
  /** Sends what is due: every finished day not yet reported, or the given day (even today). */
  send(options?: { day?: string }): Promise<SentReport[]>;
}

/** What every report names: its day and policy domain, us as the submitter, our postmaster as contact. */
export interface ReportHead {
  day: string;
  policyDomain: string;
  submitter: string;
  contact: string;
}

export interface DailyReportKind {
  rows: DailyReportRows<unknown>;
  /** Log events: a report sent, a timer run that failed. */
  events: { sent: string; failed: string };
  /** Days of counters kept before they are pruned. */
  keepDays: number;
  /** Builds and sends one domain's report of one day: where it went; undefined to try again at the next run. */
  report(head: ReportHead): Promise<SentReport["destinations"] | undefined>;
  /** Prunes more in the same write as the counters. */
  prune?(w: Write): Promise<void>;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Queues one report mail to `to`: "delivered" (a local rua), "queued" or "undeliverable". */
export async function queueReport(
  options: Pick<DailyReporterOptions, "store" | "sign" | "onQueued">,
  to: string,
  raw: Buffer,
): Promise<string> {
  const result = await options.store.write((w) => deliverNotice(w, to, raw, options.sign));
  if (result === "queued") options.onQueued();
  return result;
}

export function createDailyReporter(options: DailyReporterOptions, kind: DailyReportKind): DailyReporter {
  const now = options.now ?? Date.now;
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<SentReport[]> | undefined;

  async function sendDomain(day: string, policyDomain: string): Promise<SentReport | undefined> {
    const destinations = await kind.report({
      day,
      policyDomain,
      submitter: options.hostname,
      contact: `postmaster@${options.domain}`,
    });
    if (!destinations) return undefined;
    await options.store.write((w) =>
      kind.rows.markSent(w, { day, policyDomain, sentAt: now(), destinations }),
    );
    options.log.info(kind.events.sent, { day, domain: policyDomain, destinations });
    return { day, policyDomain, destinations };
  }

  async function sendDue(day?: string): Promise<SentReport[]> {
    const today = new Date(now()).toISOString().slice(0, 10);
    const days = day ? [day] : await kind.rows.daysPending(options.store.read, today);
    const sent: SentReport[] = [];
    for (const d of days)
      for (const policyDomain of await kind.rows.pending(options.store.read, d)) {
        const report = await sendDomain(d, policyDomain);
        if (report) sent.push(report);
      }
    const oldest = new Date(now() - kind.keepDays * DAY).toISOString().slice(0, 10);
    await options.store.write(async (w) => {
      await kind.rows.prune(w, oldest);
      await kind.prune?.(w);
    });
    return sent;
  }

  /** One run at a time: the timer and an admin's request do not send a day twice. */
  function send(opts: { day?: string } = {}): Promise<SentReport[]> {
    const previous = running ?? Promise.resolve([]);
    const next = previous.catch(() => []).then(() => sendDue(opts.day));
    running = next;
    return next;
  }

  return {
    start() {
      if (timer) return;
      timer = setInterval(() => {
        send().catch((error) => options.log.error(kind.events.failed, { error }));
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
