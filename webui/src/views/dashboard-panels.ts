/**
 * The dashboard's status panels (issue 17): the listeners with their ports, TLS and open
 * connections (GET /api/v1/listeners), mail per hour (GET /api/v1/stats/hourly, drawn by
 * traffic-chart.ts) and the recent refusals and failed logins (GET /api/v1/refusals). Each reloads
 * on its own every REFRESH_MS and on the Refresh button.
 */
import { useEffect, useState } from "preact/hooks";
// The server's own type (a module with no imports): the page reads exactly what the ring keeps.
import type { Refusal } from "../../../src/security/recent-refusals.ts";
import { getJson, type Page } from "../api.ts";
import { html, Loading, useData, when } from "../ui.ts";
import { TrafficChart, type TrafficHour } from "./traffic-chart.ts";

/** How often the panels ask again: cheap reads, and a dashboard left open stays current. */
const REFRESH_MS = 15_000;

interface ListenerStatus {
  name: string;
  address: string;
  port: number | null;
  tls: "implicit" | "starttls" | "none";
  connections: number | null;
}

/** useData that also reloads every REFRESH_MS and when `tick` changes (the Refresh button). */
function usePolled<T>(load: () => Promise<T>, tick: number, deps: unknown[] = []) {
  const data = useData(load, [tick, ...deps]);
  useEffect(() => {
    const timer = setInterval(data.reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [data.reload]);
  return data;
}

const TLS_TEXT = { implicit: "TLS", starttls: "STARTTLS", none: "none" } as const;

function Listeners(props: { tick: number }) {
  const data = usePolled(() => getJson<Page<ListenerStatus>>("/api/v1/listeners"), props.tick);
  return html`<section aria-labelledby="listeners">
    <h2 id="listeners">Listeners</h2>
    <${Loading} error=${data.error} loading=${data.loading}>
      ${
        data.data &&
        html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">Listener</th><th scope="col">Address</th><th scope="col">TLS</th><th scope="col">Open connections</th></tr></thead>
        <tbody>${data.data.items.map(
          (l) => html`<tr><td>${l.name === "http" ? "admin API (http)" : l.name}</td>
            <td class="mono">${l.address}:${l.port ?? "—"}</td>
            <td><span class=${`badge ${l.tls === "none" ? "" : "ok"}`}>${TLS_TEXT[l.tls]}</span></td>
            <td>${l.connections ?? html`<span class="muted">—</span>`}</td></tr>`,
        )}</tbody>
      </table></div>`
      }
    <//>
  </section>`;
}

function Traffic(props: { tick: number }) {
  const [hours, setHours] = useState(24);
  const data = usePolled(
    () => getJson<Page<TrafficHour>>(`/api/v1/stats/hourly?hours=${hours}`),
    props.tick,
    [hours],
  );
  return html`<section aria-labelledby="traffic">
    <h2 id="traffic">Messages per hour</h2>
    <div class="segmented" role="group" aria-label="Time span">
      ${[24, 48].map(
        (n) =>
          html`<button type="button" class="small ghost" aria-pressed=${hours === n} onClick=${() => setHours(n)}>${n} h</button>`,
      )}
    </div>
    <${Loading} error=${data.error} loading=${data.loading}>
      ${data.data && html`<${TrafficChart} hours=${data.data.items} />`}
    <//>
  </section>`;
}

function describe(r: Refusal) {
  if (r.kind === "auth")
    return html`<span class="badge missing">login</span>
      <span class="wrap">${r.protocol} login as <strong>${r.login}</strong> from ${r.client}${r.lockedOut ? " (locked out)" : ""}</span>`;
  return html`<span class=${`badge ${r.code >= 500 ? "missing" : "unknown"}`}>${r.command} ${r.code}</span>
    <span class="wrap"><span class="muted">${r.listener} · ${r.client ?? "?"}:</span> <span class="mono small">${r.reply}</span></span>`;
}

function Refusals(props: { tick: number }) {
  const data = usePolled(() => getJson<Page<Refusal>>("/api/v1/refusals?limit=20"), props.tick);
  return html`<section aria-labelledby="refusals">
    <h2 id="refusals">Recent refusals and failed logins</h2>
    <${Loading} error=${data.error} loading=${data.loading}>
      ${
        data.data &&
        (data.data.items.length === 0
          ? html`<p class="muted">None since the server started.</p>`
          : html`<ul class="list">${data.data.items.map(
              (r) => html`<li class="row">${describe(r)}<span class="muted small">${when(r.at)}</span></li>`,
            )}</ul>`)
      }
    <//>
  </section>`;
}

export function StatusPanels() {
  const [tick, setTick] = useState(0);
  return html`<p><button type="button" class="small" onClick=${() => setTick((t) => t + 1)}>Refresh</button></p>
    <${Traffic} tick=${tick} />
    <div class="panels">
      <${Listeners} tick=${tick} />
      <${Refusals} tick=${tick} />
    </div>`;
}
