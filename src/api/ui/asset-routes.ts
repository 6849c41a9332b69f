/**
 * The web interface's page and its two assets (issue 17), served from memory: the bundle built by
 * scripts/build-webui.ts is embedded in the executable (src/runtime/embedded.ts), nothing is read
 * from disk or fetched from elsewhere at run time.
 *
 * Asset names carry a hash of their content, so they are cached for a year (`immutable`) and a new
 * build is picked up at once: only the small page naming them is always revalidated. The page's CSP
 * lets it run only its own script and load only from this server: no inline script or style, no
 * remote origin, no framing of the page by another site.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { type Context, Hono } from "hono";
import type { ApiEnv, WebAssets } from "../deps.ts";
import { problem } from "../problem.ts";

/** frame-src 'self': the message view shows sanitized HTML in a sandboxed frame from our own API. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": PAGE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

interface Asset {
  name: string;
  type: string;
  body: Uint8Array;
  gzip: Uint8Array;
}

function asset(base: string, ext: string, type: string, text: string): Asset {
  const body = new TextEncoder().encode(text);
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
  return { name: `${base}.${hash}.${ext}`, type, body, gzip: gzipSync(body, { level: 9 }) };
}

function page(js: Asset, css: Asset): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Mailroom</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/${css.name}">
<script type="module" src="/assets/${js.name}"></script>
</head>
<body>
<div id="app"><p class="loading">Loading Mailroom…</p></div>
<noscript><p>The Mailroom web interface needs JavaScript. The REST API is described at <a href="/openapi.yaml">/openapi.yaml</a>.</p></noscript>
</body>
</html>
`;
}

function send(c: Context<ApiEnv>, a: Asset, cache: string): Response {
  const gzip = /\bgzip\b/.test(c.req.header("accept-encoding") ?? "");
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    "content-type": a.type,
    "cache-control": cache,
    vary: "accept-encoding",
    ...(gzip ? { "content-encoding": "gzip" } : {}),
  };
  return c.body((gzip ? a.gzip : a.body) as Uint8Array<ArrayBuffer>, 200, headers);
}

/** The page and its assets; without a bundle (an app built for a test) `/` says there is none. */
export function assetRoutes(assets: WebAssets | undefined): Hono<ApiEnv> {
  if (!assets) {
    const none = (c: Context<ApiEnv>) => problem(c, 404, "Not Found", "this server has no web interface");
    return new Hono<ApiEnv>().get("/", none).get("/assets/:name", none);
  }
  const js = asset("app", "js", "text/javascript; charset=utf-8", assets.js);
  const css = asset("app", "css", "text/css; charset=utf-8", assets.css);
  const index = asset("index", "html", "text/html; charset=utf-8", page(js, css));
  const byName = new Map([js, css].map((a) => [a.name, a]));
  return new Hono<ApiEnv>()
    .get("/", (c) => send(c, index, "no-cache"))
    .get("/assets/:name", (c) => {
      const found = byName.get(c.req.param("name"));
      if (!found) return problem(c, 404, "Not Found", "no such asset (a page from an older build?)");
      return send(c, found, "public, max-age=31536000, immutable");
    });
}

/** The compressed size of everything the page loads (what the size test checks). */
export function assetSizes(assets: WebAssets): { js: number; css: number; gzipTotal: number } {
  const js = asset("app", "js", "", assets.js);
  const css = asset("app", "css", "", assets.css);
  return { js: js.body.length, css: css.body.length, gzipTotal: js.gzip.length + css.gzip.length };
}
