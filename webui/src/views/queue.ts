/** The outgoing queue: each item's state and last error; retry now, delete (optionally with a bounce). */
import { getJson, type Page, type QueueItem, send } from "../api.ts";
import { html, Loading, PageTitle, Status, useAction, useData, when } from "../ui.ts";

export function QueueView() {
  const data = useData(() => getJson<Page<QueueItem>>("/api/v1/queue?limit=500"));
  const { status, busy, run } = useAction();
  const retry = (id: number) =>
    run(() => send("POST", `/api/v1/queue/${id}/retry`).then(data.reload), `Item ${id} is due now.`);
  const remove = (id: number, bounce: boolean) => {
    if (!confirm(bounce ? `Delete item ${id} and tell its sender?` : `Delete item ${id} silently?`)) return;
    void run(
      () => send("DELETE", `/api/v1/queue/${id}${bounce ? "?bounce=true" : ""}`).then(data.reload),
      `Item ${id} deleted.`,
    );
  };
  const items = data.data?.items ?? [];
  return html`<${PageTitle}>Queue<//>
    <p><button type="button" class="small" onClick=${data.reload}>Refresh</button></p>
    <${Status} status=${status} />
    <${Loading} error=${data.error} loading=${data.loading}>
      ${
        items.length === 0
          ? html`<p class="muted">The queue is empty.</p>`
          : html`<div class="table-wrap"><table class="queue">
            <thead><tr><th scope="col">#</th><th scope="col">From → to</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Next attempt</th><th scope="col">Last error</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>${items.map(
              (q) => html`<tr data-queue-id=${q.id}>
                <td>${q.id}</td>
                <td class="small">${q.sender || "<>"} → ${q.recipient}</td>
                <td><span class="badge">${q.status}</span></td>
                <td>${q.attempts}</td>
                <td class="small">${when(q.nextAttemptAt)}</td>
                <td class="small mono error-text">${q.lastError ?? "—"}</td>
                <td class="actions">
                  <button type="button" class="small" disabled=${busy} onClick=${() => retry(q.id)} aria-label=${`Retry item ${q.id} now`}>Retry now</button>
                  <button type="button" class="small danger" disabled=${busy} onClick=${() => remove(q.id, false)} aria-label=${`Delete item ${q.id}`}>Delete</button>
                  <button type="button" class="small danger" disabled=${busy} onClick=${() => remove(q.id, true)} aria-label=${`Delete item ${q.id} and bounce`}>Bounce</button>
                </td>
              </tr>`,
            )}</tbody>
          </table></div>`
      }
    <//>`;
}
