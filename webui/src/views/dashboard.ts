/** The dashboard: what the API can tell at a glance (counts, queue depth, failed sign-ins now held). */
import { type Account, type Domain, getJson, type Lockout, type Page, type QueueItem, send } from "../api.ts";
import { href } from "../router.ts";
import { html, Loading, PageTitle, Status, useAction, useData, when } from "../ui.ts";

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
