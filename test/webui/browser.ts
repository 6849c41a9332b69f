/**
 * A real browser for the web interface tests (issue 17): Debian's headless Chromium (installed by
 * .ci/run) driven by playwright-core over CDP; no browser is downloaded. Screenshots go to a temp
 * dir (printed once) so a person can look at what the tests saw.
 */
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.MAILROOM_TEST_CHROMIUM ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

let shots: string | undefined;
/** The screenshot directory of this test run. */
export function screenshotDir(): string {
  if (!shots) {
    shots = process.env.MAILROOM_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), "mailroom-shots-"));
    mkdirSync(shots, { recursive: true });
    console.log(`web interface screenshots: ${shots}`);
  }
  return shots;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshotDir(), `${name}.png`), fullPage: false });
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The CI container runs as root, where Chromium's sandbox cannot start.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

/** A fresh browser profile (no cookies) that records console errors and page errors. */
export async function newContext(
  browser: Browser,
  options: { width?: number; height?: number; colorScheme?: "light" | "dark" } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    colorScheme: options.colorScheme ?? "light",
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  return { context, page, errors };
}

/** Signs in on the page with the admin token. */
export async function signInAdmin(page: Page, base: string, token: string): Promise<void> {
  await page.goto(base);
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
}

/** Signs in on the page as an account. */
export async function signInAccount(
  page: Page,
  base: string,
  address: string,
  password: string,
): Promise<void> {
  await page.goto(base);
  await page.getByRole("tab", { name: "Account" }).click();
  await page.getByLabel("Address").fill(address);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "INBOX" }).waitFor();
}
