/**
 * The web interface's defences (issue 17), each shown by an attack that fails: session fixation,
 * cross-site request forgery on every write the API has, and script injection through a message's
 * subject, names, header fields, attachment names, mailbox names and HTML body (script elements,
 * event handlers, javascript: links, SVG). A payload that ran would record itself on the page
 * (`window.__xss`), navigate to a loopback beacon, or open a dialog: none of the three may happen.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { parseDocument } from "yaml";
import { createAccounts, startTestServer, TEST_TOKEN, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";
import { hasChromium, launchBrowser, newContext, screenshot, signInAdmin } from "./browser.ts";

// A browser flow takes seconds, more on a loaded machine.
setDefaultTimeout(60_000);

let server: TestServer;
let browser: Browser;
let origin: string;
/** Records every request: a payload that ran would call it. */
let beacon: Server;
let beaconHits: string[] = [];
let beaconUrl: string;

beforeAll(async () => {
  server = await startTestServer();
  origin = `http://127.0.0.1:${server.ports.http}`;
  await createAccounts(server, [
    { address: "alice@example.com", password: "alice-password" },
    { address: "mallory@example.com", password: "mallory-password" },
  ]);
  beacon = createServer((req, res) => {
    beaconHits.push(req.url ?? "");
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<p>beacon</p>");
  });
  await new Promise<void>((resolve) => beacon.listen(0, "127.0.0.1", resolve));
  const address = beacon.address();
  beaconUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  if (hasChromium) browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => beacon.close(() => resolve()));
  await server.close();
});

/** Signs in over HTTP; returns the cookie pair ("mailroom_session=...") and the CSRF token. */
async function signIn(
  body: unknown,
  cookie?: string,
): Promise<{ cookie: string; csrf: string; status: number }> {
  const res = await fetch(`${origin}/ui/session`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  const setCookie = res.headers.get("set-cookie") ?? "";
  const json = res.status === 201 ? ((await res.json()) as { csrfToken: string }) : { csrfToken: "" };
  return { cookie: setCookie.split(";")[0]!, csrf: json.csrfToken, status: res.status };
}

const withCookie = (cookie: string, init: RequestInit = {}) => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), cookie },
});

describe("session fixation", () => {
  test("sign-in makes a new session id; an id planted before sign-in never becomes signed in", async () => {
    const planted = "mailroom_session=attacker-chosen-id-0123456789";
    const { cookie, status } = await signIn({ token: TEST_TOKEN }, planted);
    expect(status).toBe(201);
    expect(cookie).toMatch(/^mailroom_session=[A-Za-z0-9_-]{43}$/);
    expect(cookie).not.toBe(planted);
    expect((await fetch(`${origin}/api/v1/accounts`, withCookie(planted))).status).toBe(401);
    expect((await fetch(`${origin}/api/v1/accounts`, withCookie(cookie))).status).toBe(200);
  });

  test("an attacker's own session planted in a browser ends when the victim signs in as admin", async () => {
    if (!hasChromium) return;
    const attacker = await signIn({ address: "mallory@example.com", password: "mallory-password" });
    expect(attacker.status).toBe(201);
    const { context, page } = await newContext(browser);
    const [name, value] = attacker.cookie.split("=") as [string, string];
    await context.addCookies([
      { name, value, domain: "127.0.0.1", path: "/", httpOnly: true, sameSite: "Strict" },
    ]);
    await page.goto(`${origin}/`);
    // The page sees the planted account session (that is what planting does) ...
    await page.getByRole("heading", { name: "INBOX" }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    // ... but signing in anew never reuses it: the attacker's id gains nothing.
    await context.addCookies([
      { name, value, domain: "127.0.0.1", path: "/", httpOnly: true, sameSite: "Strict" },
    ]);
    await signInAdmin(page, `${origin}/`, TEST_TOKEN);
    const now = (await context.cookies()).find((c) => c.name === "mailroom_session");
    expect(now?.value).not.toBe(value);
    expect((await fetch(`${origin}/api/v1/accounts`, withCookie(attacker.cookie))).status).toBe(401);
    expect(
      (await fetch(`${origin}/api/v1/accounts/mallory%40example.com`, withCookie(attacker.cookie))).status,
    ).toBe(401);
    await context.close();
  });

  test("signing out ends the session on the server, not only in the browser", async () => {
    const { cookie, csrf } = await signIn({ token: TEST_TOKEN });
    const out = await fetch(
      `${origin}/ui/session`,
      withCookie(cookie, { method: "DELETE", headers: { "x-csrf-token": csrf } }),
    );
    expect(out.status).toBe(204);
    expect((await fetch(`${origin}/api/v1/accounts`, withCookie(cookie))).status).toBe(401);
  });
});

/** Every write operation openapi.yaml documents (the OpenAPI test keeps it equal to the app's routes). */
function writeOperations(): Array<{ method: string; path: string }> {
  const spec = parseDocument(readFileSync(join(import.meta.dir, "../../openapi.yaml"), "utf8")).toJS() as {
    paths: Record<string, Record<string, unknown>>;
  };
  const out: Array<{ method: string; path: string }> = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of ["post", "put", "patch", "delete"]) {
      if (
        item[method] &&
        (path.startsWith("/api/v1/") || path === "/ui/session") &&
        !(path === "/ui/session" && method === "post")
      )
        out.push({ method: method.toUpperCase(), path });
    }
  }
  return out;
}

/** A concrete URL for a documented path: parameters filled with existing resources. */
function concrete(path: string): string {
  return path
    .replace("{address}", "alice%40example.com")
    .replace("{domain}", "example.com")
    .replace("{mailbox}", "INBOX")
    .replace("{id}", "1")
    .replace("{key}", "k")
    .replace(/\{[^}]+\}/g, "x");
}

describe("CSRF", () => {
  test("every write with a session cookie but without its CSRF token is refused before it acts", async () => {
    const ops = writeOperations();
    expect(ops.length).toBeGreaterThan(20);
    const { cookie, csrf } = await signIn({ token: TEST_TOKEN });
    const refused: string[] = [];
    for (const op of ops) {
      for (const token of [undefined, "wrong-token", `${csrf}x`]) {
        const res = await fetch(
          `${origin}${concrete(op.path)}`,
          withCookie(cookie, {
            method: op.method,
            headers: { "content-type": "application/json", ...(token ? { "x-csrf-token": token } : {}) },
            body: op.method === "DELETE" ? undefined : JSON.stringify({ name: "csrf.example" }),
          }),
        );
        if (res.status === 403) refused.push(`${op.method} ${op.path}`);
        else throw new Error(`${op.method} ${op.path} with CSRF token ${token} answered ${res.status}`);
      }
    }
    expect(refused.length).toBe(ops.length * 3);
    // Nothing happened: the domain the bodies name does not exist, alice is still there.
    const domains = (await (await server.api("/api/v1/domains")).json()) as {
      items: Array<{ name: string }>;
    };
    expect(domains.items.map((d) => d.name)).not.toContain("csrf.example");
    expect((await server.api("/api/v1/accounts/alice@example.com")).status).toBe(200);
    // The same session with its token may write; the admin token needs none.
    const ok = await fetch(
      `${origin}/api/v1/domains`,
      withCookie(cookie, {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": csrf },
        body: JSON.stringify({ name: "csrf-ok.example" }),
      }),
    );
    expect(ok.status).toBe(201);
  });

  test("sign-in refuses a form post and a foreign Origin (login CSRF)", async () => {
    const form = await fetch(`${origin}/ui/session`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ token: TEST_TOKEN }),
    });
    expect(form.status).toBe(403);
    expect(form.headers.get("set-cookie")).toBeNull();
    const foreign = await fetch(`${origin}/ui/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://evil.example" },
      body: JSON.stringify({ token: TEST_TOKEN }),
    });
    expect(foreign.status).toBe(403);
  });

  test("another origin's page cannot make a signed-in browser write (form post and fetch)", async () => {
    if (!hasChromium) return;
    const { context, page } = await newContext(browser);
    await signInAdmin(page, `${origin}/`, TEST_TOKEN);
    // 127.0.0.1 on another port is another origin but the same site: SameSite alone would let the
    // cookie go along; the CSRF token is what stops these.
    const evil = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!doctype html><form id="f" method="POST" action="${origin}/api/v1/domains" enctype="text/plain">
        <input name='{"name":"evil-form.example","x":"' value='"}'></form>
        <script>
          fetch("${origin}/api/v1/domains", { method: "POST", mode: "no-cors", credentials: "include",
            headers: { "content-type": "text/plain" }, body: JSON.stringify({ name: "evil-fetch.example" }) })
            .finally(() => document.getElementById("f").submit());
        </script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    const port = (evil.address() as { port: number }).port;
    const response = page.waitForResponse(
      (r) =>
        r.url() === `${origin}/api/v1/domains` &&
        r.request().method() === "POST" &&
        r.request().postData()?.includes("evil-form") === true,
    );
    await page.goto(`http://127.0.0.1:${port}/`);
    expect((await response).status()).toBe(403);
    const domains = (await (await server.api("/api/v1/domains")).json()) as {
      items: Array<{ name: string }>;
    };
    expect(domains.items.map((d) => d.name).filter((n) => n.startsWith("evil"))).toEqual([]);
    await new Promise<void>((resolve) => evil.close(() => resolve()));
    await context.close();
  });
});

describe("script injection", () => {
  /** What a payload does when it runs: marks the page, then navigates to the beacon. */
  const run = (tag: string) =>
    `(top.__xss=(top.__xss||[]).concat('${tag}'),location.href='${"BEACON"}/?${tag}')`;
  const hostile = (tag: string) =>
    `<img src=x onerror="${run(tag)}"><script>${run(`${tag}-script`)}</script>`;

  function xssMessage(): string {
    const html = [
      `<p>Dear customer</p>`,
      `<script>${run("body-script")}</script>`,
      `<img src="cid:none" onerror="${run("body-onerror")}">`,
      `<a id="jslink" href="javascript:${run("body-jslink")}">click me</a>`,
      `<a href="JaVaScRiPt&colon;${run("body-jslink2")}">and me</a>`,
      `<svg onload="${run("body-svg-onload")}"><script>${run("body-svg-script")}</script></svg>`,
      `<math><mtext><table><mglyph><style><img src=x onerror="${run("body-mxss")}">`,
      `<iframe srcdoc="<script>${run("body-iframe")}</script>"></iframe>`,
      `<form action="javascript:${run("body-form")}"><button>go</button></form>`,
      `<div style="background:url(javascript:${run("body-css")})">styled</div>`,
      `<object data="javascript:${run("body-object")}"></object><embed src="javascript:${run("body-embed")}">`,
      `<body onload="${run("body-onload")}">`,
    ]
      .join("\r\n")
      .replaceAll("BEACON", beaconUrl);
    const text = `Visit javascript:${run("text-link")} now`.replaceAll("BEACON", beaconUrl);
    return [
      `From: "${hostile("from-name").replaceAll("BEACON", beaconUrl).replaceAll('"', "'")}" <evil@remote.example>`,
      "To: alice@example.com",
      `Subject: ${hostile("subject").replaceAll("BEACON", beaconUrl)}`,
      `X-Evil: ${hostile("header").replaceAll("BEACON", beaconUrl)}`,
      `Authentication-Results: mx; spf=pass ${hostile("auth-results").replaceAll("BEACON", beaconUrl)}`,
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="b1"',
      "",
      "--b1",
      'Content-Type: multipart/alternative; boundary="b2"',
      "",
      "--b2",
      "Content-Type: text/plain; charset=utf-8",
      "",
      text,
      "--b2",
      "Content-Type: text/html; charset=utf-8",
      "",
      html,
      "--b2--",
      "--b1",
      `Content-Type: text/plain; name="x.txt"`,
      `Content-Disposition: attachment; filename="${hostile("filename").replaceAll("BEACON", beaconUrl).replaceAll('"', "'")}.txt"`,
      "",
      "attached",
      "--b1--",
      "",
    ].join("\r\n");
  }

  async function assertNothingRan(page: Page, dialogs: string[], where: string): Promise<void> {
    const marks = await page.evaluate(() => (globalThis as unknown as { __xss?: string[] }).__xss ?? []);
    expect({ where, marks, beacon: beaconHits, dialogs, url: page.url().startsWith(origin) }).toEqual({
      where,
      marks: [],
      beacon: [],
      dialogs: [],
      url: true,
    });
    // Escaped, not merely blocked by the CSP: no element the payloads tried to make exists.
    // (A string: this file is type-checked without the DOM library.)
    const injected = await page.evaluate(`[...document.querySelectorAll("*")]
      .filter((e) => e.tagName === "SCRIPT" ? !e.getAttribute("src") : [...e.attributes].some((a) => /^on/i.test(a.name)))
      .map((e) => e.outerHTML.slice(0, 80))`);
    expect(injected).toEqual([]);
  }

  test("payloads in a message's subject, names, header fields, attachment name and HTML body do not run", async () => {
    if (!hasChromium) return;
    const sent = await sendMail(
      server.ports.smtp!,
      "evil@remote.example",
      ["alice@example.com"],
      xssMessage(),
    );
    expect(sent.text).toStartWith("250");
    // A mailbox name may not hold "/" (the hierarchy separator): a payload without one.
    const mailbox = `<img src=x onerror="top.__xss=['mailbox']"><svg onload="alert('mailbox')">`;
    const created = await server.api("/api/v1/accounts/alice@example.com/mailboxes", {
      method: "POST",
      json: { name: mailbox },
    });
    expect(created.status).toBe(201);
    beaconHits = [];
    const { context, page, errors } = await newContext(browser);
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await signInAdmin(page, `${origin}/`, TEST_TOKEN);
    await page.goto(`${origin}/#/inbox/alice%40example.com/INBOX`);
    // Shown as text: the list has the subject's markup literally.
    const item = page.getByRole("list", { name: "Messages" }).getByText("<img src=x onerror=").first();
    await item.waitFor();
    await assertNothingRan(page, dialogs, "list");
    await page.getByRole("list", { name: "Messages" }).getByRole("link").first().click();
    await page.locator("#message-subject").waitFor();
    expect(await page.locator("#message-subject").textContent()).toContain("<script>");
    const frame = page.frameLocator('iframe[title="Message content (HTML)"]');
    await frame.getByText("Dear customer").waitFor();
    await screenshot(page, "xss-message");
    // The frame's document: nothing executable survived the sanitizer.
    const frameHtml = await frame.locator("body").innerHTML();
    expect(frameHtml).not.toMatch(/<script|<svg|<iframe|<object|<embed|<form|\son\w+=|javascript:/i);
    await frame.getByText("click me").click();
    await frame.getByText("and me").click();
    await assertNothingRan(page, dialogs, "message html");
    for (const tab of ["Text", "Headers", "Raw", "Links & codes", "Authentication"]) {
      await page.getByRole("tab", { name: tab }).click();
      await page.getByRole("tabpanel").waitFor();
      await assertNothingRan(page, dialogs, `tab ${tab}`);
    }
    await page.getByRole("tab", { name: "Headers" }).click();
    await page.getByRole("rowheader", { name: "X-Evil" }).waitFor();
    // The mailbox with a hostile name, listed in the sidebar and the move menu.
    await page.getByRole("navigation", { name: "Mailboxes" }).getByText("<img src=x onerror=").waitFor();
    await assertNothingRan(page, dialogs, "mailbox name");
    // Defence in depth: markup put into the page by any means still cannot run inline code (CSP).
    await page.evaluate(
      `document.body.insertAdjacentHTML("beforeend", '<img src=x onerror="top.__xss=[1]">')`,
    );
    // A function, not a string: Playwright polls a string predicate with eval, which the CSP forbids.
    type Images = {
      document: { images: ArrayLike<{ complete: boolean; getAttribute(name: string): string | null }> };
    };
    await page.waitForFunction(() =>
      Array.from((globalThis as unknown as Images).document.images).some(
        (i) => i.complete && i.getAttribute("src") === "x",
      ),
    );
    const marks = await page.evaluate(() => (globalThis as unknown as { __xss?: string[] }).__xss ?? []);
    expect(marks).toEqual([]);
    expect(errors.some((e) => /Content Security Policy/.test(e))).toBe(true);
    await context.close();
  }, 60_000);
});

describe("headers", () => {
  test("the page and its assets carry the CSP, long-lived caching for hashed names and no inline script", async () => {
    const page = await fetch(`${origin}/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(page.headers.get("cache-control")).toBe("no-cache");
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/);
    expect(html).not.toMatch(/\sstyle=|\son\w+=/);
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toHaveLength(2);
    for (const path of assets) {
      expect(path).toMatch(/^\/assets\/app\.[0-9a-f]{12}\.(js|css)$/);
      const res = await fetch(`${origin}${path}`, { headers: { "accept-encoding": "gzip" } });
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect((await fetch(`${origin}/assets/app.000000000000.js`)).status).toBe(404);
  });
});
