/**
 * The inbound checks under Bun and under Deno 2: the same scenario (authentication-scenario.ts) run
 * in-process and as a Deno script must give the same results: SPF pass for both identities, both
 * DKIM signatures (RSA, Ed25519) and DMARC pass, a spoof refused with 550 5.7.1, the forged field
 * removed, and a gzipped DMARC report parsed.
 */
import { describe, expect, test } from "bun:test";
import { hasCommand, run } from "../harness/run.ts";
import { type AuthScenarioSummary, runAuthScenario } from "./authentication-scenario.ts";

const EXPECTED: Omit<AuthScenarioSummary, "field"> = {
  spf: "pass",
  helo: "pass",
  dkim: ["rsa:pass", "ed:pass"],
  dmarc: "pass",
  spoofVerdict: "5.7.1 Message rejected: DMARC policy of sender.example (reject)",
  forgedRemoved: 1,
  report: "dmarc:mx.sender.example",
};

describe("inbound checks on both runtimes", () => {
  test("under Bun: SPF, DKIM, DMARC, the verdict and a report give the expected results", async () => {
    const { field, ...results } = await runAuthScenario();
    expect(results).toEqual(EXPECTED);
    expect(field).toStartWith("Authentication-Results: mx.rcpt.example;\r\n\tdkim=pass");
  }, 60_000);

  test("under Deno 2: the same scenario gives the same results", async () => {
    if (!(await hasCommand("deno"))) {
      console.warn("deno is not installed (npm install -g deno@2.9.6): skipped");
      return;
    }
    const result = await run(
      "deno",
      ["run", "-A", "--node-modules-dir=manual", "test/smtp/authentication-scenario.ts"],
      { timeoutMs: 90_000, env: { DENO_NO_UPDATE_CHECK: "1" } },
    );
    expect(result.stderr).not.toContain("error");
    expect(result.code).toBe(0);
    const { field, ...results } = JSON.parse(result.stdout.trim()) as AuthScenarioSummary;
    expect(results).toEqual(EXPECTED);
    expect(field).toContain("dmarc=pass");
  }, 120_000);
});
