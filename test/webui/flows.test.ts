/**
 * The web interface in a real browser (issue 17): headless Chromium driven by playwright-core
 * against a real server on loopback. Each flow is what a person does: sign in, create a domain and
 * an account, watch mail arrive over SMTP without reloading, read it (HTML with its remote image
 * blocked), download an attachment, retry a queue item, and, signed in as one account, fail to see
 * another's mail. Screenshots of each step go to the directory the run prints.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { Browser, Page } from "playwright-core";
import { eventually } from "../harness/eventually.ts";
import { createAccounts, startTestServer, TEST_TOKEN, type TestServer } from "../harness/server.ts";
import { SmtpClient, sendMail } from "../harness/smtp-client.ts";
import { hasChromium, launchBrowser, newContext, screenshot, signInAccount, signInAdmin } from "./browser.ts";

// A browser flow takes seconds, more on a loaded machine.
setDefaultTimeout(60_000);

let server: TestServer;
let browser: Browser;
let base: string;
/** A loopback web server standing in for a tracking-pixel host: records every request it gets. */
let pixelHost: Server;
let pixelHits: string[] = [];
let pixelUrl: string;

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 9;
}

beforeAll(async () => {
  server = await startTestServer({
    // Outgoing mail goes to a port where nothing listens: it stays in the queue, deferred.
    routes: [{ domain: "*", host: "127.0.0.1", port: await closedPort() }],
    queueRetry: [3_600_000],
    // The webhook screen's test posts to a receiver on loopback.
    webhooksAllowPrivate: true,
  });
  base = `http://127.0.0.1:${server.ports.http}/`;
  await createAccounts(server, [
    { address: "alice@example.com", password: "alice-password" },
    { address: "bob@example.com", password: "bob-password" },
  ]);
  pixelHost = createServer((req, res) => {
    pixelHits.push(req.url ?? "");
    res.writeHead(200, { "content-type": "image/gif" });
    res.end(Buffer.from("R0lGODlhAQABAAAAACw=", "base64"));
  });
  await new Promise<void>((resolve) => pixelHost.listen(0, "127.0.0.1", resolve));
  const address = pixelHost.address();
  pixelUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/pixel.gif`;
  if (hasChromium) browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => pixelHost.close(() => resolve()));
  await server.close();
});

/** An HTML message with a remote image, a text alternative and a PDF-ish attachment. */
function htmlMessage(subject: string, attachment: Buffer): string {
  return [
    "From: Carol Sender <carol@remote.example>",
    "To: alice@example.com",
    `Subject: ${subject}`,
    "Date: Tue, 02 Jan 2024 10:00:00 +0000",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="mix"',
    "",
    "--mix",
    'Content-Type: multipart/alternative; boundary="alt"',
    "",
    "--alt",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Your code is 482913.",
    "--alt",
    "Content-Type: text/html; charset=utf-8",
    "",
    `<p>Hello <b>Alice</b>, your code is 482913.</p><img src="${pixelUrl}" alt="tracker">`,
    "--alt--",
    "--mix",
    'Content-Type: application/octet-stream; name="report.bin"',
    'Content-Disposition: attachment; filename="report.bin"',
    "Content-Transfer-Encoding: base64",
    "",
    attachment.toString("base64"),
    "--mix--",
    "",
  ].join("\r\n");
}

/** Follows a link of the top navigation. */
function nav(page: Page, name: string) {
  return page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name }).click();
}

const describeBrowser = hasChromium ? describe : describe.skip;

describeBrowser("web interface flows in Chromium", () => {
  test("signing in with the admin token shows the dashboard; a wrong token is refused", async () => {
    const { context, page, errors } = await newContext(browser);
    await page.goto(base);
    await page.getByLabel("Admin token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText("wrong admin token").waitFor();
    await screenshot(page, "01-sign-in-refused");
    await page.getByLabel("Admin token").fill(TEST_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    await screenshot(page, "02-dashboard");
    const cookie = (await context.cookies()).find((c) => c.name === "mailroom_session");
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe("Strict");
    expect(errors.filter((e) => !e.includes("401"))).toEqual([]);
    await context.close();
  });

  test("the dashboard shows deliveries and failed logins live", async () => {
    const { context, page, errors } = await newContext(browser);
    await signInAdmin(page, base, TEST_TOKEN);
    await page.getByText("Waiting for deliveries").waitFor();
    const sent = await sendMail(
      server.ports.smtp!,
      "carol@remote.example",
      ["bob@example.com"],
      "From: Carol <carol@remote.example>\r\nTo: bob@example.com\r\nSubject: Seen on the dashboard\r\n\r\nHi.\r\n",
    );
    expect(sent.code).toBe(250);
    const activity = page.getByRole("region", { name: "Live activity" });
    await activity.getByText('bob@example.com: new message "Seen on the dashboard"').waitFor();
    // A wrong password over the web counts like one over IMAP, and shows here.
    const wrong = await fetch(`${base}ui/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ address: "alice@example.com", password: "guess" }),
    });
    expect(wrong.status).toBe(401);
    await activity.getByText(/failed .*login as alice@example.com/).waitFor();
    await screenshot(page, "02b-dashboard-activity");
    expect(errors).toEqual([]);
    await context.close();
  });

  test("an admin creates a domain and an account with a quota from the forms", async () => {
    const { context, page, errors } = await newContext(browser);
    await signInAdmin(page, base, TEST_TOKEN);
    await nav(page, "Domains");
    await page.getByRole("textbox", { name: "New domain" }).fill("shop.example");
    await page.getByRole("button", { name: "Create domain" }).click();
    await page.getByRole("status").getByText("Domain shop.example created.").waitFor();
    await page.getByRole("link", { name: "shop.example" }).click();
    await page.getByRole("heading", { name: "DNS records" }).waitFor();
    await page
      .getByRole("cell", { name: /^v=spf1/ })
      .first()
      .waitFor();
    await screenshot(page, "03-domain-dns");

    await nav(page, "Accounts");
    const form = page.getByRole("form", { name: "New account" });
    await form.getByLabel("Address").fill("dave@shop.example");
    await form.getByLabel("Password").fill("dave-password");
    await form.getByLabel("Quota (MB)").fill("10");
    await form.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("rowheader", { name: "dave@shop.example" }).waitFor();
    await expect(page.getByRole("meter", { name: /of 10 MB used/ }).count()).resolves.toBe(1);
    await screenshot(page, "04-accounts");

    const res = await server.api("/api/v1/accounts/dave@shop.example");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { quota: number }).quota).toBe(10 * 1024 * 1024);
    expect(errors).toEqual([]);
    await context.close();
  });

  test("a message sent over SMTP appears in the open inbox without a reload", async () => {
    const { context, page, errors } = await newContext(browser);
    await signInAdmin(page, base, TEST_TOKEN);
    await page.goto(`${base}#/inbox/alice%40example.com/INBOX`);
    await page.getByRole("heading", { name: "INBOX" }).waitFor();
    await page.getByText("No messages.").waitFor();
    // A marker on the window: a reload would lose it.
    await page.evaluate(() => {
      (globalThis as unknown as { marker: number }).marker = 42;
    });
    const sent = await sendMail(
      server.ports.smtp!,
      "carol@remote.example",
      ["alice@example.com"],
      "From: Carol <carol@remote.example>\r\nTo: alice@example.com\r\nSubject: Arrives live\r\n\r\nHello.\r\n",
    );
    expect(sent.code).toBe(250);
    await page.getByRole("list", { name: "Messages" }).getByText("Arrives live").waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
    await screenshot(page, "05-inbox-live");
    expect(errors).toEqual([]);
    await context.close();
  });

  test("an HTML message opens in a sandboxed frame with its remote image blocked until asked", async () => {
    const attachment = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
    const sent = await sendMail(
      server.ports.smtp!,
      "carol@remote.example",
      ["alice@example.com"],
      htmlMessage("Quarterly report", attachment),
    );
    expect(sent.code).toBe(250);
    const { context, page, errors } = await newContext(browser);
    await signInAdmin(page, base, TEST_TOKEN);
    await page.goto(`${base}#/inbox/alice%40example.com/INBOX`);
    pixelHits = [];
    await page.getByRole("link", { name: /Quarterly report/ }).click();
    await page.getByRole("heading", { name: "Quarterly report" }).waitFor();
    const frame = page.frameLocator('iframe[title="Message content (HTML)"]');
    await frame.getByText("your code is 482913").waitFor();
    await page.getByRole("status").getByText("1 remote image was blocked").waitFor();
    expect(await page.locator("iframe").getAttribute("sandbox")).toBe(
      "allow-popups allow-popups-to-escape-sandbox",
    );
    expect(await frame.locator("img").getAttribute("src")).toBeNull();
    await screenshot(page, "06-message-html-blocked");
    expect(pixelHits).toEqual([]);

    // Asked for: the image loads, from the (loopback) host it names.
    await page.getByRole("button", { name: "Load remote content" }).click();
    await eventually(() => pixelHits.length > 0, "the remote image to be fetched once asked for");
    expect(pixelHits).toEqual(["/pixel.gif"]);

    // The attachment downloads with its exact bytes.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "report.bin" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("report.bin");
    expect(Buffer.compare(readFileSync((await download.path())!), attachment)).toBe(0);

    // Links and codes; headers; the raw source; the .eml download.
    await page.getByRole("tab", { name: "Links & codes" }).click();
    await page.getByText("482913", { exact: true }).waitFor();
    await page.getByRole("tab", { name: "Headers" }).click();
    await page.getByRole("rowheader", { name: "Subject" }).waitFor();
    await page.getByRole("tab", { name: "Raw" }).click();
    await page.getByText("Content-Transfer-Encoding: base64").first().waitFor();
    const [eml] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download .eml" }).click(),
    ]);
    expect(eml.suggestedFilename()).toMatch(/\.eml$/);
    expect(readFileSync((await eml.path())!, "latin1")).toContain("Subject: Quarterly report");
    expect(errors).toEqual([]);
    await context.close();
  });

  test("flag, move and delete a message from its view", async () => {
    const { context, page, errors } = await newContext(browser);
    await server.api("/api/v1/accounts/alice@example.com/mailboxes", {
      method: "POST",
      json: { name: "Archive" },
    });
    await signInAdmin(page, base, TEST_TOKEN);
    await page.goto(`${base}#/inbox/alice%40example.com/INBOX`);
    await page.getByRole("link", { name: /Arrives live/ }).click();
    await page.getByRole("button", { name: "Flag", exact: true }).click();
    await page.getByRole("button", { name: "Unflag" }).waitFor();
    await page.getByLabel("Move to").selectOption("Archive");
    await page.getByRole("status").getByText("Moved to Archive.").waitFor();
    await page.goto(`${base}#/inbox/alice%40example.com/Archive`);
    await page.getByRole("link", { name: /Arrives live/ }).click();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByText("No messages.").waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  test("retrying a queue item from the queue screen makes it due now", async () => {
    const { client } = await SmtpClient.connect(server.ports.submission!);
    await client.command("EHLO client.test");
    expect(
      (
        await client.command(
          `AUTH PLAIN ${Buffer.from("\0alice@example.com\0alice-password").toString("base64")}`,
        )
      ).code,
    ).toBe(235);
    expect((await client.command("MAIL FROM:<alice@example.com>")).code).toBe(250);
    expect((await client.command("RCPT TO:<someone@far.example>")).code).toBe(250);
    expect(
      (await client.data("From: alice@example.com\r\nTo: someone@far.example\r\nSubject: Out\r\n\r\nHi.\r\n"))
        .code,
    ).toBe(250);
    await client.close();
    type Item = { id: number; attempts: number; lastError: string | null; recipient: string };
    const deferred = await eventually(async () => {
      const items = ((await (await server.api("/api/v1/queue")).json()) as { items: Item[] }).items;
      return items.find((i) => i.recipient === "someone@far.example" && i.attempts >= 1 && i.lastError);
    }, "the outgoing message to be deferred after a first attempt");

    const { context, page, errors } = await newContext(browser);
    await signInAdmin(page, base, TEST_TOKEN);
    await nav(page, "Queue");
    const row = page.locator(`tr[data-queue-id="${deferred.id}"]`);
    await row.getByText(deferred.lastError!.slice(0, 20)).waitFor();
    await screenshot(page, "07-queue");
    await row.getByRole("button", { name: `Retry item ${deferred.id} now` }).click();
    await page.getByRole("status").getByText(`Item ${deferred.id} is due now.`).waitFor();
    await eventually(async () => {
      const item = (await (await server.api(`/api/v1/queue/${deferred.id}`)).json()) as Item;
      return item.attempts > deferred.attempts;
    }, "the retried item to be attempted again");
    expect(errors).toEqual([]);
    await context.close();
  });

  test("the inbox works from the keyboard: j/k move, Enter opens, s flags, Esc goes back, / searches", async () => {
    const { context, page, errors } = await newContext(browser, { colorScheme: "dark" });
    await signInAdmin(page, base, TEST_TOKEN);
    await page.goto(`${base}#/inbox/alice%40example.com/INBOX`);
    const links = page.getByRole("list", { name: "Messages" }).getByRole("link");
    await links.first().waitFor();
    expect(await links.count()).toBeGreaterThanOrEqual(1);
    await page.locator("body").click();
    await page.keyboard.press("j");
    await page.keyboard.press("k");
    const focused = await page.evaluate("document.activeElement.closest('li') !== null");
    expect(focused).toBe(true);
    await page.keyboard.press("Enter");
    await page.locator("#message-subject").waitFor();
    await screenshot(page, "10-message-dark");
    await page.keyboard.press("Escape");
    await page.locator("#message-subject").waitFor({ state: "detached" });
    await page.keyboard.press("s");
    await page.getByRole("list", { name: "Messages" }).getByLabel("flagged").first().waitFor();
    await page.keyboard.press("/");
    expect(await page.evaluate("document.activeElement.id")).toBe("q");
    await page.keyboard.type("Quarterly");
    await page.keyboard.press("Enter");
    await eventually(async () => (await links.count()) === 1, "the search to leave one message");
    expect(await links.first().textContent()).toContain("Quarterly report");
    expect(errors).toEqual([]);
    await context.close();
  });

  test("an account signed in with its password sees its inbox and never another account's mail", async () => {
    await sendMail(
      server.ports.smtp!,
      "carol@remote.example",
      ["bob@example.com"],
      "From: Carol <carol@remote.example>\r\nTo: bob@example.com\r\nSubject: For Bob only\r\n\r\nHi Bob.\r\n",
    );
    const { context, page } = await newContext(browser, { width: 390, height: 844 });
    await signInAccount(page, base, "bob@example.com", "bob-password");
    await page.getByRole("link", { name: /For Bob only/ }).waitFor();
    await screenshot(page, "08-account-inbox-phone");

    // Alice's inbox by URL: refused by the server, nothing of hers shown.
    await page.goto(`${base}#/inbox/alice%40example.com/INBOX`);
    await page.getByRole("alert").first().getByText("own mail only").waitFor();
    expect(await page.getByText("Quarterly report").count()).toBe(0);
    await screenshot(page, "09-account-refused");
    // And by the API from inside the page, with the session cookie.
    const statuses = await page.evaluate(async () => {
      const paths = [
        "/api/v1/accounts/alice%40example.com/mailboxes",
        "/api/v1/accounts/alice%40example.com/mailboxes/INBOX/messages",
        "/api/v1/accounts/ALICE%40EXAMPLE.COM/mailboxes",
        "/api/v1/messages?to=alice",
        "/api/v1/messages/1",
        "/api/v1/accounts",
        "/api/v1/queue",
        "/api/v1/events?account=alice%40example.com",
        "/api/v1/events",
      ];
      return Promise.all(paths.map(async (p) => (await fetch(p)).status));
    });
    expect(statuses).toEqual([403, 403, 403, 403, 403, 403, 403, 403, 403]);
    await context.close();
  });

  test("every admin screen renders, at desktop and phone width, without a console error", async () => {
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ] as const) {
      const { context, page, errors } = await newContext(browser, { width, height });
      await signInAdmin(page, base, TEST_TOKEN);
      for (const [section, heading] of [
        ["Dashboard", "Dashboard"],
        ["Domains", "Domains"],
        ["Accounts", "Accounts"],
        ["Aliases", "Aliases"],
        ["Queue", "Queue"],
        ["Namespaces", "Namespaces"],
        ["Webhooks", "Webhooks"],
        ["Reports", "TLS reports"],
        ["Inbox", "Inbox"],
      ] as const) {
        await nav(page, section);
        await page.getByRole("heading", { name: heading, exact: true }).waitFor();
        await page.locator("[aria-busy=true]").first().waitFor({ state: "detached" });
        await screenshot(page, `screen-${width}-${section.toLowerCase()}`);
      }
      expect(errors).toEqual([]);
      await context.close();
    }
  });

  test("aliases, namespaces and webhooks are created from their screens", async () => {
    const { context, page } = await newContext(browser);
    await signInAdmin(page, base, TEST_TOKEN);
    await nav(page, "Aliases");
    const alias = page.getByRole("form", { name: "New alias" });
    await alias.getByLabel("Alias").fill("team@example.com");
    await alias.getByLabel("Delivers to").fill("alice@example.com, bob@example.com");
    await alias.getByRole("button", { name: "Create alias" }).click();
    await page.getByRole("rowheader", { name: "team@example.com" }).waitFor();
    await nav(page, "Namespaces");
    await page.getByRole("button", { name: "Create namespace" }).click();
    await page.getByRole("status").getByText("Namespace created.").waitFor();
    await page.getByRole("table").getByRole("rowheader").first().waitFor();
    await nav(page, "Webhooks");
    const hook = page.getByRole("form", { name: "New webhook" });
    const hookUrl = pixelUrl.replace("/pixel.gif", "/hook");
    await hook.getByLabel("URL").fill(hookUrl);
    await hook.getByLabel("Events").fill("message.received");
    await hook.getByRole("button", { name: "Create webhook" }).click();
    await page.getByRole("status").getByText("Signing secret (shown once)").waitFor();
    const hooks = (await (await server.api("/api/v1/webhooks")).json()) as { items: Array<{ url: string }> };
    expect(hooks.items.map((h) => h.url)).toContain(hookUrl);
    // An event, delivered to the (loopback) receiver, shows in the delivery log.
    await sendMail(
      server.ports.smtp!,
      "carol@remote.example",
      ["alice@example.com"],
      "Subject: hook\r\n\r\nx\r\n",
    );
    await eventually(() => pixelHits.includes("/hook"), "the webhook to be delivered");
    await page.getByRole("button", { name: "Delivery log" }).click();
    await page.getByRole("cell", { name: "delivered" }).first().waitFor();
    await screenshot(page, "11-webhooks");
    await context.close();
  });

  test("a new password signs the account's web sessions out", async () => {
    const signIn = await fetch(`${base}ui/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ address: "bob@example.com", password: "bob-password" }),
    });
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0]!;
    const mine = `${base}api/v1/accounts/bob%40example.com/mailboxes`;
    expect((await fetch(mine, { headers: { cookie } })).status).toBe(200);
    const reset = await server.api("/api/v1/accounts/bob@example.com", {
      method: "PATCH",
      json: { password: "bob-new-password" },
    });
    expect(reset.status).toBe(200);
    expect((await fetch(mine, { headers: { cookie } })).status).toBe(401);
  });
});
