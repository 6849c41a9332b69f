/**
 * The message view's Authentication tab: the REST message's `authentication` object (SPF, HELO,
 * DKIM, DMARC and ARC as the inbound checks found them on arrival, RFC 7208, RFC 6376, RFC 7489,
 * RFC 8617) and its `spam` object (the spam check's verdict and the symbols that made it), as tables
 * a person reads, not header fields to decode.
 */
import type { AuthenticationResults, SpamVerdict } from "../api.ts";
import { html } from "../ui.ts";

/** How a result looks: pass is good, none/neutral say nothing, the rest need a look. */
function tone(result: string): string {
  if (result === "pass") return "ok";
  if (result === "none" || result === "neutral" || result === "no action") return "";
  if (result === "softfail" || result === "temperror" || result === "policy" || result === "greylist")
    return "unknown";
  return "missing";
}

export const resultBadge = (result: string) => html`<span class=${`badge ${tone(result)}`}>${result}</span>`;

/** The short "spf=pass dkim=pass dmarc=pass" summary of the envelope block. */
export function verdictSummary(a: AuthenticationResults): Array<[string, string]> {
  return [
    ["spf", a.spf.result],
    ...a.dkim.map((d): [string, string] => ["dkim", d.result]),
    ...(a.dkim.length === 0 ? [["dkim", "none"] as [string, string]] : []),
    ["dmarc", a.dmarc?.result ?? "none"],
    ...(a.arc.result !== "none" ? [["arc", a.arc.result] as [string, string]] : []),
  ];
}

const dash = (v: string | null | undefined) => v || "—";

function Authentication(props: { a: AuthenticationResults }) {
  const { a } = props;
  return html`<section aria-labelledby="auth-results">
    <h3 id="auth-results">Sender authentication</h3>
    <div class="table-wrap"><table class="auth">
      <thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Domain</th><th scope="col">Details</th></tr></thead>
      <tbody>
        <tr><th scope="row">SPF (MAIL FROM)</th><td>${resultBadge(a.spf.result)}</td><td>${dash(a.spf.domain)}</td><td></td></tr>
        ${a.helo ? html`<tr><th scope="row">SPF (HELO)</th><td>${resultBadge(a.helo.result)}</td><td>${dash(a.helo.domain)}</td><td></td></tr>` : null}
        ${
          a.dkim.length === 0
            ? html`<tr><th scope="row">DKIM</th><td>${resultBadge("none")}</td><td>—</td><td class="muted">not signed</td></tr>`
            : a.dkim.map(
                (d, i) =>
                  html`<tr><th scope="row">DKIM${a.dkim.length > 1 ? ` #${i + 1}` : ""}</th><td>${resultBadge(d.result)}</td><td>${dash(d.domain)}</td>
                  <td class="small">${[d.selector ? `selector ${d.selector}` : "", d.algorithm ?? "", d.reason ?? ""].filter(Boolean).join(" · ")}</td></tr>`,
              )
        }
        <tr><th scope="row">DMARC</th><td>${resultBadge(a.dmarc?.result ?? "none")}</td><td>${dash(a.dmarc?.domain)}</td>
          <td class="small">${a.dmarc ? `policy ${a.dmarc.policy ?? "none"} · ${a.dmarc.disposition === "quarantine" ? "delivered to Junk" : "delivered"}` : "no single From domain"}</td></tr>
        <tr><th scope="row">ARC</th><td>${resultBadge(a.arc.result)}</td><td>—</td><td></td></tr>
      </tbody>
    </table></div>
  </section>`;
}

function Spam(props: { s: SpamVerdict }) {
  const { s } = props;
  const symbols = [...s.symbols].sort((x, y) => Math.abs(y.score) - Math.abs(x.score));
  return html`<section aria-labelledby="spam-verdict">
    <h3 id="spam-verdict">Spam check</h3>
    <p><span class=${`badge ${s.action === "no action" ? "ok" : tone(s.action)}`}>${s.action}</span>
      ${" "}score <strong>${s.score.toFixed(2)}</strong> of ${s.required.toFixed(2)} to refuse
      <span class="muted small"> (${s.checker === "rspamd" ? "rspamd" : "built-in checks"})</span></p>
    ${
      symbols.length === 0
        ? html`<p class="muted">No rule matched.</p>`
        : html`<div class="table-wrap"><table class="spam-symbols">
          <thead><tr><th scope="col">Rule</th><th scope="col">Score</th><th scope="col">What it saw</th></tr></thead>
          <tbody>${symbols.map((x) => html`<tr><td class="mono">${x.name}</td><td>${x.score.toFixed(2)}</td><td class="small wrap">${x.detail ?? ""}</td></tr>`)}</tbody>
        </table></div>`
    }
  </section>`;
}

export function AuthPanel(props: { authentication: AuthenticationResults | null; spam: SpamVerdict | null }) {
  if (!props.authentication && !props.spam)
    return html`<p class="muted">This message was not checked: only mail received on port 25 from a server that did not sign in is (not mail submitted by a local account, APPENDed over IMAP or imported).</p>`;
  return html`${props.authentication ? html`<${Authentication} a=${props.authentication} />` : html`<p class="muted">No sender authentication results.</p>`}
    ${props.spam ? html`<${Spam} s=${props.spam} />` : html`<p class="muted">No spam check for this message.</p>`}`;
}
