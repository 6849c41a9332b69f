/** Catch-mode namespaces (issue 16): throwaway domains that take any address and expire. */
import { enc, getJson, type Namespace, type Page, send } from "../api.ts";
import { href } from "../router.ts";
import { CopyButton, html, Loading, PageTitle, Status, useAction, useData, when } from "../ui.ts";

export function NamespacesView() {
  const data = useData(() => getJson<Page<Namespace>>("/api/v1/namespaces"));
  const { status, busy, run } = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    const ttl = String(new FormData(e.target as HTMLFormElement).get("ttl") ?? "").trim();
    void run(
      () => send("POST", "/api/v1/namespaces", ttl ? { ttl } : {}).then(data.reload),
      "Namespace created.",
    );
  };
  const remove = (domain: string) => {
    if (!confirm(`Delete the namespace ${domain} and its mail?`)) return;
    void run(() => send("DELETE", `/api/v1/namespaces/${enc(domain)}`).then(data.reload));
  };
  return html`<${PageTitle}>Namespaces<//>
    <form class="inline card" onSubmit=${create} aria-label="New namespace">
      <label>Lifetime <input name="ttl" placeholder="1h" pattern="[0-9]+[smhd]" title="a number and s, m, h or d" /></label>
      <button type="submit" disabled=${busy}>Create namespace</button>
    </form>
    <${Status} status=${status} />
    <${Loading} error=${data.error} loading=${data.loading}>
      ${
        data.data?.items.length === 0
          ? html`<p class="muted">No namespaces.</p>`
          : html`<div class="table-wrap"><table>
          <thead><tr><th scope="col">Domain</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>${data.data?.items.map(
            (
              n,
            ) => html`<tr><th scope="row" class="mono">${n.domain} <${CopyButton} text=${n.domain} label=${`Copy ${n.domain}`} /></th>
              <td>${when(n.createdAt)}</td><td>${when(n.expiresAt)}</td>
              <td><a class="button small" href=${href("inbox")}>Inbox</a> <button type="button" class="small danger" onClick=${() => remove(n.domain)} aria-label=${`Delete ${n.domain}`}>Delete</button></td></tr>`,
          )}</tbody>
        </table></div>`
      }
    <//>`;
}
