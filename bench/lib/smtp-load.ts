/**
 * The SMTP load both ingest benches drive (smtp-ingest.ts, smtp-spam.ts): `connections` sessions
 * in parallel, each sending `perConnection` messages one after another (MAIL, RCPT to one of
 * `accountCount` users, DATA), timing each transaction and the server's CPU and peak memory.
 */
import { SmtpClient } from "../../test/harness/smtp-client.ts";
import { cpuSeconds, peakRssMb } from "./proc.ts";

export interface SmtpLoad {
  port: number;
  /** The server's pid, for its CPU time and memory. */
  pid: number;
  connections: number;
  perConnection: number;
  accountCount: number;
  message: (n: number) => string;
  ehlo: string;
  /** Connect from this address (e.g. 127.0.0.2: not a trusted network, so the port-25 checks run). */
  localAddress?: string;
}

export interface SmtpLoadResult {
  /** Milliseconds per transaction, sorted. */
  latencies: number[];
  failures: number;
  seconds: number;
  cpu: number;
  rss: number;
}

export async function runSmtpLoad(load: SmtpLoad): Promise<SmtpLoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  const cpuBefore = cpuSeconds(load.pid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: load.connections }, async (_, c) => {
      const { client } = await SmtpClient.connect(
        load.port,
        "127.0.0.1",
        load.localAddress ? { localAddress: load.localAddress } : undefined,
      );
      await client.command(`EHLO ${load.ehlo}`);
      for (let i = 0; i < load.perConnection; i++) {
        const n = c * load.perConnection + i;
        const t0 = performance.now();
        await client.command("MAIL FROM:<bench@remote.example>");
        await client.command(`RCPT TO:<user${n % load.accountCount}@example.com>`);
        const r = await client.data(load.message(n));
        latencies.push(performance.now() - t0);
        if (r.code !== 250) failures++;
      }
      await client.command("QUIT");
      await client.close();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(load.pid) - cpuBefore;
  latencies.sort((a, b) => a - b);
  return { latencies, failures, seconds, cpu, rss: peakRssMb(load.pid) };
}
