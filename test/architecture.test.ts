/**
 * The architecture, kept visible by a test: only src/runtime/ names Bun or Deno; protocol servers
 * never import each other (they meet in the store); protocol/ folders (pure bytes <-> values) never
 * import the store; only src/store/ touches the database libraries; no module imports itself through
 * others; IMAP command handlers see their state and a narrow session, never the session itself.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const sources = files("src").map((path) => ({ path: relative(".", path), text: readFileSync(path, "utf8") }));
const imports = (text: string) => [...text.matchAll(/^import[^"']*["']([^"']+)["']/gm)].map((m) => m[1]!);

test("only src/runtime/ uses Bun- or Deno-specific APIs", () => {
  const offenders = sources
    .filter((f) => !f.path.startsWith("src/runtime/"))
    .filter((f) => /\bBun\.|\bDeno\.|from "bun"|from "bun:/.test(f.text))
    .map((f) => f.path);
  expect(offenders).toEqual([]);
});

test("protocol servers never import each other", () => {
  const protocols = ["smtp", "pop3", "imap", "api"];
  const offenders: string[] = [];
  for (const f of sources) {
    const own = protocols.find((p) => f.path.startsWith(`src/${p}/`));
    if (!own) continue;
    for (const spec of imports(f.text)) {
      const other = protocols.find((p) => p !== own && new RegExp(`(^|/)${p}/`).test(spec));
      if (other && spec.startsWith(".")) offenders.push(`${f.path} -> ${spec}`);
    }
  }
  expect(offenders).toEqual([]);
});

test("protocol/ folders do not import the store", () => {
  const offenders = sources
    .filter((f) => f.path.includes("/protocol/"))
    .flatMap((f) =>
      imports(f.text)
        .filter((s) => s.includes("store/"))
        .map((s) => `${f.path} -> ${s}`),
    );
  expect(offenders).toEqual([]);
});

test("only src/store/ imports the database libraries", () => {
  const offenders = sources
    .filter((f) => !f.path.startsWith("src/store/"))
    .flatMap((f) =>
      imports(f.text)
        .filter((s) => /^(drizzle-orm|@libsql\/|libsql)/.test(s))
        .map((s) => `${f.path} -> ${s}`),
    );
  expect(offenders).toEqual([]);
});

/** Relative imports and re-exports of a module, as paths from the repository root. */
function localImports(f: { path: string; text: string }): string[] {
  const specs = [...f.text.matchAll(/^(?:import|export)[^"';]*?from\s*["'](\.[^"']+)["']/gms)].map(
    (m) => m[1]!,
  );
  return specs.map((spec) => join(dirname(f.path), spec));
}

test("no module of src/ imports itself through others", () => {
  const graph = new Map(sources.map((f) => [f.path, localImports(f)]));
  const cycles: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): void => {
    const at = path.indexOf(file);
    if (at !== -1) {
      cycles.push([...path.slice(at), file].join(" -> "));
      return;
    }
    if (done.has(file)) return;
    path.push(file);
    for (const next of graph.get(file) ?? []) visit(next);
    path.pop();
    done.add(file);
  };
  for (const file of graph.keys()) visit(file);
  expect(cycles).toEqual([]);
});

test("IMAP command handlers never import the session", () => {
  const offenders = sources
    .filter((f) => f.path.startsWith("src/imap/commands/") || f.path.startsWith("src/imap/fetch/"))
    .filter((f) => localImports(f).includes("src/imap/session.ts"))
    .map((f) => f.path);
  expect(offenders).toEqual([]);
});
