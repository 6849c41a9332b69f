/**
 * The architecture, kept visible by a test: only src/runtime/ names Bun or Deno; protocol servers
 * never import each other (they meet in the store); protocol/ folders (pure bytes <-> values) never
 * import the store; only src/store/ touches the database libraries.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

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
