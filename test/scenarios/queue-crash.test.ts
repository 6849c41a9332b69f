/**
 * Never lose outgoing mail: kill -9 the server while submitted messages for a remote domain are
 * being queued and relayed, start it again on the same database, and every message that got a 250
 * reaches the remote server.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import { accountCreate, accountPrepare, domainCreate, Store } from "../../src/store/mod.ts";
import { startChildServer } from "../harness/child-server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";
import { type Peer, startPeer } from "../smtp/peer.ts";

let dir: string;
let peer: Peer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-queue-crash-"));
  const store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
  const prepared = await accountPrepare({ address: "sender@example.com", password: "pw" });
  await store.write(async (w) => {
    await domainCreate(w, "example.com");
    return accountCreate(w, prepared);
  });
  await store.close();
  // A slow remote server, so that deliveries are still queued or in flight when the kill comes.
  peer = await startPeer({ dataDelayMs: 20 });
});

afterAll(async () => {
  await peer.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({
  MAILROOM_DATA_DIR: dir,
  MAILROOM_DOMAIN: "example.com",
  MAILROOM_HOSTNAME: "mx.test.example",
  MAILROOM_SUBMISSION_PORT: "0",
  MAILROOM_ADMIN_TOKEN: "queue-crash-token-0123456789",
  MAILROOM_ROUTES: `remote.example=127.0.0.1:${peer.port}`,
  MAILROOM_QUEUE_RETRY: "1s",
});

interface Burst {
  acked: Set<string>;
  stop: boolean;
  onAck(): void;
}

async function submitter(port: number, id: number, burst: Burst): Promise<void> {
  let client: SmtpClient;
  try {
    ({ client } = await SmtpClient.connect(port));
    await client.command("EHLO burst.test");
    const auth = await client.command(
      `AUTH PLAIN ${Buffer.from("\u0000sender@example.com\u0000pw").toString("base64")}`,
    );
    if (auth.code !== 235) return;
  } catch {
    return;
  }
  for (let n = 0; !burst.stop; n++) {
    const subject = `queued-${id}-${n}`;
    try {
      if ((await client.command("MAIL FROM:<sender@example.com>")).code !== 250) return;
      if ((await client.command(`RCPT TO:<user${n % 3}@remote.example>`)).code !== 250) return;
      const r = await client.data(`From: sender@example.com\r\nSubject: ${subject}\r\n\r\nhello\r\n`);
      if (r.code === 250) {
        burst.acked.add(subject);
        burst.onAck();
      }
    } catch {
      return; // killed mid-transaction: never acknowledged
    }
  }
}

test("kill -9 while submitted mail is queued and relayed: every acknowledged message reaches the remote server", async () => {
  const first = await startChildServer({ env: env() });
  let enough: () => void = () => {};
  const reached = new Promise<void>((resolve) => {
    enough = resolve;
  });
  const burst: Burst = { acked: new Set(), stop: false, onAck: () => burst.acked.size >= 150 && enough() };
  const submitters = Array.from({ length: 5 }, (_, i) => submitter(first.submissionPort, i, burst));
  await reached;
  first.process.kill("SIGKILL");
  await first.exited;
  burst.stop = true;
  await Promise.all(submitters);
  const acked = new Set(burst.acked);
  expect(acked.size).toBeGreaterThanOrEqual(150);

  // Restarted on the same database, the queue runner finishes what the dead one left.
  const second = await startChildServer({ env: env() });
  try {
    const arrived = new Set<string>();
    for (const m of peer.messages)
      arrived.add(/\r\nSubject: (queued-\d+-\d+)\r\n/.exec(m.raw.toString("latin1"))?.[1] ?? "");
    const deadline = Date.now() + 60_000;
    while ([...acked].some((s) => !arrived.has(s))) {
      const next = await Promise.race([
        peer.next(),
        new Promise<null>((r) => setTimeout(() => r(null), Math.max(0, deadline - Date.now()))),
      ]);
      if (next === null) break;
      arrived.add(/\r\nSubject: (queued-\d+-\d+)\r\n/.exec(next.raw.toString("latin1"))?.[1] ?? "");
    }
    expect([...acked].filter((s) => !arrived.has(s))).toEqual([]);
  } finally {
    second.process.kill("SIGTERM");
    await second.exited;
  }
});
