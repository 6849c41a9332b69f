/**
 * Sends the daily TLS-RPT reports (RFC 8460 §3, §5): once a day (a timer that looks every hour, so a
 * restart or a missed day catches up), for every policy domain with results on a finished UTC day and
 * a `_smtp._tls` record: by mail to each mailto: rua (queued like any message, from the null sender
 * so nothing bounces back to a report) and by HTTPS POST to each https: rua. What went out is
 * recorded, so a day is reported once. The clock is injectable and `send()` is what the admin API's
 * POST /api/v1/reports/tls/send calls.
 */
import type { DnsResolver } from "../../dns/mod.ts";
import type { Logger } from "../../log.ts";
import { type Store, tlsReportRows } from "../../store/mod.ts";
import { deliverNotice, type NoticeSigner } from "../delivery/bounce.ts";
import { httpsRequest } from "../delivery/https-fetch.ts";
import { TLS_POLICY_LIMITS } from "../queue/limits.ts";
import { parseTlsRptRecord, reportGzip, reportMail, tlsReportJson } from "./tls-report.ts";

export interface TlsReporterOptions {
  store: Store;
  resolver: Pick<DnsResolver, "txt" | "a" | "aaaa">;
  log: Logger;
  hostname: string;
  /** Primary domain: contact-info is its postmaster. */
  domain: string;
  extraCa?: readonly string[];
  /** Told when a report was queued for remote delivery. */
  onQueued(): void;
  /** DKIM-signs the reports mailed to remote rua addresses. */
  sign?: NoticeSigner;
  now?: () => number;
  /** Days of counters kept (for GET /api/v1/reports/tls) before they are pruned. */
  keepDays?: number;
}

export interface SentReport {
  day: string;
  policyDomain: string;
  destinations: Array<{ uri: string; result: string }>;
}

export interface TlsReporter {
  start(): void;
  stop(): void;
  /** Sends what is due: every finished day not yet reported, or the given day (even today). */
  send(options?: { day?: string }): Promise<SentReport[]>;
}

const HOUR = 3_600_000;

export function createTlsReporter(options: TlsReporterOptions): TlsReporter {
  const now = options.now ?? Date.now;
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<SentReport[]> | undefined;

  async function sendDay(day: string): Promise<SentReport[]> {
    const sent: SentReport[] = [];
    const pending = await tlsReportRows.pending(options.store.read, day);
    if (pending.length === 0) return sent;
    const rows = await tlsReportRows.list(options.store.read, { day, limit: 100_000 });
    for (const policyDomain of pending) {
      const mine = rows.filter((r) => r.policyDomain === policyDomain);
      const txt = await options.resolver.txt(`_smtp._tls.${policyDomain}`);
      // A lookup that failed may work tomorrow; the hourly timer comes back to it.
      if (txt.kind === "temperror") continue;
      const rua = txt.kind === "ok" ? (parseTlsRptRecord(txt.records) ?? []) : [];
      const input = {
        day,
        policyDomain,
        submitter: options.hostname,
        contact: `postmaster@${options.domain}`,
        rows: mine,
      };
      const gzip = reportGzip(tlsReportJson(input));
      const destinations: SentReport["destinations"] = [];
      for (const uri of rua.slice(0, TLS_POLICY_LIMITS.maxReportDestinations))
        destinations.push({ uri, result: await deliver(uri, input, gzip) });
      await options.store.write((w) =>
        tlsReportRows.markSent(w, { day, policyDomain, sentAt: now(), destinations }),
      );
      options.log.info("tlsrpt.sent", { day, domain: policyDomain, destinations });
      sent.push({ day, policyDomain, destinations });
    }
    return sent;
  }

  async function deliver(
    uri: string,
    input: Parameters<typeof tlsReportJson>[0],
    gzip: Buffer,
  ): Promise<string> {
    if (/^mailto:/i.test(uri)) {
      const to = decodeURIComponent(uri.slice("mailto:".length).split("?")[0]!);
      const raw = reportMail({ ...input, to, gzip, date: new Date(now()) });
      const result = await options.store.write((w) => deliverNotice(w, to, raw, options.sign));
      if (result === "queued") options.onQueued();
      return result;
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

  async function sendDue(day?: string): Promise<SentReport[]> {
    const today = new Date(now()).toISOString().slice(0, 10);
    const days = day ? [day] : await tlsReportRows.daysPending(options.store.read, today);
    const sent: SentReport[] = [];
    for (const d of days) sent.push(...(await sendDay(d)));
    const keep = options.keepDays ?? 30;
    const oldest = new Date(now() - keep * 86_400_000).toISOString().slice(0, 10);
    await options.store.write((w) => tlsReportRows.prune(w, oldest));
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
        send().catch((error) => options.log.error("tlsrpt.send_failed", { error }));
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
