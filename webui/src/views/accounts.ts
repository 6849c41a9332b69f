/** Accounts: create, reset a password, set the quota (with a usage bar), disable, delete. */
import { useState } from "preact/hooks";
import { type Account, accountPath, getJson, type Page, send } from "../api.ts";
import { href } from "../router.ts";
import { bytes, html, Loading, PageTitle, Status, useAction, useData } from "../ui.ts";

const MB = 1024 * 1024;

export function QuotaBar(props: { used: number; quota: number | null }) {
  const { used, quota } = props;
  if (!quota) return html`<span class="small">${bytes(used)} <span class="muted">(no quota)</span></span>`;
  const pct = Math.min(100, Math.round((used / quota) * 100));
  return html`<span class="quota">
    <meter min="0" max=${quota} value=${used} low=${quota * 0.8} high=${quota * 0.95} optimum="0"
      aria-label=${`${bytes(used)} of ${bytes(quota)} used`}></meter>
    <span class="small">${bytes(used)} / ${bytes(quota)} (${pct}%)</span>
  </span>`;
}

function AccountRow(props: { account: Account; changed: () => void }) {
  const a = props.account;
  const [editing, setEditing] = useState(false);
  const { status, busy, run } = useAction();
  const patch = (body: unknown, note: string) =>
    run(() => send("PATCH", accountPath(a.address), body).then(props.changed), note);
  const save = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const password = String(form.get("password") ?? "");
    const quotaText = String(form.get("quota") ?? "").trim();
    const body: Record<string, unknown> = {
      quota: quotaText === "" ? null : Math.round(Number(quotaText) * MB),
    };
    if (password) body.password = password;
    void patch(body, "Saved.").then((ok) => ok && setEditing(false));
  };
  const remove = () => {
    if (!confirm(`Delete ${a.address} and all its mail?`)) return;
    void run(() => send("DELETE", accountPath(a.address)).then(props.changed));
  };
  return html`<tr>
    <th scope="row"><a href=${href("inbox", a.address)}>${a.address}</a>${a.disabled ? html` <span class="badge missing">disabled</span>` : null}</th>
    <td><${QuotaBar} used=${a.usedBytes} quota=${a.quota} /></td>
    <td class="actions">
      <button type="button" class="small" onClick=${() => setEditing(!editing)} aria-expanded=${editing}>Edit</button>
      <button type="button" class="small" disabled=${busy} onClick=${() => patch({ disabled: !a.disabled }, a.disabled ? "Enabled." : "Disabled.")}>${a.disabled ? "Enable" : "Disable"}</button>
      <button type="button" class="small danger" disabled=${busy} onClick=${remove} aria-label=${`Delete ${a.address}`}>Delete</button>
      <${Status} status=${status} />
      ${
        editing &&
        html`<form class="inline" onSubmit=${save} aria-label=${`Edit ${a.address}`}>
          <label>New password <input name="password" type="password" autocomplete="new-password" minlength="8" /></label>
          <label>Quota (MB) <input name="quota" type="number" min="1" step="1" value=${a.quota ? Math.round(a.quota / MB) : ""} /></label>
          <button type="submit" disabled=${busy}>Save</button>
        </form>`
      }
    </td>
  </tr>`;
}

export function AccountsView() {
  const data = useData(() => getJson<Page<Account>>("/api/v1/accounts"));
  const { status, busy, run } = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    const formEl = e.target as HTMLFormElement;
    const form = new FormData(formEl);
    const address = String(form.get("address") ?? "").trim();
    const quotaText = String(form.get("quota") ?? "").trim();
    const body: Record<string, unknown> = { address, password: String(form.get("password") ?? "") };
    if (quotaText) body.quota = Math.round(Number(quotaText) * MB);
    void run(async () => {
      await send("POST", "/api/v1/accounts", body);
      formEl.reset();
      data.reload();
    }, `Account ${address} created.`);
  };
  return html`<${PageTitle}>Accounts<//>
    <form class="inline card" onSubmit=${create} aria-label="New account">
      <label>Address <input name="address" type="email" required placeholder="alice@example.org" autocomplete="off" /></label>
      <label>Password <input name="password" type="password" required minlength="8" autocomplete="new-password" /></label>
      <label>Quota (MB) <input name="quota" type="number" min="1" step="1" placeholder="none" /></label>
      <button type="submit" disabled=${busy}>Create account</button>
    </form>
    <${Status} status=${status} />
    <${Loading} error=${data.error} loading=${data.loading}>
      <div class="table-wrap"><table>
        <thead><tr><th scope="col">Address</th><th scope="col">Usage</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${data.data?.items.map((a) => html`<${AccountRow} key=${a.address} account=${a} changed=${data.reload} />`)}</tbody>
      </table></div>
    <//>`;
}
