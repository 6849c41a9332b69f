/**
 * The web interface's bundle (issue 17): the committed webui/dist/bundle.ts is exactly what
 * scripts/build-webui.ts makes of webui/src now (so an edit without a rebuild fails here, not in
 * production), it is small (< 500 KB compressed, the budget), and it loads nothing from
 * another origin.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { BUNDLE_PATH, bundleModule, bundleWebui } from "../../scripts/build-webui.ts";
import { assetSizes } from "../../src/api/ui/asset-routes.ts";
import { css, js } from "../../webui/dist/bundle.ts";

test("the committed bundle is what the build makes of the sources now", async () => {
  const fresh = await bundleWebui();
  const committed = readFileSync(BUNDLE_PATH, "utf8");
  // Compared whole; on a mismatch say how to fix it rather than print 50 KB of minified code.
  const same = committed === bundleModule(fresh.js, fresh.css);
  if (!same) console.error("webui/dist/bundle.ts is stale: run `bun run build:webui` and commit it");
  expect(same).toBe(true);
}, 60_000);

test("the assets total under 500 KB compressed", () => {
  const sizes = assetSizes({ js, css });
  console.log(
    `web interface: script ${sizes.js} B, stylesheet ${sizes.css} B, ${sizes.gzipTotal} B gzipped in all`,
  );
  expect(sizes.gzipTotal).toBeLessThan(500 * 1024);
  // Far under, in fact: a jump would mean a heavy dependency slipped in.
  expect(sizes.gzipTotal).toBeLessThan(60 * 1024);
});

test("the bundle names no remote origin to load from", () => {
  // URLs in the code would be either a CDN or a tracker; the page may only talk to its own server.
  const urls = [...`${js}\n${css}`.matchAll(/https?:\/\/[^\s"'`)]+/g)].map((m) => m[0]);
  // Preact's and htm's sources carry none; allowed are XML namespace names and placeholders in the
  // reserved .example domain (RFC 2606 §3), which can never be anyone's host.
  const allowed = (u: string) =>
    /^http:\/\/www\.w3\.org\//.test(u) || /^https?:\/\/[^/]+\.example(\/|$)/.test(u);
  expect(urls.filter((u) => !allowed(u))).toEqual([]);
});
