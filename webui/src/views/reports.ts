/** TLS reports (RFC 8460): what outgoing deliveries found of the recipients' transport security. */
import { getJson, send } from "../api.ts";
import { href } from "../router.ts";
import { html, Loading, PageTitle, Status, useAction, useData, when } from "../ui.ts";

interface TlsReport {
  summary: Array<{
    day: string;
    policyDomain: string;
    policyType: string;
    successful: number;
    failed: number;
  }>;
  results: Array<{
    day: string;
    policyDomain: string;
    policyType: string;
    mxHost: string | null;
    result: string;
    reason: string | null;
    count: number;
  }>;
  sent: Array<{ day: string; policyDomain: string; sentAt: number }>;
}

/** The two report screens, TLS and DMARC, side by side. */
export function ReportTabs(props: { current: "tls" | "dmarc" }) {
  const link = (to: "tls" | "dmarc", label: string) =>
    html`<a href=${to === "tls" ? href("reports") : href("reports", "dmarc")} aria-current=${props.current === to ? "page" : undefined}>${label}</a>`;
  return html`<nav class="subnav" aria-label="Reports">${link("tls", "TLS reports")} ${link("dmarc", "DMARC reports")}</nav>`;
}

export function ReportsView() {
  const data = useData(() => getJson<TlsReport>("/api/v1/reports/tls?limit=500"));
  const { status, busy, run } = useAction();
  const r = data.data;
  return html`<${PageTitle}>TLS reports<//>
    <${ReportTabs} current="tls" />
    <p><button type="button" class="small" disabled=${busy} onClick=${() => run(() => send("POST", "/api/v1/reports/tls/send", {}).then(data.reload), "Due reports sent.")}>Send due reports now</button></p>
    <${Status} status=${status} />
    <${Loading} error=${data.error} loading=${data.loading}>
      ${
        r &&
        html`<h2>Per day and domain</h2>
        ${
          r.summary.length === 0
            ? html`<p class="muted">No outgoing TLS sessions counted yet.</p>`
            : html`<div class="table-wrap"><table>
            <thead><tr><th scope="col">Day</th><th scope="col">Domain</th><th scope="col">Policy</th><th scope="col">Successful</th><th scope="col">Failed</th></tr></thead>
            <tbody>${r.summary.map((s) => html`<tr><td>${s.day}</td><td>${s.policyDomain}</td><td>${s.policyType}</td><td>${s.successful}</td><td>${s.failed ? html`<span class="error">${s.failed}</span>` : 0}</td></tr>`)}</tbody>
          </table></div>`
        }
        ${
          r.results.some((x) => x.result !== "success")
            ? html`<h2>Failures</h2><div class="table-wrap"><table>
              <thead><tr><th scope="col">Day</th><th scope="col">Domain</th><th scope="col">MX</th><th scope="col">Result</th><th scope="col">Reason</th><th scope="col">Sessions</th></tr></thead>
              <tbody>${r.results
                .filter((x) => x.result !== "success")
                .map(
                  (x) =>
                    html`<tr><td>${x.day}</td><td>${x.policyDomain}</td><td>${x.mxHost ?? "—"}</td><td>${x.result}</td><td class="small">${x.reason ?? ""}</td><td>${x.count}</td></tr>`,
                )}</tbody>
            </table></div>`
            : null
        }
        <h2>Reports sent</h2>
        ${r.sent.length === 0 ? html`<p class="muted">None yet.</p>` : html`<ul class="list">${r.sent.map((s) => html`<li class="row">${s.day} · ${s.policyDomain} · ${when(s.sentAt)}</li>`)}</ul>`}`
      }
    <//>`;
}
