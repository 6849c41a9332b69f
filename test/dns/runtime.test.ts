/**
 * The resolver's sockets under both runtimes Mailroom supports: node:dgram and node:net are Bun's
 * and Deno's own implementations, so UDP (IPv4, IPv6), the TCP fallback and timeouts are checked
 * on each (wire-scenario.ts, in-process under Bun and as a script under Deno 2).
 */
import { describe, expect, test } from "bun:test";
import { hasCommand, run } from "../harness/run.ts";
import { runWireScenario, type WireSummary } from "./wire-scenario.ts";

const EXPECTED: WireSummary = {
  udp4: "192.0.2.1",
  udp6: "2001:db8::6",
  tcpFallbackRecords: 24,
  // One question over UDP (answered truncated), the same again over TCP.
  tcpFallbackProtocols: { udp4: 1, tcp4: 1 },
  silent: "temperror:timeout",
  silentWithinBound: true,
};

describe("the resolver's transport", () => {
  test("under Bun: UDP over IPv4 and IPv6, TCP after truncation, a bounded timeout", async () => {
    expect(await runWireScenario()).toEqual(EXPECTED);
  }, 30_000);

  test("under Deno 2: the same", async () => {
    if (!(await hasCommand("deno"))) {
      console.warn("deno is not installed (npm install -g deno@2.9.6): skipped");
      return;
    }
    const result = await run(
      "deno",
      ["run", "-A", "--node-modules-dir=manual", "test/dns/wire-scenario.ts"],
      {
        timeoutMs: 90_000,
        env: { DENO_NO_UPDATE_CHECK: "1" },
      },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toEqual(EXPECTED);
  }, 120_000);
});
