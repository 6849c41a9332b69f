/** Domains: create and delete; one domain's DNS records (with what DNS serves now) and DKIM keys. */
import { type DkimKey, type DnsRecord, type Domain, enc, getJson, type Page, send } from "../api.ts";
import { go, href } from "../router.ts";
import { CopyButton, html, Loading, PageTitle, Status, useAction, useData, when } from "../ui.ts";

export function DomainsView() {
  const data = useData(() => getJson<Page<Domain>>("/api/v1/domains"));
  const { status, busy, run } = useAction();
  const create = (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const name = String(new FormData(form).get("name") ?? "").trim();
    void run(async () => {
      await send("POST", "/api/v1/domains", { name });
      form.reset();
      data.reload();
    }, `Domain ${name} created.`);
  };
  const remove = (name: string) => {
    if (!confirm(`Delete the domain ${name}? Its accounts must be gone first.`)) return;
    void run(
      () => send("DELETE", `/api/v1/domains/${enc(name)}`).then(data.reload),
      `Domain ${name} deleted.`,
    );
  };
  return html`<${PageTitle}>Domains<//>
    <form class="inline card" onSubmit=${create} aria-label="New domain">
      <label>New domain <input name="name" required placeholder="example.org" autocomplete="off" /></label>
      <button type="submit" disabled=${busy}>Create domain</button>
    </form>
    <${Status} status=${status} />
    <${Loading} error=${data.error} loading=${data.loading}>
      <ul class="list" aria-label="Domains">
        ${data.data?.items.map(
          (d) => html`<li class="row">
            <a href=${href("domains", d.name)}>${d.name}</a>
            <span class="muted small">since ${when(d.createdAt)}</span>
            <button type="button" class="small danger" onClick=${() => remove(d.name)} aria-label=${`Delete ${d.name}`}>Delete</button>
          </li>`,
        )}
      </ul>
    <//>`;
}

const STATUS_TEXT: Record<DnsRecord["status"], string> = {
  ok: "published",
  missing: "missing",
  different: "different",
  unknown: "unknown",
  unchecked: "not checked",
};

export function DomainView(props: { name: string }) {
  const name = props.name;
  const records = useData(() => getJson<Page<DnsRecord>>(`/api/v1/domains/${enc(name)}/dns`), [name]);
  const keys = useData(() => getJson<Page<DkimKey>>(`/api/v1/domains/${enc(name)}/dkim`), [name]);
  const { status, busy, run } = useAction();
  const rotate = () => {
    if (!confirm(`Rotate the DKIM keys of ${name}? The new key signs once its record is published.`)) return;
    void run(
      () =>
        send("POST", `/api/v1/domains/${enc(name)}/dkim/rotate`).then(() => {
          keys.reload();
          records.reload();
        }),
      "Keys rotated: publish the new record below.",
    );
  };
  return html`<${PageTitle}>${name}<//>
    <p><a href=${href("domains")}>← All domains</a> · <a href=${href("accounts")} onClick=${(e: Event) => {
      e.preventDefault();
      go("accounts");
    }}>Accounts</a> · <a href=${`/api/v1/domains/${enc(name)}/dns?format=zone`} download=${`${name}.zone`}>Zone file</a></p>
    <section aria-labelledby="dns">
      <h2 id="dns">DNS records <button type="button" class="small" onClick=${records.reload} disabled=${records.loading}>Check again</button></h2>
      <${Loading} error=${records.error} loading=${records.loading}>
        <div class="table-wrap"><table class="records">
          <thead><tr><th scope="col">Status</th><th scope="col">Type</th><th scope="col">Name</th><th scope="col">Value</th><th scope="col">Purpose</th></tr></thead>
          <tbody>${records.data?.items.map(
            (r) => html`<tr>
              <td><span class="badge ${r.status}" title=${r.error ?? (r.found.length ? `found: ${r.found.join(" | ")}` : "")}>${STATUS_TEXT[r.status]}</span></td>
              <td>${r.type}</td>
              <td class="mono">${r.name} <${CopyButton} text=${r.name} label=${`Copy name of the ${r.type} record ${r.name}`} /></td>
              <td class="mono value">${r.value} <${CopyButton} text=${r.value} label=${`Copy value of the ${r.type} record ${r.name}`} /></td>
              <td class="small">${r.purpose}</td>
            </tr>`,
          )}</tbody>
        </table></div>
      <//>
    </section>
    <section aria-labelledby="dkim">
      <h2 id="dkim">DKIM keys <button type="button" class="small" onClick=${rotate} disabled=${busy}>Rotate</button></h2>
      <${Status} status=${status} />
      <${Loading} error=${keys.error} loading=${keys.loading}>
        <div class="table-wrap"><table>
          <thead><tr><th scope="col">Selector</th><th scope="col">Algorithm</th><th scope="col">State</th><th scope="col">Created</th><th scope="col">Retires</th></tr></thead>
          <tbody>${keys.data?.items.map(
            (k) =>
              html`<tr><td class="mono">${k.selector}</td><td>${k.algorithm}</td><td><span class="badge">${k.state}</span></td><td>${when(k.createdAt)}</td><td>${when(k.retireAt)}</td></tr>`,
          )}</tbody>
        </table></div>
      <//>
    </section>`;
}
