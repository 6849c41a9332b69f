/**
 * /api/v1/reports/tls: outbound TLS results (RFC 8460 TLS-RPT) by day and policy domain, with the
 * reports already sent; POST .../send sends the due reports now (the daily timer's work, on demand).
 * The counters are the store's; sending belongs to the reporter (src/smtp/reports/), handed over.
 */
import { Hono } from "hono";
import { z } from "zod";
import { tlsReportsSentList, tlsResultsList } from "../../store/mod.ts";
import { jsonBody } from "../body.ts";
import { type ApiEnv, handedOver } from "../deps.ts";
import { queryParams } from "../params.ts";

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a UTC day, YYYY-MM-DD");

const TlsReportQuery = z.strictObject({
  day: Day.optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

const TlsReportSend = z.strictObject({ day: Day.optional() });

export const reportRoutes = new Hono<ApiEnv>()
  .get("/tls", async (c) => {
    const { store } = c.get("deps");
    const query = queryParams(c, TlsReportQuery);
    const rows = await tlsResultsList(store.read, { day: query.day, limit: query.limit });
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
    const sent = await tlsReportsSentList(store.read, { limit: 100 });
    return c.json({
      summary: [...summary.values()],
      results: rows.map((r) => ({
        day: r.day,
        policyDomain: r.policyDomain,
        policyType: r.policyType,
        policyStrings: r.policyStrings,
        mxHost: r.mxHost || null,
        receivingIp: r.receivingIp || null,
        result: r.result,
        reason: r.reason || null,
        count: r.count,
      })),
      sent: sent.filter((s) => !query.day || s.day === query.day),
    });
  })
  .post("/tls/send", async (c) => {
    const hasBody = (c.req.header("content-length") ?? "0") !== "0";
    const body = hasBody ? await jsonBody(c, TlsReportSend) : {};
    const reports = await handedOver(c, "tlsReports").send(body.day ? { day: body.day } : {});
    return c.json({ reports });
  });
