/**
 * Shared by the TLS tests: a server whose trusted network is 127.0.0.1 alone, so a client bound to
 * 127.0.0.2 counts as remote (passwords need TLS), and client TLS options that trust its certificate.
 */
import type { ConnectionOptions } from "node:tls";
import type { Config } from "../../src/config.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";

export const HOSTNAME = "mx.test.example";
/** A loopback address the servers below do not trust (only 127.0.0.1/32 is). */
export const REMOTE = "127.0.0.2";

export async function startTlsServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const server = await startTestServer({ trustedNetworks: ["127.0.0.1/32"], ...overrides });
  await createAccounts(server, [{ address: "alice@example.com" }]);
  return server;
}

/** Client options that verify the server's certificate (self-signed: it is its own CA) and host name. */
export function trusting(server: TestServer, extra: ConnectionOptions = {}): ConnectionOptions {
  return { ca: [server.tls.credentials().cert], servername: HOSTNAME, ...extra };
}
