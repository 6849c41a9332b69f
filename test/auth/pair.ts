/**
 * Two Mailroom instances for the DKIM end-to-end tests, over real sockets and a real DNS server:
 * A serves a.example and routes example.org to B (a static route, like MAILROOM_ROUTES); both ask
 * Knot (test/harness/dns-server.ts), which serves a.example's zone from A's own
 * GET /api/v1/domains/a.example/dns. Plus the small clients the tests submit and wait with.
 */

import type { CheckedRecord } from "../../src/auth/dns-check.ts";
import type { Route } from "../../src/config.ts";
import { accountGet, type QueueItem, queueList } from "../../src/store/mod.ts";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";
import { zoneOf } from "./verifiers.ts";

export interface Pair {
  a: TestServer;
  b: TestServer;
  knot: TestDnsServer;
  /** Loads A's current records for a.example (GET .../dns) into Knot. */
  publish(): Promise<CheckedRecord[]>;
  close(): Promise<void>;
}

export const ALICE = { user: "alice@a.example", password: "alice-pw" };

export async function startPair(options: { dkimGrace?: number } = {}): Promise<Pair> {
  const knot = await startDnsServer([
    { origin: "a.example", records: [], negativeTtl: 0 },
    { origin: "example.org", records: [], negativeTtl: 0 },
  ]);
  const routes: Route[] = [];
  const common = { queueRetry: [200, 400], bind: "127.0.0.1", dnsServers: [knot.server] };
  const a = await startTestServer({
    ...common,
    hostname: "mx.a.example",
    domain: "a.example",
    routes,
    ...(options.dkimGrace ? { dkimGrace: options.dkimGrace } : {}),
  });
  const b = await startTestServer({ ...common, hostname: "mx.example.org", domain: "example.org" });
  routes.push({ domain: "example.org", host: "127.0.0.1", port: b.ports.smtp! });
  await createAccounts(a, [{ address: ALICE.user, password: ALICE.password }]);
  await createAccounts(b, [
    { address: "bob@example.org", password: "bob-pw" },
    { address: "carol@example.org", password: "carol-pw" },
  ]);
  const publish = async () => {
    const items = (await (await a.api("/api/v1/domains/a.example/dns")).json()) as { items: CheckedRecord[] };
    await knot.setZone(zoneOf("a.example", items.items));
    return items.items;
  };
  return {
    a,
    b,
    knot,
    publish,
    async close() {
      await Promise.all([a.close(), b.close()]);
      await knot.stop();
    },
  };
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** One submission with AUTH PLAIN on the given port (587, or 25: AUTH is optional there); the final code. */
export async function submit(
  port: number,
  login: { user: string; password: string },
  to: string[],
  message: string | Uint8Array,
): Promise<number> {
  const { client } = await SmtpClient.connect(port);
  try {
    await client.command("EHLO client.test");
    const auth = await client.command(`AUTH PLAIN ${b64(`\0${login.user}\0${login.password}`)}`);
    if (auth.code !== 235) return auth.code;
    const mail = await client.command(`MAIL FROM:<${login.user}> BODY=8BITMIME`);
    if (mail.code !== 250) return mail.code;
    for (const rcpt of to) {
      const r = await client.command(`RCPT TO:<${rcpt}>`);
      if (r.code !== 250) return r.code;
    }
    return (await client.data(message)).code;
  } finally {
    await client.command("QUIT").catch(() => undefined);
    await client.close();
  }
}

/** The first stored message of a mailbox matching `match`, waiting on the store's change events. */
export async function arrival(
  server: TestServer,
  address: string,
  match: (raw: string) => boolean,
  timeoutMs = 15_000,
): Promise<Buffer> {
  const account = await accountGet(server.store.read, address);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await mailboxContents(server, address)).find((m) => match(m.raw.toString("latin1")));
    if (found) return found.raw;
    if (Date.now() > deadline) throw new Error(`nothing matching arrived for ${address}`);
    await new Promise<void>((resolve) => {
      const stop = server.store.changes.subscribe(account.id, () => done());
      const timer = setTimeout(() => done(), 50);
      function done() {
        stop();
        clearTimeout(timer);
        resolve();
      }
    });
  }
}

/** Polls the queue (every 20 ms, hard deadline) until `check` finds what it waits for. */
export async function queueState<T>(
  server: TestServer,
  check: (items: QueueItem[]) => T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check(await queueList(server.store.read, { limit: 100 }));
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting on the queue");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The DKIM-Signature fields at the top of a message, unfolded, as tag maps. */
export function signatureTags(raw: Uint8Array): Array<Record<string, string>> {
  const text = Buffer.from(raw).toString("latin1");
  const header = text.slice(0, text.search(/\r?\n\r?\n/));
  const fields = header.split(/\r?\n(?![ \t])/).filter((f) => /^dkim-signature:/i.test(f));
  return fields.map((f) => {
    const tags: Record<string, string> = {};
    for (const part of f.slice(f.indexOf(":") + 1).split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0) tags[part.slice(0, eq).trim()] = part.slice(eq + 1).replace(/\s+/g, "");
    }
    return tags;
  });
}
