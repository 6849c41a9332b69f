/**
 * The resolver's transport on the runtime that runs this file: UDP to IPv4 and IPv6 loopback, the
 * TCP fallback for a truncated answer (RFC 7766 §5), and a timeout against a socket that never
 * answers. Run in-process by runtime.test.ts under Bun, and as a script under Deno
 * (`deno run -A --node-modules-dir=manual test/dns/wire-scenario.ts` prints the summary as JSON),
 * because node:dgram and node:net are the runtimes' own implementations, not Node's.
 */
import { encode } from "dns-packet";
import { DnsResolver } from "../../src/dns/mod.ts";
import { startScriptedDnsServer } from "../harness/dns-scripted.ts";
import { startDnsServer } from "../harness/dns-server.ts";

export interface WireSummary {
  udp4: string;
  udp6: string;
  tcpFallbackRecords: number;
  tcpFallbackProtocols: Record<string, number>;
  silent: string;
  silentWithinBound: boolean;
}

export async function runWireScenario(): Promise<WireSummary> {
  const big = Array.from({ length: 24 }, (_, i) => `${String(i).padStart(2, "0")}-${"y".repeat(150)}`);
  const knot = await startDnsServer([
    {
      origin: "wire.example",
      records: [
        { name: "@", type: "A", value: "192.0.2.1" },
        ...big.map((value) => ({ name: "big", type: "TXT", value })),
      ],
    },
  ]);
  const v6 = await startScriptedDnsServer(
    (q) =>
      encode({
        type: "response",
        id: q.id,
        flags: 0x0100 | 0x0080,
        questions: q.questions,
        answers: [{ type: "AAAA", name: q.questions![0]!.name, ttl: 60, data: "2001:db8::6" }],
      }),
    undefined,
    "::1",
  );
  const silent = await startScriptedDnsServer(() => null);
  const dns = new DnsResolver({ servers: [knot.server], timeoutMs: 1_000 });
  const dns6 = new DnsResolver({ servers: [v6.server], timeoutMs: 1_000 });
  const deaf = new DnsResolver({ servers: [silent.server], timeoutMs: 200, rounds: 2 });
  try {
    const a = await dns.a("wire.example");
    const aaaa = await dns6.aaaa("six.example");
    const before = await knot.protocolCounts();
    const txt = await dns.txt("big.wire.example");
    const after = await knot.protocolCounts();
    const started = performance.now();
    const timeout = await deaf.a("nobody.example");
    const elapsed = performance.now() - started;
    return {
      udp4: a.kind === "ok" ? a.records.join(",") : a.kind,
      udp6: aaaa.kind === "ok" ? aaaa.records.join(",") : aaaa.kind,
      tcpFallbackRecords:
        txt.kind === "ok" && [...txt.records].sort().join() === big.join() ? txt.records.length : -1,
      tcpFallbackProtocols: Object.fromEntries(
        Object.entries(after)
          .map(([k, v]) => [k, v - (before[k] ?? 0)])
          .filter(([, v]) => v !== 0),
      ),
      silent: timeout.kind === "temperror" ? `temperror:${timeout.cause}` : timeout.kind,
      silentWithinBound: elapsed >= 380 && elapsed < 2_000,
    };
  } finally {
    dns.close();
    dns6.close();
    deaf.close();
    await Promise.all([knot.stop(), v6.stop(), silent.stop()]);
  }
}

if (import.meta.main) {
  process.stdout.write(`${JSON.stringify(await runWireScenario())}\n`);
}
