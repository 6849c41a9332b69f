/** Hash routes (`#/accounts`, `#/inbox/a@b/INBOX/42`): the server serves one page, any link can be bookmarked. */
import { useEffect, useState } from "preact/hooks";

export function currentRoute(): string[] {
  const hash = location.hash.replace(/^#\/?/, "");
  return hash === "" ? [] : hash.split("/").map((s) => decodeURIComponent(s));
}

export function useRoute(): string[] {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const changed = () => setRoute(currentRoute());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}

export function href(...segments: Array<string | number>): string {
  return `#/${segments.map((s) => encodeURIComponent(String(s))).join("/")}`;
}

export function go(...segments: Array<string | number>): void {
  location.hash = href(...segments);
}
