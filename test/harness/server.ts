/**
 * Starts a real Mailroom in-process on ephemeral ports with a fresh libSQL database in a temp dir.
 * Tests talk to it over real sockets (SMTP) and real HTTP (the admin API).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Config, loadConfig } from "../../src/config.ts";
import { type Logger, silentLogger } from "../../src/log.ts";
import { type RunningServer, type ServerParts, startServer } from "../../src/main.ts";
import { bunRuntime } from "../../src/runtime/bun.ts";
import {
  accountCreate,
  accountGet,
  accountPrepare,
  contentRaw,
  domainCreate,
  mailboxGet,
  messagesOfMailbox,
} from "../../src/store/mod.ts";

export const TEST_TOKEN = "test-admin-token-0123456789";

export interface TestServer extends RunningServer {
  dataDir: string;
  /** fetch() against the admin API with the admin token. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Stops the server and removes its data directory. */
  close(): Promise<void>;
}

export interface TestServerOptions extends ServerParts {
  /** Reuse this data directory (e.g. to restart on the same database) instead of a fresh one. */
  dataDir?: string;
  /** Log here instead of nowhere (a test that checks what is logged). */
  log?: Logger;
}

export async function startTestServer(
  overrides: Partial<Config> = {},
  options: TestServerOptions = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "mailroom-test-"));
  const base = loadConfig(new Map(), {
    MAILROOM_DATA_DIR: dataDir,
    MAILROOM_HOSTNAME: "mx.test.example",
    MAILROOM_DOMAIN: "example.com",
    MAILROOM_BIND: "127.0.0.1",
    MAILROOM_SMTP_PORT: "0",
    MAILROOM_SUBMISSION_PORT: "0",
    MAILROOM_POP3_PORT: "0",
    MAILROOM_IMAP_PORT: "0",
    MAILROOM_POP3S_PORT: "0",
    MAILROOM_IMAPS_PORT: "0",
    MAILROOM_SMTPS_PORT: "0",
    MAILROOM_HTTP_PORT: "0",
    MAILROOM_PUBLIC_HTTP_PORT: "0",
    MAILROOM_PUBLIC_HTTPS_PORT: "0",
    MAILROOM_ADMIN_TOKEN: TEST_TOKEN,
    // Tests never ask the machine's resolver: a loopback port where nothing listens (lookups fail
    // at once with temperror). Tests that need DNS start a server (dns-server.ts) and pass dnsServers.
    MAILROOM_DNS_SERVERS: "127.0.0.1:9",
  });
  const server = await startServer(bunRuntime, { ...base, ...overrides }, options.log ?? silentLogger, {
    authFailures: options.authFailures,
    acmeTimings: options.acmeTimings,
  });
  const baseUrl = `http://127.0.0.1:${server.ports.http}`;
  return {
    ...server,
    dataDir,
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${TEST_TOKEN}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set("content-type", "application/json");
        body = JSON.stringify(init.json);
      }
      return fetch(`${baseUrl}${path}`, { ...init, headers, body });
    },
    async close() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates accounts (and their domains) directly in the store; throws on failure. */
export async function createAccounts(
  server: TestServer,
  accounts: Array<{ address: string; password?: string; quota?: number }>,
): Promise<void> {
  for (const a of accounts) {
    const prepared = await accountPrepare({ password: "secret", ...a });
    await server.store.write(async (w) => {
      await domainCreate(w, prepared.domain, { ifMissing: true });
      return accountCreate(w, prepared);
    });
  }
}

/** The stored messages of a mailbox with their exact bytes, read through the store. */
export async function mailboxContents(
  server: TestServer,
  address: string,
  mailbox = "INBOX",
): Promise<Array<{ uid: number; raw: Buffer; contentId: number; flags: number }>> {
  const account = await accountGet(server.store.read, address);
  const box = await mailboxGet(server.store.read, account.id, mailbox);
  const messages = await messagesOfMailbox(server.store.read, box.id);
  const out = [];
  for (const m of messages) {
    const raw = await contentRaw(server.store.read, m.contentId);
    out.push({ uid: m.uid, raw: Buffer.from(raw!), contentId: m.contentId, flags: m.flags });
  }
  return out;
}
