/**
 * Durable web sessions in Chromium (issue 17): a browser signed in stays signed in across a server
 * restart on the same data directory, and a new password for an account ends that account's
 * sessions (the page falls back to sign-in) while the admin's stays.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { createAccounts, startTestServer, TEST_TOKEN, type TestServer } from "../harness/server.ts";
import { hasChromium, launchBrowser, newContext, screenshot, signInAccount, signInAdmin } from "./browser.ts";

setDefaultTimeout(90_000);

let dataDir: string;
let server: TestServer;
let browser: Browser;
const baseOf = (s: TestServer) => `http://127.0.0.1:${s.ports.http}/`;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "mailroom-web-restart-"));
  server = await startTestServer({}, { dataDir });
  await createAccounts(server, [{ address: "dora@example.com", password: "dora-password" }]);
  if (hasChromium) browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const describeBrowser = hasChromium ? describe : describe.skip;

describeBrowser("durable web sessions in Chromium", () => {
  test("a signed-in browser is still signed in after the server restarts", async () => {
    const { context, page, errors } = await newContext(browser);
    await signInAdmin(page, baseOf(server), TEST_TOKEN);
    // Stopped, not closed: the data directory (and the sessions table in it) stays.
    await server.stop();
    server = await startTestServer({}, { dataDir });
    // Cookies are per host, not per port: the browser presents the same cookie to the new port.
    await page.goto(baseOf(server));
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    await screenshot(page, "sessions-01-after-restart");
    expect(await page.getByLabel("Admin token").count()).toBe(0);
    // The dashboard's event stream to the stopped server fails: that is the restart, not a fault.
    expect(errors.filter((e) => !/net::ERR_/.test(e))).toEqual([]);
    await context.close();
  });

  test("a new password ends the account's sessions; the admin's stays signed in", async () => {
    const dora = await newContext(browser);
    await signInAccount(dora.page, baseOf(server), "dora@example.com", "dora-password");
    const admin = await newContext(browser);
    await signInAdmin(admin.page, baseOf(server), TEST_TOKEN);
    const changed = await server.api("/api/v1/accounts/dora@example.com", {
      method: "PATCH",
      json: { password: "dora-new-password" },
    });
    expect(changed.status).toBe(200);
    await dora.page.reload();
    await dora.page.getByRole("button", { name: "Sign in" }).waitFor();
    await screenshot(dora.page, "sessions-02-signed-out-by-new-password");
    await admin.page.reload();
    await admin.page.getByRole("heading", { name: "Dashboard" }).waitFor();
    // The old cookie gets nothing from the API either.
    const cookie = (await dora.context.cookies()).find((c) => c.name === "mailroom_session");
    expect(cookie).toBeDefined();
    const res = await fetch(`${baseOf(server)}api/v1/accounts/dora%40example.com/mailboxes`, {
      headers: { cookie: `mailroom_session=${cookie!.value}` },
    });
    expect(res.status).toBe(401);
    await dora.context.close();
    await admin.context.close();
  });
});
