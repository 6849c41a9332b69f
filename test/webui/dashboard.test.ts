/**
 * The dashboard's status panels, the DMARC reports screen and the message view's Authentication tab
 * in Chromium (issue 17), against a real server: mail over SMTP, a refused recipient, a DMARC
 * aggregate report mailed in on port 25. Screenshots go to the directory the run prints.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { dmarcReportGzip, dmarcReportMail } from "../../src/smtp/reports/dmarc-report.ts";
import { type DmarcReportInput, dmarcReportXml } from "../../src/smtp/reports/dmarc-xml.ts";
import { spamFields } from "../../src/spam/headers.ts";
import { eventually } from "../harness/eventually.ts";
import { createAccounts, startTestServer, TEST_TOKEN, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";
import { hasChromium, launchBrowser, newContext, screenshot, signInAdmin } from "./browser.ts";

setDefaultTimeout(60_000);

let server: TestServer;
let browser: Browser;
let base: string;

beforeAll(async () => {
  server = await startTestServer();
  base = `http://127.0.0.1:${server.ports.http}/`;
  await createAccounts(server, [
    { address: "alice@example.com", password: "alice-password" },
    { address: "dmarc@example.com" },
  ]);
  if (hasChromium) browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server.close();
});

const describeBrowser = hasChromium ? describe : describe.skip;

describeBrowser("dashboard, DMARC reports and authentication results in Chromium", () => {
  test("the dashboard shows the listeners, mail per hour and a refused recipient", async () => {
    for (const subject of ["Chart one", "Chart two"]) {
      const sent = await sendMail(
        server.ports.smtp!,
        "carol@remote.example",
        ["alice@example.com"],
        `From: carol@remote.example\r\nTo: alice@example.com\r\nSubject: ${subject}\r\n\r\nHi.\r\n`,
      );
      expect(sent.code).toBe(250);
    }
    const refused = await sendMail(server.ports.smtp!, "carol@remote.example", ["nobody@example.com"], "x");
    expect(refused.code).toBe(550);
    const { context, page, errors } = await newContext(browser);
    await signInAdmin(page, base, TEST_TOKEN);
    const listeners = page.getByRole("region", { name: "Listeners" });
    await listeners.getByRole("cell", { name: `127.0.0.1:${server.ports.smtp}` }).waitFor();
    await listeners.getByRole("cell", { name: `127.0.0.1:${server.ports.imaps}` }).waitFor();
    expect(await listeners.getByText("STARTTLS").count()).toBeGreaterThan(0);
    const chart = page.getByRole("img", { name: /Messages per hour over the last 24 hours/ });
    await chart.waitFor();
    // Two messages stored for alice (the refused recipient stored nothing).
    expect(await chart.getAttribute("aria-label")).toContain("2 received");
    const refusals = page.getByRole("region", { name: "Recent refusals and failed logins" });
    await refusals.getByText("RCPT 550").waitFor();
    await refusals
      .getByText(/5\.1\.1/)
      .first()
      .waitFor();
    await screenshot(page, "dashboard-01-status");
    // 48 hours: the chart is redrawn with twice the bars.
    await page.getByRole("button", { name: "48 h" }).click();
    await page.getByRole("img", { name: /over the last 48 hours/ }).waitFor();
    // A failed login shows after Refresh.
    await fetch(`${base}ui/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ address: "alice@example.com", password: "wrong" }),
    });
    await page.getByRole("button", { name: "Refresh" }).click();
    await refusals.getByText("web login as").waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "dashboard-02-phone");
    expect(errors).toEqual([]);
    await context.close();
  });

  test("the DMARC screen shows an aggregate report received on port 25, with its rows", async () => {
    const day = "2026-11-30";
    const report: DmarcReportInput = {
      day,
      policyDomain: "example.com",
      submitter: "reports.bigmailbox.example",
      contact: "postmaster@bigmailbox.example",
      rows: [
        {
          day,
          policyDomain: "example.com",
          sourceIp: "192.0.2.44",
          headerFrom: "example.com",
          envelopeFrom: "example.com",
          disposition: "none",
          dkimAligned: "pass",
          spfAligned: "fail",
          reason: "",
          authResults: {
            dkim: [{ domain: "example.com", selector: "s1", result: "pass" }],
            spf: { domain: "example.com", scope: "mfrom", result: "softfail" },
          },
          published: {
            domain: "example.com",
            adkim: "r",
            aspf: "r",
            p: "quarantine",
            sp: "quarantine",
            pct: 100,
          },
          rua: ["mailto:dmarc@example.com"],
          count: 12,
        },
      ],
    };
    const mail = dmarcReportMail({
      ...report,
      to: "dmarc@example.com",
      gzip: dmarcReportGzip(dmarcReportXml(report)),
    });
    expect((await sendMail(server.ports.smtp!, "", ["dmarc@example.com"], mail)).code).toBe(250);
    await eventually(async () => {
      const body = (await (await server.api("/api/v1/reports/dmarc")).json()) as { received: unknown[] };
      return body.received.length === 1;
    }, "the report stored");
    const { context, page, errors } = await newContext(browser);
    await signInAdmin(page, base, TEST_TOKEN);
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Reports" }).click();
    await page.getByRole("heading", { name: "TLS reports" }).waitFor();
    await page
      .getByRole("navigation", { name: "Reports" })
      .getByRole("link", { name: "DMARC reports" })
      .click();
    await page.getByRole("heading", { name: "DMARC reports" }).waitFor();
    const received = page.getByRole("region", { name: "Reports received about our domains" });
    const summary = received.getByText("reports.bigmailbox.example", { exact: true });
    await summary.waitFor();
    await received.getByText("12 messages").waitFor();
    await summary.click();
    await received.getByRole("cell", { name: "192.0.2.44" }).waitFor();
    await screenshot(page, "dmarc-01-received");
    expect(errors).toEqual([]);
    await context.close();
  });

  test("the Authentication tab shows the stored SPF, DKIM, DMARC and ARC results and the spam verdict", async () => {
    const sent = await sendMail(
      server.ports.smtp!,
      "carol@remote.example",
      ["alice@example.com"],
      "From: Carol <carol@remote.example>\r\nTo: alice@example.com\r\nSubject: Checked on arrival\r\nMessage-ID: <checked@remote.example>\r\n\r\nHi.\r\n",
    );
    expect(sent.code).toBe(250);
    // What the REST API says, to compare with what the page shows.
    const list = (await (
      await server.api("/api/v1/accounts/alice@example.com/mailboxes/INBOX/messages?q=Checked")
    ).json()) as {
      items: Array<{ id: number }>;
    };
    const id = list.items[0]!.id;
    const m = (await (await server.api(`/api/v1/accounts/alice@example.com/messages/${id}`)).json()) as {
      authentication: {
        spf: { result: string; domain: string | null };
        dmarc: { result: string } | null;
      } | null;
      spam: { action: string; score: number } | null;
    };
    expect(m.authentication).not.toBeNull();
    const { context, page, errors } = await newContext(browser);
    await signInAdmin(page, base, TEST_TOKEN);
    await page.goto(`${base}#/inbox/alice%40example.com/INBOX/${id}`);
    await page.getByRole("heading", { name: "Checked on arrival" }).waitFor();
    await page.getByRole("tab", { name: "Authentication" }).click();
    const auth = page.getByRole("region", { name: "Sender authentication" });
    const spfRow = auth.getByRole("row", { name: /SPF \(MAIL FROM\)/ });
    await spfRow.waitFor();
    expect(await spfRow.textContent()).toContain(m.authentication!.spf.result);
    expect(await spfRow.textContent()).toContain("remote.example");
    await auth.getByRole("row", { name: /^DMARC/ }).waitFor();
    await auth.getByRole("row", { name: /^ARC none/ }).waitFor();
    await auth.getByRole("row", { name: /DKIM/ }).getByText("not signed").waitFor();
    if (m.spam) {
      const spam = page.getByRole("region", { name: "Spam check" });
      await spam.getByText(m.spam.action, { exact: true }).waitFor();
      await spam.getByText(m.spam.score.toFixed(2)).waitFor();
    }
    await screenshot(page, "message-auth-01");
    expect(errors).toEqual([]);
    await context.close();
  });

  test("the Authentication tab shows a spam verdict's action, score and rules", async () => {
    // The verdict fields exactly as delivery on port 25 writes them (src/spam/headers.ts), on a
    // message stored through the REST import (which keeps the bytes as they are).
    const fields = spamFields(
      {
        checker: "rspamd",
        action: "add header",
        score: 7.4,
        required: 15,
        symbols: [
          { name: "RCVD_IN_DNSBL", score: 3.5, detail: "listed in zen.example" },
          { name: "MISSING_DATE", score: 1 },
          { name: "DKIM_ALLOW", score: -0.2 },
        ],
      },
      true,
    );
    const raw = `${fields}From: spam@remote.example\r\nTo: alice@example.com\r\nSubject: Looks like spam\r\n\r\nBuy.\r\n`;
    const stored = await server.api("/api/v1/accounts/alice@example.com/mailboxes/Junk/messages", {
      method: "POST",
      headers: { "content-type": "message/rfc822" },
      body: raw,
    });
    expect(stored.status).toBe(201);
    const { id } = (await stored.json()) as { id: number };
    const { context, page, errors } = await newContext(browser);
    await signInAdmin(page, base, TEST_TOKEN);
    await page.goto(`${base}#/inbox/alice%40example.com/Junk/${id}`);
    await page.getByRole("heading", { name: "Looks like spam" }).waitFor();
    await page.getByRole("tab", { name: "Authentication" }).click();
    const spam = page.getByRole("region", { name: "Spam check" });
    await spam.getByText("add header", { exact: true }).waitFor();
    await spam.getByText("7.40").waitFor();
    const rules = spam.getByRole("row");
    // Header row, then the rules by weight, the largest first.
    expect(await rules.nth(1).textContent()).toContain("RCVD_IN_DNSBL");
    expect(await rules.nth(1).textContent()).toContain("listed in zen.example");
    expect(await rules.nth(3).textContent()).toContain("DKIM_ALLOW");
    // Not received on port 25: no sender authentication to show, and the tab says so.
    await page.getByText("No sender authentication results.").waitFor();
    await screenshot(page, "message-auth-02-spam");
    expect(errors).toEqual([]);
    await context.close();
  });
});
