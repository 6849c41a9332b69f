/**
 * DMARC aggregate reports (RFC 7489 §7.2): the reports other receivers sent about our domains
 * (parsed when they arrived), what port 25 itself counted for our own reports, and the reports we
 * sent. All from GET /api/v1/reports/dmarc.
 */
import { getJson, send } from "../api.ts";
import { html, Loading, PageTitle, Status, useAction, useData, when } from "../ui.ts";
import { resultBadge } from "./message-auth.ts";
import { ReportTabs } from "./reports.ts";

interface DmarcRecord {
  sourceIp: string;
  count: number;
  disposition: string;
  dkim: string;
  spf: string;
  reasons: Array<{ type: string; comment: string | null }>;
  headerFrom: string;
  envelopeFrom: string | null;
}

interface ReceivedDmarc {
  id: number;
  orgName: string;
  reportId: string;
  policyDomain: string;
  begin: number;
  end: number;
  receivedAt: number;
  report: {
    email?: string | null;
    policy?: { p: string; pct: number | null };
    records?: DmarcRecord[];
    summary?: { messages: number; passed: number; failed: number };
  };
}

interface DmarcReport {
  received: ReceivedDmarc[];
  results: Array<{
    day: string;
    policyDomain: string;
    sourceIp: string;
    headerFrom: string;
    disposition: string;
    dkim: string;
    spf: string;
    count: number;
  }>;
  sent: Array<{ day: string; policyDomain: string; sentAt: number }>;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function Received(props: { r: ReceivedDmarc }) {
  const { r } = props;
  const s = r.report.summary;
  const records = r.report.records ?? [];
  return html`<details class="report">
    <summary><strong>${r.orgName}</strong> about ${r.policyDomain} · ${day(r.begin)} to ${day(r.end)}
      ${s ? html` · ${s.messages} messages, <span class=${s.failed ? "error-text" : ""}>${s.failed} failed DMARC</span>` : null}</summary>
    <p class="muted small">Report ${r.reportId}${r.report.email ? ` from ${r.report.email}` : ""}, received ${when(r.receivedAt)}${r.report.policy ? `; published policy p=${r.report.policy.p}` : ""}</p>
    <div class="table-wrap"><table>
      <thead><tr><th scope="col">Source IP</th><th scope="col">Messages</th><th scope="col">Header From</th><th scope="col">DKIM</th><th scope="col">SPF</th><th scope="col">Disposition</th></tr></thead>
      <tbody>${records.map(
        (x) => html`<tr><td class="mono">${x.sourceIp}</td><td>${x.count}</td><td>${x.headerFrom}</td>
          <td>${resultBadge(x.dkim)}</td><td>${resultBadge(x.spf)}</td>
          <td>${x.disposition}${x.reasons.length ? html` <span class="muted small">(${x.reasons.map((e) => e.type).join(", ")})</span>` : null}</td></tr>`,
      )}</tbody>
    </table></div>
  </details>`;
}

export function DmarcReportsView() {
  const data = useData(() => getJson<DmarcReport>("/api/v1/reports/dmarc?limit=100"));
  const { status, busy, run } = useAction();
  const r = data.data;
  return html`<${PageTitle}>DMARC reports<//>
    <${ReportTabs} current="dmarc" />
    <p><button type="button" class="small" disabled=${busy} onClick=${() => run(() => send("POST", "/api/v1/reports/dmarc/send", {}).then(data.reload), "Due reports sent.")}>Send due reports now</button></p>
    <${Status} status=${status} />
    <${Loading} error=${data.error} loading=${data.loading}>
      ${
        r &&
        html`<section aria-labelledby="dmarc-received">
          <h2 id="dmarc-received">Reports received about our domains</h2>
          ${r.received.length === 0 ? html`<p class="muted">None yet: receivers send them daily to the rua= address of a domain's DMARC record.</p>` : r.received.map((x) => html`<${Received} key=${x.id} r=${x} />`)}
        </section>
        <section aria-labelledby="dmarc-counted">
          <h2 id="dmarc-counted">What we received (for our own reports)</h2>
          ${
            r.results.length === 0
              ? html`<p class="muted">No DMARC-checked mail counted yet.</p>`
              : html`<div class="table-wrap"><table>
              <thead><tr><th scope="col">Day</th><th scope="col">Domain</th><th scope="col">Source IP</th><th scope="col">Header From</th><th scope="col">DKIM</th><th scope="col">SPF</th><th scope="col">Disposition</th><th scope="col">Messages</th></tr></thead>
              <tbody>${r.results.map((x) => html`<tr><td>${x.day}</td><td>${x.policyDomain}</td><td class="mono">${x.sourceIp}</td><td>${x.headerFrom}</td><td>${resultBadge(x.dkim)}</td><td>${resultBadge(x.spf)}</td><td>${x.disposition}</td><td>${x.count}</td></tr>`)}</tbody>
            </table></div>`
          }
        </section>
        <h2>Reports sent</h2>
        ${r.sent.length === 0 ? html`<p class="muted">None yet.</p>` : html`<ul class="list">${r.sent.map((s) => html`<li class="row">${s.day} · ${s.policyDomain} · ${when(s.sentAt)}</li>`)}</ul>`}`
      }
    <//>`;
}
