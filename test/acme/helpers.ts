/**
 * Shared by the ACME tests: the test DNS (Knot) that resolves our names for pebble, a server with
 * automatic certificates against a pebble, a log that keeps its JSON lines, waiting for the
 * certificate manager's next attempt, and what a TLS listener presents.
 */
import { connect, type PeerCertificate } from "node:tls";
import type { AttemptOutcome } from "../../src/acme/mod.ts";
import type { Config } from "../../src/config.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import { startDnsServer, type TestDnsServer, type Zone } from "../harness/dns-server.ts";
import { freePort, startPebble, type TestPebble } from "../harness/pebble.ts";
import { startTestServer, type TestServer, type TestServerOptions } from "../harness/server.ts";

export const HOSTNAME = "mx.test.example";
export const PEBBLE_HOST = "acme.test.example";

/** Zones where every name of ours (and pebble's) is 127.0.0.1. */
export function zones(extra: Zone[] = []): Zone[] {
  return [
    {
      origin: "test.example",
      records: [
        { name: "mx", type: "A", value: "127.0.0.1" },
        { name: "acme", type: "A", value: "127.0.0.1" },
      ],
    },
    {
      origin: "example.com",
      records: [
        { name: "mta-sts", type: "A", value: "127.0.0.1" },
        { name: "autoconfig", type: "A", value: "127.0.0.1" },
      ],
    },
    ...extra,
  ];
}

export interface AcmeSetup {
  dns: TestDnsServer;
  pebble: TestPebble;
  httpPort: number;
  tlsPort: number;
  stop(): Promise<void>;
}

export async function startAcmeSetup(
  options: { extraZones?: Zone[]; validitySeconds?: number } = {},
): Promise<AcmeSetup> {
  const dns = await startDnsServer(zones(options.extraZones));
  const httpPort = await freePort();
  const tlsPort = await freePort();
  const pebble = await startPebble({
    dns: dns.server,
    httpPort,
    tlsPort,
    hostname: PEBBLE_HOST,
    ...(options.validitySeconds ? { validitySeconds: options.validitySeconds } : {}),
  });
  return {
    dns,
    pebble,
    httpPort,
    tlsPort,
    async stop() {
      await pebble.stop();
      await dns.stop();
    },
  };
}

/** A log whose records a test can read. */
export function recordingLog(): { log: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level: "info",
    pretty: false,
    write: (line) => records.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { log, records };
}

/** A server with automatic certificates from the setup's pebble, answering on the given challenge. */
export function startAcmeServer(
  setup: AcmeSetup,
  challenge: "tls-alpn-01" | "http-01",
  overrides: Partial<Config> = {},
  options: TestServerOptions = {},
): Promise<TestServer> {
  return startTestServer(
    {
      hostname: HOSTNAME,
      dnsServers: [setup.dns.server],
      acmeDirectory: setup.pebble.directory,
      acmeCaFile: setup.pebble.caFile,
      acmeEmail: "postmaster@example.com",
      publicHttpsPort: challenge === "tls-alpn-01" ? setup.tlsPort : null,
      publicHttpPort: challenge === "http-01" ? setup.httpPort : null,
      ...overrides,
    },
    { acmeTimings: { retryFirstMs: 500, domainSettleMs: 50 }, ...options },
  );
}

/** The manager's next attempt (issued or failed), or the certificate it already has. */
export function nextAttempt(
  server: TestServer,
  options: { timeoutMs?: number } = {},
): Promise<AttemptOutcome> {
  const manager = server.certificates!;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ACME attempt within ${options.timeoutMs ?? 30_000} ms`)),
      options.timeoutMs ?? 30_000,
    );
    const stop = manager.onAttempt((outcome) => {
      clearTimeout(timer);
      stop();
      resolve(outcome);
    });
  });
}

/** The first certificate issued: the one the manager has, or the next one it gets. */
export async function firstCertificate(server: TestServer): Promise<void> {
  if (server.certificates!.status().certificate) return;
  const outcome = await nextAttempt(server);
  if (outcome.kind !== "issued") throw new Error(`first issuance failed: ${outcome.error}`);
}

/** What a TLS listener presents to a client that names `servername`, verified against `ca`. */
export function presented(
  port: number,
  servername: string,
  ca: string,
  alpn?: string[],
): Promise<{ cert: PeerCertificate; authorized: boolean; error?: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: "127.0.0.1",
        port,
        servername,
        ca,
        rejectUnauthorized: false,
        ...(alpn ? { ALPNProtocols: alpn } : {}),
      },
      () => {
        const result = {
          cert: socket.getPeerCertificate(),
          authorized: socket.authorized,
          ...(socket.authorizationError ? { error: String(socket.authorizationError) } : {}),
        };
        socket.end();
        resolve(result);
      },
    );
    socket.once("error", reject);
  });
}
