/** Small pieces every screen uses: loading data, showing errors, copying, formatting. */
import { html } from "htm/preact";
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";

export { html };

/** Data loaded by `load`, reloaded when `deps` change or `reload()` is called. */
export function useData<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (e: unknown) => live && setState({ error: e instanceof Error ? e.message : String(e), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** Runs a write, showing its error (or a note) where the screen puts `status`. */
export function useAction() {
  const [status, setStatus] = useState<{ error?: string; note?: string }>({});
  const [busy, setBusy] = useState(false);
  const run = useCallback(async (f: () => Promise<unknown>, note?: string) => {
    setBusy(true);
    setStatus({});
    try {
      await f();
      if (note) setStatus({ note });
      return true;
    } catch (e) {
      setStatus({ error: e instanceof Error ? e.message : String(e) });
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { status, busy, run };
}

export function Status(props: { status: { error?: string; note?: string } }) {
  if (props.status.error) return html`<p class="error" role="alert">${props.status.error}</p>`;
  if (props.status.note) return html`<p class="note" role="status">${props.status.note}</p>`;
  return null;
}

export function Loading(props: {
  error?: string | undefined;
  loading: boolean;
  children?: ComponentChildren;
}) {
  if (props.error) return html`<p class="error" role="alert">${props.error}</p>`;
  if (props.loading && !props.children) return html`<p class="muted" aria-busy="true">Loading…</p>`;
  return html`${props.children}`;
}

/** Copies `text` to the clipboard; says so for a moment (and to screen readers). */
export function CopyButton(props: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
    } catch {
      // No clipboard permission (plain http off loopback): select-and-copy by hand still works.
      return;
    }
    setDone(true);
    setTimeout(() => setDone(false), 1500);
  };
  return html`<button type="button" class="small" onClick=${copy} aria-label=${props.label ?? "Copy"}>
    ${done ? "Copied" : "Copy"}
  </button>`;
}

export function PageTitle(props: { children: ComponentChildren }) {
  useEffect(() => {
    document.title = `${typeof props.children === "string" ? props.children : "Mailroom"} · Mailroom`;
  }, [props.children]);
  return html`<h1 tabindex="-1" id="page-title">${props.children}</h1>`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function when(ms: number | string | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? "—" : d.toLocaleString();
}
