/** Aliases: an address that delivers to one or more accounts. */
import { type Alias, enc, getJson, type Page, send } from "../api.ts";
import { html, Loading, PageTitle, Status, useAction, useData } from "../ui.ts";

export function AliasesView() {
  const data = useData(() => getJson<Page<Alias>>("/api/v1/aliases"));
  const { status, busy, run } = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    const formEl = e.target as HTMLFormElement;
    const form = new FormData(formEl);
    const address = String(form.get("address") ?? "").trim();
    const targets = String(form.get("targets") ?? "")
      .split(/[\s,]+/)
      .filter(Boolean);
    void run(async () => {
      await send("POST", "/api/v1/aliases", { address, targets });
      formEl.reset();
      data.reload();
    }, `Alias ${address} created.`);
  };
  const remove = (address: string) => {
    if (!confirm(`Delete the alias ${address}?`)) return;
    void run(() => send("DELETE", `/api/v1/aliases/${enc(address)}`).then(data.reload));
  };
  return html`<${PageTitle}>Aliases<//>
    <form class="inline card" onSubmit=${create} aria-label="New alias">
      <label>Alias <input name="address" type="email" required placeholder="sales@example.org" autocomplete="off" /></label>
      <label>Delivers to <input name="targets" required placeholder="alice@example.org, bob@example.org" /></label>
      <button type="submit" disabled=${busy}>Create alias</button>
    </form>
    <${Status} status=${status} />
    <${Loading} error=${data.error} loading=${data.loading}>
      <div class="table-wrap"><table>
        <thead><tr><th scope="col">Alias</th><th scope="col">Delivers to</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${data.data?.items.map(
          (a) => html`<tr><th scope="row">${a.address}</th><td>${a.targets.join(", ")}</td>
            <td><button type="button" class="small danger" onClick=${() => remove(a.address)} aria-label=${`Delete ${a.address}`}>Delete</button></td></tr>`,
        )}</tbody>
      </table></div>
    <//>`;
}
