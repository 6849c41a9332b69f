/**
 * The dashboard: what the API can tell at a glance (counts, queue depth, failed sign-ins now held),
 * mail per hour, the listeners and the recent refusals (dashboard-panels.ts), and live activity.
 */

import { useEffect, useState } from "preact/hooks";
import { type Account, type Domain, getJson, type Lockout, type Page, type QueueItem, send } from "../api.ts";
import { href } from "../router.ts";
import { html, Loading, PageTitle, Status, useAction, useData, when } from "../ui.ts";
import { StatusPanels } from "./dashboard-panels.ts";

interface LiveEvent {
  id: number;
  type: string;
  time: string;
  account: string | null;
  data: Record<string, unknown>;
}

/** How many recent events the activity panel keeps (older ones scroll away). */
const RECENT_EVENTS = 30;

/** One line for an event: what a person wants to know at a glance. */
function describe(e: LiveEvent): string {
  const d = e.data;
  switch (e.type) {
    case "message.received":
      return `${e.account}: new message${d.subject ? ` "${String(d.subject)}"` : ""}${d.from ? ` from ${String(d.from)}` : ""}`;
    case "auth.failed":
      return `failed ${String(d.protocol ?? "")} login as ${String(d.login ?? "?")} from ${String(d.client ?? "?")}${d.lockedOut ? " (locked out)" : ""}`;
    case "queue.delivered":
      return `delivered to ${String(d.recipient ?? "")}`;
    case "queue.deferred":
      return `deferred to ${String(d.recipient ?? "")}: ${String(d.error ?? "")}`;
    case "queue.bounced":
      return `bounced to ${String(d.recipient ?? "")}: ${String(d.error ?? "")}`;
    default:
      return e.type;
  }
}

/** Deliveries, queue outcomes and failed logins as they happen (GET /api/v1/events). */
function Activity() {
  const [events, setEvents] = useState<LiveEvent[]>([]);
  useEffect(() => {
    const source = new EventSource("/api/v1/events?type=message.received,queue.*,auth.failed", {
      withCredentials: true,
    });
    const add = (m: MessageEvent<string>) => {
      try {
        const e = JSON.parse(m.data) as LiveEvent;
        setEvents((old) => [e, ...old].slice(0, RECENT_EVENTS));
      } catch {
        // not an event of ours
      }
    };
    for (const t of ["message.received", "queue.delivered", "queue.deferred", "queue.bounced", "auth.failed"])
      source.addEventListener(t, add as EventListener);
    return () => source.close();
  }, []);
  return html`<section aria-labelledby="activity">
    <h2 id="activity">Live activity</h2>
    ${
      events.length === 0
        ? html`<p class="muted">Waiting for deliveries, queue results and failed logins…</p>`
        : html`<ul class="list activity" aria-live="polite">${events.map(
            (
              e,
            ) => html`<li class="row" key=${e.id}><span class=${`badge ${e.type === "auth.failed" || e.type === "queue.bounced" ? "missing" : e.type === "queue.deferred" ? "unknown" : "ok"}`}>${e.type}</span>
              <span class="wrap">${describe(e)}</span><span class="muted small">${when(e.time)}</span></li>`,
          )}</ul>`
    }
  </section>`;
}

export function DashboardView() {
  const data = useData(async () => {
    const [domains, accounts, queue, lockouts] = await Promise.all([
      getJson<Page<Domain>>("/api/v1/domains"),
      getJson<Page<Account>>("/api/v1/accounts"),
      getJson<Page<QueueItem>>("/api/v1/queue?limit=500"),
      getJson<Page<Lockout>>("/api/v1/lockouts").catch(() => ({ items: [] as Lockout[] })),
    ]);
    return {
      domains: domains.items,
      accounts: accounts.items,
      queue: queue.items,
      more: !!queue.next,
      lockouts: lockouts.items,
    };
  });
  const { status, run } = useAction();
  const d = data.data;
  const failing = d?.queue.filter((q) => q.lastError).length ?? 0;
  return html`<${PageTitle}>Dashboard<//>
    <${Loading} error=${data.error} loading=${data.loading}>
      ${
        d &&
        html`<section class="tiles" aria-label="Summary">
          <a class="tile" href=${href("domains")}><span class="num">${d.domains.length}</span> domains</a>
          <a class="tile" href=${href("accounts")}><span class="num">${d.accounts.length}</span> accounts</a>
          <a class="tile" href=${href("queue")}><span class="num">${d.queue.length}${d.more ? "+" : ""}</span> in the queue</a>
          <a class="tile ${failing ? "warn" : ""}" href=${href("queue")}><span class="num">${failing}</span> deferred with an error</a>
          <div class="tile ${d.lockouts.length ? "warn" : ""}"><span class="num">${d.lockouts.length}</span> clients or accounts with failed logins</div>
        </section>
        <${StatusPanels} />
        <${Activity} />
        <section aria-labelledby="fails">
          <h2 id="fails">Failed logins held now</h2>
          <${Status} status=${status} />
          ${
            d.lockouts.length === 0
              ? html`<p class="muted">None.</p>`
              : html`<div class="table-wrap"><table>
                <thead><tr><th scope="col">Key</th><th scope="col">Last login tried</th><th scope="col">Failures</th><th scope="col">Locked until</th><th scope="col">Last attempt</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>${d.lockouts.map(
                  (l) => html`<tr>
                    <td>${l.key}</td><td>${l.lastLogin}</td><td>${l.failures}</td><td>${l.lockedUntil ? when(l.lockedUntil) : "—"}</td><td>${when(l.lastAttemptAt)}</td>
                    <td><button type="button" class="small" onClick=${() => run(() => send("DELETE", `/api/v1/lockouts/${encodeURIComponent(l.key)}`).then(data.reload), "Lifted.")}>Lift</button></td>
                  </tr>`,
                )}</tbody></table></div>`
          }
        </section>`
      }
    <//>`;
}
