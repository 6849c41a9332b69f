/**
 * /api/v1/reports: aggregate reports, both ways.
 * - tls: outbound TLS results (RFC 8460 TLS-RPT) by day and policy domain, with the reports already
 *   sent; tls/received: TLS reports other senders sent about our domains, parsed.
 * - dmarc: DMARC aggregate reports (RFC 7489 §7.2) other receivers sent about our domains, parsed,
 *   with our own counters of what we received and the reports we sent.
 * POST .../send sends the due reports now (the daily timer's work, on demand). The counters are the
 * store's; sending belongs to the reporters (src/smtp/reports/), handed over.
 */

import { type Context, Hono } from "hono";
import { z } from "zod";
import { dmarcReportRows, type ReceivedReport, receivedReportsList, tlsReportRows } from "../../store/mod.ts";
import { jsonBody } from "../body.ts";
import { type ApiEnv, handedOver } from "../deps.ts";
import { emptyAsNull, pick } from "../fields.ts";
import { queryParams } from "../params.ts";

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a UTC day, YYYY-MM-DD");

const TlsReportQuery = z.strictObject({
  day: Day.optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

const TlsReportSend = z.strictObject({ day: Day.optional() });

const ReceivedQuery = z.strictObject({
  domain: z.string().min(1).max(253).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** The received reports' filter and limit (the same list), and our counters' day. */
const DmarcReportQuery = ReceivedQuery.extend({ day: Day.optional() });

/** A received report as listed: times in epoch ms, the parsed report as stored. */
function receivedJson(r: ReceivedReport) {
  return {
    ...pick(r, ["id", "orgName", "reportId", "policyDomain"]),
    begin: r.beginAt,
    end: r.endAt,
    ...pick(r, ["receivedAt", "report"]),
  };
}

async function sendBody(c: Context<ApiEnv>): Promise<{ day?: string }> {
  const hasBody = (c.req.header("content-length") ?? "0") !== "0";
  const body = hasBody ? await jsonBody(c, TlsReportSend) : {};
  return body.day ? { day: body.day } : {};
}

export const reportRoutes = new Hono<ApiEnv>()
  .get("/tls", async (c) => {
    const { store } = c.get("deps");
    const query = queryParams(c, TlsReportQuery);
    const rows = await tlsReportRows.list(store.read, { day: query.day, limit: query.limit });
    // One summary line per day, domain and policy: the report's "summary" (RFC 8460 §4.4).
    const summary = new Map<
      string,
      { day: string; policyDomain: string; policyType: string; successful: number; failed: number }
    >();
    for (const r of rows) {
      const key = `${r.day} ${r.policyDomain} ${r.policyType}`;
      const s = summary.get(key) ?? {
        day: r.day,
        policyDomain: r.policyDomain,
        policyType: r.policyType,
        successful: 0,
        failed: 0,
      };
      if (r.result === "success") s.successful += r.count;
      else s.failed += r.count;
      summary.set(key, s);
    }
    const sent = await tlsReportRows.sentList(store.read, { limit: 100 });
    return c.json({
      summary: [...summary.values()],
      results: rows.map((r) => ({
        ...pick(r, ["day", "policyDomain", "policyType", "policyStrings", "result", "count"]),
        ...emptyAsNull(r, ["mxHost", "receivingIp", "reason"]),
      })),
      sent: sent.filter((s) => !query.day || s.day === query.day),
    });
  })
  .post("/tls/send", async (c) => {
    const reports = await handedOver(c, "tlsReports").send(await sendBody(c));
    return c.json({ reports });
  })
  .get("/tls/received", async (c) => {
    const { store } = c.get("deps");
    const query = queryParams(c, ReceivedQuery);
    const rows = await receivedReportsList(store.read, {
      kind: "tlsrpt",
      policyDomain: query.domain,
      limit: query.limit,
    });
    return c.json({ items: rows.map(receivedJson) });
  })
  .get("/dmarc", async (c) => {
    const { store } = c.get("deps");
    const query = queryParams(c, DmarcReportQuery);
    const [received, results, sent] = await Promise.all([
      receivedReportsList(store.read, { kind: "dmarc", policyDomain: query.domain, limit: query.limit }),
      dmarcReportRows.list(store.read, { day: query.day, policyDomain: query.domain, limit: 5000 }),
      dmarcReportRows.sentList(store.read, { limit: 100 }),
    ]);
    return c.json({
      received: received.map(receivedJson),
      results: results.map((r) => ({
        ...pick(r, ["day", "policyDomain", "sourceIp", "headerFrom", "disposition", "authResults", "count"]),
        ...emptyAsNull(r, ["envelopeFrom", "reason"]),
        dkim: r.dkimAligned,
        spf: r.spfAligned,
      })),
      sent: sent.filter(
        (s) => (!query.day || s.day === query.day) && (!query.domain || s.policyDomain === query.domain),
      ),
    });
  })
  .post("/dmarc/send", async (c) => {
    const reports = await handedOver(c, "dmarcReports").send(await sendBody(c));
    return c.json({ reports });
  });
