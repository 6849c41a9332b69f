/**
 * Never lose mail: kill -9 the server during a burst of deliveries, then check that every message
 * that got a 250 is in the database, and that the server starts again on it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import {
  accountCreate,
  accountGet,
  accountPrepare,
  contentRaw,
  domainCreate,
  mailboxGet,
  messagesOfMailbox,
  Store,
} from "../../src/store/mod.ts";
import { startChildServer } from "../harness/child-server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";

let dir: string;
let url: string;
const env = () => ({
  MAILROOM_DATA_DIR: dir,
  MAILROOM_DOMAIN: "example.com",
  MAILROOM_HOSTNAME: "mx.test.example",
  MAILROOM_ADMIN_TOKEN: "crash-test-token-0123456789",
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-crash-"));
  url = `file:${join(dir, "mailroom.db")}`;
  const store = await Store.open(url, embeddedMigrations);
  const prepared = await accountPrepare({ address: "victim@example.com", password: "pw" });
  await store.write(async (w) => {
    await domainCreate(w, "example.com");
    return accountCreate(w, prepared);
  });
  await store.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Sends messages on one connection until stopped; returns the subjects that got a 250. */
interface BurstState {
  acked: Set<string>;
  stop: boolean;
  /** Called after every acknowledged message. */
  onAck: () => void;
}

async function sender(port: number, id: number, state: BurstState): Promise<void> {
  let client: SmtpClient;
  try {
    ({ client } = await SmtpClient.connect(port));
    await client.command("EHLO burst.test");
  } catch {
    return;
  }
  for (let n = 0; !state.stop; n++) {
    const subject = `crash-${id}-${n}`;
    try {
      if ((await client.command("MAIL FROM:<burst@remote.example>")).code !== 250) return;
      if ((await client.command("RCPT TO:<victim@example.com>")).code !== 250) return;
      const r = await client.data(`Subject: ${subject}\r\n\r\n${"payload ".repeat(100)}\r\n`);
      if (r.code === 250) {
        state.acked.add(subject);
        state.onAck();
      }
    } catch {
      return; // the server died mid-transaction: this one was never acknowledged
    }
  }
}

test("kill -9 during a burst of deliveries loses no message that got a 250", async () => {
  const child = await startChildServer({ env: env() });
  // Kill once a good number of messages were acknowledged, while the senders are still going.
  let reached: () => void = () => {};
  const enough = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const state: BurstState = {
    acked: new Set(),
    stop: false,
    onAck: () => state.acked.size >= 300 && reached(),
  };
  const senders = Array.from({ length: 10 }, (_, i) => sender(child.smtpPort, i, state));
  await enough;
  child.process.kill("SIGKILL");
  await child.exited;
  state.stop = true;
  await Promise.all(senders);
  const acked = new Set(state.acked);
  expect(acked.size).toBeGreaterThanOrEqual(300);

  const store = await Store.open(url, embeddedMigrations);
  try {
    expect((await store.execute("PRAGMA integrity_check"))[0]!.integrity_check).toBe("ok");
    const account = await accountGet(store.read, "victim@example.com");
    const inbox = await mailboxGet(store.read, account.id, "INBOX");
    const stored = new Set<string>();
    for (const m of await messagesOfMailbox(store.read, inbox.id)) {
      const raw = Buffer.from((await contentRaw(store.read, m.contentId))!).toString("latin1");
      const subject = /\r\nSubject: (crash-\d+-\d+)\r\n/.exec(raw)?.[1];
      if (subject) stored.add(subject);
    }
    const lost = [...acked].filter((s) => !stored.has(s));
    expect(lost).toEqual([]);
  } finally {
    await store.close();
  }

  // The server starts again on the crashed database, and SIGTERM stops it cleanly.
  const again = await startChildServer({ env: env() });
  const health = await fetch(`http://127.0.0.1:${again.httpPort}/healthz`);
  expect(await health.json()).toEqual({ status: "ok" });
  again.process.kill("SIGTERM");
  expect(await again.exited).toBe(0);
});
