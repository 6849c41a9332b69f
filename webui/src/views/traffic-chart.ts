/**
 * Mail per hour as an inline SVG bar chart drawn here (no chart library): received and sent side by
 * side for each hour, the current hour last. Geometry and classes only, no style attributes: the
 * page's CSP allows no inline styles. The numbers are also in a table for screen readers.
 */
import { html } from "../ui.ts";

export interface TrafficHour {
  hour: number;
  received: number;
  delivered: number;
  bounced: number;
}

const W = 960;
const H = 180;
const PAD = { left: 36, right: 8, top: 10, bottom: 24 };

/** A round ceiling for the axis: 1, 2, 5, 10, 20, 50... at least the largest value. */
function niceMax(n: number): number {
  if (n <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

const hourLabel = (ms: number) => `${String(new Date(ms).getHours()).padStart(2, "0")}:00`;

export function TrafficChart(props: { hours: TrafficHour[] }) {
  const { hours } = props;
  const sent = (h: TrafficHour) => h.delivered + h.bounced;
  const top = niceMax(Math.max(0, ...hours.map((h) => Math.max(h.received, sent(h)))));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, hours.length);
  const bar = Math.max(1, slot * 0.38);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const totals = {
    received: hours.reduce((n, h) => n + h.received, 0),
    sent: hours.reduce((n, h) => n + sent(h), 0),
  };
  const every = hours.length > 24 ? 12 : 6;
  const label = `Messages per hour over the last ${hours.length} hours: ${totals.received} received, ${totals.sent} sent.`;
  return html`<figure class="chart">
    <svg viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${label}>
      ${[0, 0.5, 1].map(
        (f) => html`<line class="grid" x1=${PAD.left} x2=${W - PAD.right} y1=${y(top * f)} y2=${y(top * f)} />
          <text class="axis" x=${PAD.left - 4} y=${y(top * f) + 4} text-anchor="end">${Math.round(top * f)}</text>`,
      )}
      ${hours.map((h, i) => {
        const x = PAD.left + i * slot + (slot - 2 * bar) / 2;
        return html`<g>
          <title>${`${hourLabel(h.hour)}: ${h.received} received, ${h.delivered} delivered${h.bounced ? `, ${h.bounced} bounced` : ""}`}</title>
          <rect class="bar received" x=${x} y=${y(h.received)} width=${bar} height=${Math.max(0, y(0) - y(h.received))} />
          <rect class="bar sent" x=${x + bar} y=${y(sent(h))} width=${bar} height=${Math.max(0, y(0) - y(sent(h)))} />
          ${i % every === 0 ? html`<text class="axis" x=${PAD.left + i * slot} y=${H - 6}>${hourLabel(h.hour)}</text>` : null}
        </g>`;
      })}
    </svg>
    <figcaption><span class="key received"></span> received (${totals.received}) <span class="key sent"></span> sent (${totals.sent})</figcaption>
    <table class="sr-only"><caption>Messages per hour</caption>
      <thead><tr><th scope="col">Hour</th><th scope="col">Received</th><th scope="col">Delivered</th><th scope="col">Bounced</th></tr></thead>
      <tbody>${hours.map((h) => html`<tr><td>${hourLabel(h.hour)}</td><td>${h.received}</td><td>${h.delivered}</td><td>${h.bounced}</td></tr>`)}</tbody>
    </table>
  </figure>`;
}
