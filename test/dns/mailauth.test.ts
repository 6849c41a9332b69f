/**
 * mailauth (postalsys) on our resolver, under Bun and under Deno 2: SPF pass, fail, none and
 * temperror (RFC 7208 §2.6), DKIM verification of RSA and Ed25519 signatures made by mailauth's
 * dkimSign (RFC 6376, RFC 8463) with the keys published in a real zone, a missing key, a key lookup
 * that fails (temperror), and DMARC (RFC 7489) pass and fail. The scenario is mailauth-scenario.ts;
 * Deno runs the same file as a script.
 */
import { describe, expect, test } from "bun:test";
import { hasCommand, run } from "../harness/run.ts";
import { runMailauthScenario, type ScenarioSummary } from "./mailauth-scenario.ts";

const EXPECTED: Omit<ScenarioSummary, "header"> = {
  spfPass: "pass",
  spfFail: "fail",
  spfTemperror: "temperror",
  spfNone: "none",
  dkim: ["sender.example/ed:pass", "sender.example/rsa:pass"],
  // mailauth reports a signature whose key record does not exist as neutral ("no key").
  dkimMissingKey: "neutral,neutral",
  dkimTemperror: "temperror",
  dmarc: "pass",
  dmarcSpoofed: "fail",
};

describe("mailauth over our resolver", () => {
  test("under Bun: SPF, DKIM (RSA, Ed25519) and DMARC give the results the published records call for", async () => {
    const summary = await runMailauthScenario();
    const { header, ...results } = summary;
    expect(results).toEqual(EXPECTED);
    expect(header).toContain("Authentication-Results: mx.rcpt.example;");
    expect(header).toContain("dkim=pass header.i=@sender.example header.s=ed header.a=ed25519-sha256");
    expect(header).toContain("spf=pass");
    expect(header).toContain("dmarc=pass");
  }, 60_000);

  test("under Deno 2: the same scenario gives the same results", async () => {
    if (!(await hasCommand("deno"))) {
      console.warn("deno is not installed (npm install -g deno@2.9.6): skipped");
      return;
    }
    const result = await run(
      "deno",
      ["run", "-A", "--node-modules-dir=manual", "test/dns/mailauth-scenario.ts"],
      { timeoutMs: 90_000, env: { DENO_NO_UPDATE_CHECK: "1" } },
    );
    expect(result.stderr).not.toContain("error");
    expect(result.code).toBe(0);
    const { header, ...results } = JSON.parse(result.stdout.trim()) as ScenarioSummary;
    expect(results).toEqual(EXPECTED);
    expect(header).toContain("dkim=pass");
  }, 120_000);
});
