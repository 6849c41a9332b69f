/**
 * Mailroom's web interface (issue 17): sign-in, the administration screens and the inbox inspector.
 * Preact + htm, bundled by scripts/build-webui.ts into one module and one stylesheet that the server
 * embeds; everything it shows comes from the REST API.
 */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { request, type Session, send, setCsrf, whenSignedOut } from "./api.ts";
import { href, useRoute } from "./router.ts";
import { html } from "./ui.ts";
import { AccountsView } from "./views/accounts.ts";
import { AliasesView } from "./views/aliases.ts";
import { DashboardView } from "./views/dashboard.ts";
import { DmarcReportsView } from "./views/dmarc-reports.ts";
import { DomainsView, DomainView } from "./views/domains.ts";
import { InboxView } from "./views/inbox.ts";
import { NamespacesView } from "./views/namespaces.ts";
import { QueueView } from "./views/queue.ts";
import { ReportsView } from "./views/reports.ts";
import { SignIn } from "./views/signin.ts";
import { WebhooksView } from "./views/webhooks.ts";

const NAV: Array<[string, string]> = [
  ["", "Dashboard"],
  ["domains", "Domains"],
  ["accounts", "Accounts"],
  ["aliases", "Aliases"],
  ["queue", "Queue"],
  ["namespaces", "Namespaces"],
  ["webhooks", "Webhooks"],
  ["reports", "Reports"],
  ["inbox", "Inbox"],
];

function ThemeToggle() {
  const [theme, setTheme] = useState(() => localStorage.getItem("mailroom-theme") ?? "auto");
  useEffect(() => {
    if (theme === "auto") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    localStorage.setItem("mailroom-theme", theme);
  }, [theme]);
  const next = theme === "auto" ? "dark" : theme === "dark" ? "light" : "auto";
  return html`<button type="button" class="ghost small" onClick=${() => setTheme(next)}
    aria-label=${`Theme: ${theme}. Switch to ${next}`}>Theme: ${theme}</button>`;
}

function Shell(props: { session: Session; signOut: () => void }) {
  const route = useRoute();
  const { session } = props;
  const admin = session.kind === "admin";
  const section = route[0] ?? "";
  let view: unknown;
  if (!admin || section === "inbox")
    view = html`<${InboxView} session=${session} route=${admin ? route.slice(1) : route.slice(route[0] === "inbox" ? 1 : 0)} />`;
  else if (section === "domains" && route[1]) view = html`<${DomainView} name=${route[1]} />`;
  else if (section === "domains") view = html`<${DomainsView} />`;
  else if (section === "accounts") view = html`<${AccountsView} />`;
  else if (section === "aliases") view = html`<${AliasesView} />`;
  else if (section === "queue") view = html`<${QueueView} />`;
  else if (section === "namespaces") view = html`<${NamespacesView} />`;
  else if (section === "webhooks") view = html`<${WebhooksView} />`;
  else if (section === "reports" && route[1] === "dmarc") view = html`<${DmarcReportsView} />`;
  else if (section === "reports") view = html`<${ReportsView} />`;
  else view = html`<${DashboardView} />`;
  // A new screen puts the keyboard focus on its heading, so a screen reader announces it.
  useEffect(() => {
    (document.getElementById("page-title") as HTMLElement | null)?.focus({ preventScroll: true });
  }, [route.join("/")]);
  return html`
    <a class="skip" href="#main" onClick=${(e: Event) => {
      e.preventDefault();
      document.getElementById("main")?.focus();
    }}>Skip to content</a>
    <header class="top">
      <a class="brand" href="#/">Mailroom</a>
      ${
        admin
          ? html`<nav aria-label="Sections"><ul>
          ${NAV.map(
            ([path, label]) =>
              html`<li><a href=${href(path)} aria-current=${section === path ? "page" : undefined}>${label}</a></li>`,
          )}
        </ul></nav>`
          : html`<span class="who">${session.address}</span>`
      }
      <div class="top-actions">
        <${ThemeToggle} />
        <button type="button" class="ghost small" onClick=${props.signOut}>Sign out</button>
      </div>
    </header>
    <main id="main" tabindex="-1">${view}</main>`;
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  useEffect(() => {
    whenSignedOut(() => setSession(null));
    request("GET", "/ui/session").then(
      async (res) => {
        if (res.status === 204) return setSession(null);
        const s = (await res.json()) as Session;
        setCsrf(s.csrfToken);
        setSession(s);
      },
      () => setSession(null),
    );
  }, []);
  if (session === undefined) return html`<p class="loading">Loading Mailroom…</p>`;
  if (session === null)
    return html`<${SignIn} onSignedIn=${(s: Session) => {
      setCsrf(s.csrfToken);
      setSession(s);
    }} />`;
  const signOut = async () => {
    await send("DELETE", "/ui/session").catch(() => {});
    setCsrf("");
    setSession(null);
    location.hash = "";
  };
  return html`<${Shell} session=${session} signOut=${signOut} />`;
}

render(html`<${App} />`, document.getElementById("app")!);
