/** Sign-in: the admin token, or an account's address and password (that account's mail only). */
import { useState } from "preact/hooks";
import { type Session, send } from "../api.ts";
import { html, Status, useAction } from "../ui.ts";

export function SignIn(props: { onSignedIn: (s: Session) => void }) {
  const [mode, setMode] = useState<"admin" | "account">("admin");
  const { status, busy, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const body =
      mode === "admin"
        ? { token: String(form.get("token") ?? "") }
        : { address: String(form.get("address") ?? ""), password: String(form.get("password") ?? "") };
    void run(async () => {
      const s = await send<Session>("POST", "/ui/session", body);
      if (s) props.onSignedIn(s);
    });
  };
  return html`<main class="signin" id="main">
    <h1>Mailroom</h1>
    <div class="tabs" role="tablist" aria-label="Sign in as">
      <button type="button" role="tab" aria-selected=${mode === "admin"} onClick=${() => setMode("admin")}>Administrator</button>
      <button type="button" role="tab" aria-selected=${mode === "account"} onClick=${() => setMode("account")}>Account</button>
    </div>
    <form onSubmit=${submit} class="card stack" aria-label="Sign in">
      ${
        mode === "admin"
          ? html`<label>Admin token
              <input name="token" type="password" autocomplete="current-password" required autofocus />
            </label>
            <p class="muted small">It is in <code>admin-token</code> in the data directory.</p>`
          : html`<label>Address
              <input name="address" type="email" autocomplete="username" required autofocus />
            </label>
            <label>Password
              <input name="password" type="password" autocomplete="current-password" required />
            </label>`
      }
      <button type="submit" disabled=${busy}>${busy ? "Signing in…" : "Sign in"}</button>
      <${Status} status=${status} />
    </form>
  </main>`;
}
