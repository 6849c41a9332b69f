/**
 * The inbox inspector: an account's mailboxes with counts, a mailbox's messages (search, live
 * updates, keyboard: j/k move, Enter open, / search, s flag, # delete, Esc back) and one message.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import {
  type Account,
  accountPath,
  getJson,
  type Mailbox,
  type MessageSummary,
  messagePath,
  type Page,
  type Session,
  send,
} from "../api.ts";
import { watchMailbox } from "../live.ts";
import { go, href } from "../router.ts";
import { bytes, html, Loading, PageTitle, Status, useAction, useData } from "../ui.ts";
import { QuotaBar } from "./accounts.ts";
import { MessageView } from "./message.ts";

function AccountPicker() {
  const data = useData(() => getJson<Page<Account>>("/api/v1/accounts"));
  return html`<${PageTitle}>Inbox<//>
    <p>Choose an account to inspect.</p>
    <${Loading} error=${data.error} loading=${data.loading}>
      <ul class="list" aria-label="Accounts">${data.data?.items.map(
        (a) =>
          html`<li class="row"><a href=${href("inbox", a.address)}>${a.address}</a> <${QuotaBar} used=${a.usedBytes} quota=${a.quota} /></li>`,
      )}</ul>
    <//>`;
}

export function InboxView(props: { session: Session; route: string[] }) {
  const own = props.session.kind === "account" ? props.session.address : undefined;
  const address = props.route[0] ?? own;
  if (!address) return html`<${AccountPicker} />`;
  const mailbox = props.route[1] ?? "INBOX";
  const id = props.route[2] === undefined ? undefined : Number(props.route[2]);
  return html`<${Inbox} address=${address} mailbox=${mailbox} id=${id} />`;
}

function Inbox(props: { address: string; mailbox: string; id: number | undefined }) {
  const { address, mailbox, id } = props;
  const [tick, setTick] = useState(0);
  const boxes = useData(() => getJson<Page<Mailbox>>(`${accountPath(address)}/mailboxes`), [address, tick]);
  const changed = () => setTick((t) => t + 1);
  return html`<div class="inbox ${id === undefined ? "" : "reading"}">
    <nav class="mailboxes" aria-label="Mailboxes">
      <h2 class="small">${address}</h2>
      <${Loading} error=${boxes.error} loading=${boxes.loading}>
        <ul>${boxes.data?.items.map(
          (
            b,
          ) => html`<li><a href=${href("inbox", address, b.name)} aria-current=${b.name === mailbox ? "page" : undefined}>
            <span>${b.name}</span>
            <span class="counts" aria-label=${`${b.messages} messages, ${b.unseen} unread`}>${b.unseen ? html`<b>${b.unseen}</b> / ` : ""}${b.messages}</span>
          </a></li>`,
        )}</ul>
      <//>
    </nav>
    <${MessageList} address=${address} mailbox=${mailbox} selected=${id} tick=${tick} changed=${changed} />
    ${
      id !== undefined &&
      html`<${MessageView} key=${id} address=${address} id=${id} mailboxes=${boxes.data?.items ?? []} changed=${changed}
        close=${() => go("inbox", address, mailbox)} />`
    }
  </div>`;
}

function MessageList(props: {
  address: string;
  mailbox: string;
  selected: number | undefined;
  tick: number;
  changed: () => void;
}) {
  const { address, mailbox } = props;
  const [q, setQ] = useState("");
  const [items, setItems] = useState<MessageSummary[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [cursor, setCursor] = useState(0);
  const [live, setLive] = useState(0);
  const search = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const { status, run } = useAction();
  const base = `${accountPath(address)}/mailboxes/${encodeURIComponent(mailbox)}/messages?limit=50${q ? `&q=${encodeURIComponent(q)}` : ""}`;

  useEffect(() => {
    let stale = false;
    setLoading(true);
    getJson<Page<MessageSummary>>(base).then(
      (p) => {
        if (stale) return;
        setItems(p.items);
        setNext(p.next ?? null);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (stale) return;
        setError(e instanceof Error ? e.message : String(e));
        setLoading(false);
      },
    );
    return () => {
      stale = true;
    };
  }, [base, props.tick, live]);

  useEffect(
    () =>
      watchMailbox(address, mailbox, () => {
        setLive((n) => n + 1);
        props.changed();
      }),
    [address, mailbox],
  );

  const more = async () => {
    if (!next) return;
    const p = await getJson<Page<MessageSummary>>(`${base}&cursor=${encodeURIComponent(next)}`);
    setItems((old) => [...old, ...p.items]);
    setNext(p.next ?? null);
  };

  const open = (m: MessageSummary) => go("inbox", address, mailbox, m.id);
  const flag = (m: MessageSummary) =>
    run(() =>
      send(
        "PATCH",
        messagePath(address, m.id),
        m.flags.includes("\\Flagged") ? { removeFlags: ["\\Flagged"] } : { addFlags: ["\\Flagged"] },
      ).then(props.changed),
    );
  const remove = (m: MessageSummary) =>
    run(() => send("DELETE", messagePath(address, m.id)).then(props.changed), "Deleted.");

  const onKey = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement;
    if (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT") {
      if (e.key === "Escape") (target as HTMLInputElement).blur();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const current = items[cursor];
    const move = (to: number) => {
      const i = Math.max(0, Math.min(items.length - 1, to));
      setCursor(i);
      listRef.current?.querySelectorAll<HTMLElement>("li > a")[i]?.focus();
    };
    if (e.key === "j" || e.key === "ArrowDown") move(cursor + 1);
    else if (e.key === "k" || e.key === "ArrowUp") move(cursor - 1);
    else if (e.key === "/") search.current?.focus();
    else if (e.key === "s" && current) void flag(current);
    else if ((e.key === "#" || e.key === "Delete") && current) void remove(current);
    else if (e.key === "Escape" && props.selected !== undefined) go("inbox", address, mailbox);
    else return;
    e.preventDefault();
  };
  useEffect(() => {
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  });

  return html`<section class="messages" aria-labelledby="page-title">
    <${PageTitle}>${mailbox}<//>
    <form role="search" class="search" onSubmit=${(e: Event) => {
      e.preventDefault();
      setQ(search.current?.value.trim() ?? "");
    }}>
      <label class="sr-only" for="q">Search messages</label>
      <input id="q" ref=${search} type="search" placeholder="Search (press /)" defaultValue=${q} />
      <button type="submit" class="small">Search</button>
    </form>
    <${Status} status=${status} />
    <${Loading} error=${error} loading=${loading && items.length === 0}>
      ${items.length === 0 && !loading ? html`<p class="muted">${q ? "Nothing matches." : "No messages."}</p>` : null}
      <ul class="message-list" ref=${listRef} aria-label="Messages" aria-live="polite">
        ${items.map(
          (
            m,
            i,
          ) => html`<li key=${m.id} class=${`${m.flags.includes("\\Seen") ? "" : "unseen"} ${m.id === props.selected ? "selected" : ""} ${i === cursor ? "cursor" : ""}`}>
            <a href=${href("inbox", address, mailbox, m.id)} onFocus=${() => setCursor(i)} onClick=${(
              e: Event,
            ) => {
              e.preventDefault();
              open(m);
            }} aria-current=${m.id === props.selected ? "true" : undefined}>
              <span class="from">${m.from || "(no sender)"}</span>
              <span class="date small">${new Date(m.date).toLocaleString()}</span>
              <span class="subject">${m.flags.includes("\\Flagged") ? html`<span class="flag" aria-label="flagged">★ </span>` : null}${m.subject || "(no subject)"}</span>
              <span class="preview small muted">${m.preview}</span>
              <span class="size small muted">${bytes(m.size)}</span>
            </a>
          </li>`,
        )}
      </ul>
      ${next ? html`<button type="button" class="small" onClick=${more}>Load more</button>` : null}
    <//>
  </section>`;
}
