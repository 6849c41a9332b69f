/**
 * One message: its HTML made safe by the server and shown in a sandboxed frame that may run nothing
 * (remote images stay blocked until asked for), its text, header fields, raw source, attachments,
 * links and codes, authentication and spam results; flag, move, delete, download as .eml.
 */
import { useEffect, useState } from "preact/hooks";
import {
  type Address,
  addressText,
  getJson,
  type Mailbox,
  type MessageView as Message,
  messagePath,
  request,
  send,
} from "../api.ts";
import { bytes, CopyButton, html, Loading, Status, useAction, useData, when } from "../ui.ts";
import { AuthPanel, resultBadge, verdictSummary } from "./message-auth.ts";

type Tab = "html" | "text" | "headers" | "raw" | "links" | "auth";

const list = (addresses: Address[]) => addresses.map(addressText).join(", ") || "—";

function HtmlBody(props: { path: string }) {
  const [remote, setRemote] = useState(false);
  const [blocked, setBlocked] = useState(0);
  useEffect(() => {
    // The count of remote images the server took out (a header of the same response).
    request("HEAD", `${props.path}/html`).then(
      (r) => setBlocked(Number(r.headers.get("mailroom-remote-images") ?? 0)),
      () => setBlocked(0),
    );
  }, [props.path]);
  return html`<div class="html-body">
    ${
      blocked > 0 && !remote
        ? html`<p class="notice" role="status">${blocked} remote image${blocked === 1 ? " was" : "s were"} blocked. <button type="button" class="small" onClick=${() => setRemote(true)}>Load remote content</button></p>`
        : null
    }
    <iframe title="Message content (HTML)" sandbox="allow-popups allow-popups-to-escape-sandbox"
      referrerpolicy="no-referrer" src=${`${props.path}/html${remote ? "?remote=true" : ""}`}></iframe>
  </div>`;
}

function TextBody(props: { path: string; kind: "text" | "raw" }) {
  const data = useData(
    async () => (await request("GET", `${props.path}/${props.kind}`)).text(),
    [props.path, props.kind],
  );
  return html`<${Loading} error=${data.error} loading=${data.loading}><pre class="body-text">${data.data}</pre><//>`;
}

function Links(props: { path: string }) {
  const data = useData(
    () =>
      Promise.all([
        getJson<{ items: Array<{ url: string; text?: string | null }> }>(`${props.path}/links`),
        getJson<{ items: Array<{ code: string }> }>(`${props.path}/codes`),
      ]),
    [props.path],
  );
  const [links, codes] = data.data ?? [{ items: [] }, { items: [] }];
  return html`<${Loading} error=${data.error} loading=${data.loading}>
    <h3>One-time codes</h3>
    ${codes.items.length ? html`<ul class="list">${codes.items.map((c) => html`<li class="row"><code class="code">${c.code}</code> <${CopyButton} text=${c.code} label=${`Copy code ${c.code}`} /></li>`)}</ul>` : html`<p class="muted">None found.</p>`}
    <h3>Links</h3>
    ${
      links.items.length
        ? html`<ul class="list">${links.items.map(
            (l) =>
              html`<li class="row"><span class="mono wrap">${l.url}</span> <${CopyButton} text=${l.url} label="Copy link" /></li>`,
          )}</ul>`
        : html`<p class="muted">None found.</p>`
    }
  <//>`;
}

export function MessageView(props: {
  address: string;
  id: number;
  mailboxes: Mailbox[];
  changed: () => void;
  close: () => void;
}) {
  const path = messagePath(props.address, props.id);
  const data = useData(() => getJson<Message>(path), [path]);
  const { status, busy, run } = useAction();
  const m = data.data;
  const [tab, setTab] = useState<Tab | undefined>();
  const shown: Tab = tab ?? (m?.html ? "html" : "text");

  // Opening a message reads it, as in a mail client.
  useEffect(() => {
    if (m && !m.flags.includes("\\Seen"))
      void send("PATCH", path, { addFlags: ["\\Seen"] }).then(props.changed, () => {});
  }, [m?.id]);

  if (!m)
    return html`<article class="message"><${Loading} error=${data.error} loading=${data.loading} /></article>`;
  const flagged = m.flags.includes("\\Flagged");
  const act = (f: () => Promise<unknown>, note?: string) =>
    run(async () => {
      await f();
      data.reload();
      props.changed();
    }, note);
  const toggleFlag = () =>
    act(() => send("PATCH", path, flagged ? { removeFlags: ["\\Flagged"] } : { addFlags: ["\\Flagged"] }));
  const markUnread = () => act(() => send("PATCH", path, { removeFlags: ["\\Seen"] }), "Marked unread.");
  const move = (e: Event) => {
    const to = (e.target as HTMLSelectElement).value;
    if (to && to !== m.mailbox) void act(() => send("PATCH", path, { mailbox: to }), `Moved to ${to}.`);
  };
  const remove = () =>
    run(async () => {
      await send("DELETE", path);
      props.changed();
      props.close();
    });
  const tabs: Array<[Tab, string]> = [
    ...(m.html ? [["html", "HTML"] as [Tab, string]] : []),
    ["text", "Text"],
    ["headers", "Headers"],
    ["raw", "Raw"],
    ["links", "Links & codes"],
    ["auth", "Authentication"],
  ];
  return html`<article class="message" aria-labelledby="message-subject">
    <div class="message-actions" role="toolbar" aria-label="Message actions">
      <button type="button" class="small ghost" onClick=${props.close} aria-label="Back to the list">← Back</button>
      <button type="button" class="small" onClick=${toggleFlag} disabled=${busy} aria-pressed=${flagged}>${flagged ? "Unflag" : "Flag"}</button>
      <button type="button" class="small" onClick=${markUnread} disabled=${busy}>Mark unread</button>
      <label class="small">Move to
        <select onChange=${move} value=${m.mailbox}>${props.mailboxes.map((b) => html`<option value=${b.name}>${b.name}</option>`)}</select>
      </label>
      <a class="button small" href=${`${path}/raw`} download=${`message-${m.id}.eml`}>Download .eml</a>
      <button type="button" class="small danger" onClick=${remove} disabled=${busy}>Delete</button>
    </div>
    <${Status} status=${status} />
    <h2 id="message-subject" class="subject">${m.subject || "(no subject)"}</h2>
    <dl class="envelope">
      <dt>From</dt><dd>${list(m.from)}</dd>
      <dt>To</dt><dd>${list(m.to)}</dd>
      ${m.cc.length ? html`<dt>Cc</dt><dd>${list(m.cc)}</dd>` : null}
      <dt>Date</dt><dd>${when(m.date ?? m.internalDate)}</dd>
      <dt>Size</dt><dd>${bytes(m.size)}</dd>
      ${
        m.authentication
          ? html`<dt>Checks</dt><dd>${verdictSummary(m.authentication).map(([k, v]) => html`${k} ${resultBadge(v)} `)}</dd>`
          : null
      }
      ${m.spam ? html`<dt>Spam</dt><dd>${resultBadge(m.spam.action)} ${m.spam.score.toFixed(1)} / ${m.spam.required.toFixed(1)}</dd>` : null}
    </dl>
    ${
      m.attachments.length
        ? html`<section aria-label="Attachments" class="attachments"><h3 class="small">Attachments</h3><ul>${m.attachments.map(
            (
              a,
            ) => html`<li><a href=${`${path}/parts/${a.partId}?decoded=true`} download=${a.filename ?? `part-${a.partId}`}>${a.filename ?? `part ${a.partId}`}</a>${" "}
              <span class="muted small">${a.contentType}, ${bytes(a.size)}</span></li>`,
          )}</ul></section>`
        : null
    }
    <div class="tabs" role="tablist" aria-label="Views of the message">
      ${tabs.map(
        ([t, label]) =>
          html`<button type="button" role="tab" id=${`tab-${t}`} aria-selected=${shown === t} aria-controls="tab-panel" onClick=${() => setTab(t)}>${label}</button>`,
      )}
    </div>
    <div id="tab-panel" role="tabpanel" aria-labelledby=${`tab-${shown}`} tabindex="0">
      ${shown === "html" ? html`<${HtmlBody} path=${path} />` : null}
      ${shown === "text" ? html`<${TextBody} path=${path} kind="text" />` : null}
      ${shown === "raw" ? html`<${TextBody} path=${path} kind="raw" />` : null}
      ${shown === "links" ? html`<${Links} path=${path} />` : null}
      ${
        shown === "headers"
          ? html`<div class="table-wrap"><table class="headers"><tbody>${m.headers.map((h) => html`<tr><th scope="row">${h.name}</th><td class="mono wrap">${h.value}</td></tr>`)}</tbody></table></div>`
          : null
      }
      ${shown === "auth" ? html`<${AuthPanel} authentication=${m.authentication} spam=${m.spam} />` : null}
    </div>
  </article>`;
}
