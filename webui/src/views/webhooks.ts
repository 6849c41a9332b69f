/** Webhooks (issue 16): where events are posted, signed; each one's delivery log. */
import { useState } from "preact/hooks";
import { getJson, type Page, send } from "../api.ts";
import { CopyButton, html, Loading, PageTitle, Status, useAction, useData, when } from "../ui.ts";

interface Webhook {
  id: number;
  url: string;
  events: string[];
  createdAt: number;
}
interface Delivery {
  id: number;
  eventType: string;
  status: string;
  attempts: number;
  createdAt: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
}

function Deliveries(props: { id: number }) {
  const data = useData(
    () => getJson<Page<Delivery>>(`/api/v1/webhooks/${props.id}/deliveries?limit=50`),
    [props.id],
  );
  return html`<${Loading} error=${data.error} loading=${data.loading}>
    ${
      data.data?.items.length === 0
        ? html`<p class="muted">No deliveries yet.</p>`
        : html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">#</th><th scope="col">Event</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Last answer</th><th scope="col">Created</th></tr></thead>
        <tbody>${data.data?.items.map(
          (
            d,
          ) => html`<tr><td>${d.id}</td><td>${d.eventType}</td><td><span class=${`badge ${d.status === "delivered" ? "ok" : d.status === "failed" ? "missing" : ""}`}>${d.status}</span></td>
            <td>${d.attempts}</td><td class=${`small mono ${d.lastError ? "error-text" : ""}`}>${d.lastStatus ?? ""} ${d.lastError ?? ""}</td><td class="small">${when(d.createdAt)}</td></tr>`,
        )}</tbody></table></div>`
    }
    <button type="button" class="small" onClick=${data.reload}>Refresh</button>
  <//>`;
}

export function WebhooksView() {
  const data = useData(() => getJson<Page<Webhook>>("/api/v1/webhooks"));
  const { status, busy, run } = useAction();
  const [secret, setSecret] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const create = (e: Event) => {
    e.preventDefault();
    const formEl = e.target as HTMLFormElement;
    const form = new FormData(formEl);
    const events = String(form.get("events") ?? "*")
      .split(/[\s,]+/)
      .filter(Boolean);
    void run(async () => {
      const made = await send<{ secret: string }>("POST", "/api/v1/webhooks", {
        url: String(form.get("url") ?? ""),
        events,
      });
      setSecret(made?.secret ?? null);
      formEl.reset();
      data.reload();
    });
  };
  const remove = (id: number) => {
    if (!confirm(`Delete webhook ${id} and its pending deliveries?`)) return;
    void run(() => send("DELETE", `/api/v1/webhooks/${id}`).then(data.reload));
  };
  return html`<${PageTitle}>Webhooks<//>
    <form class="inline card" onSubmit=${create} aria-label="New webhook">
      <label>URL <input name="url" type="url" required placeholder="https://hooks.example/mailroom" /></label>
      <label>Events <input name="events" value="*" required placeholder="message.*, queue.bounced" /></label>
      <button type="submit" disabled=${busy}>Create webhook</button>
    </form>
    <${Status} status=${status} />
    ${secret ? html`<p class="notice" role="status">Signing secret (shown once): <code>${secret}</code> <${CopyButton} text=${secret} label="Copy the signing secret" /></p>` : null}
    <${Loading} error=${data.error} loading=${data.loading}>
      ${data.data?.items.length === 0 ? html`<p class="muted">No webhooks.</p>` : null}
      <ul class="list">${data.data?.items.map(
        (w) => html`<li>
          <div class="row">
            <span class="mono wrap">${w.url}</span><span class="small muted">${w.events.join(", ")}</span>
            <button type="button" class="small" aria-expanded=${open === w.id} onClick=${() => setOpen(open === w.id ? null : w.id)}>Delivery log</button>
            <button type="button" class="small danger" onClick=${() => remove(w.id)} aria-label=${`Delete webhook ${w.url}`}>Delete</button>
          </div>
          ${open === w.id ? html`<${Deliveries} id=${w.id} />` : null}
        </li>`,
      )}</ul>
    <//>`;
}
