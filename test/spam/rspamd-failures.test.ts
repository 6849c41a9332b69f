/**
 * rspamd misbehaving, played by a real socket on loopback: one that accepts and never answers, one
 * that answers garbage, one whose reply never ends, and a port where nothing listens. None of them
 * holds a transaction past MAILROOM_RSPAMD_TIMEOUT; fail-open delivers on the built-in score (and
 * logs), fail-closed answers 451 4.7.1; lessons for a filter that is down wait in the queue.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server, type Socket } from "node:net";
import { captureLog } from "../abuse/helpers.ts";
import { eventually } from "../harness/eventually.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { deliver, testMessage, wordyMessage } from "./helpers.ts";

const ALICE = "alice@example.com";
type Mode = "hang" | "garbage" | "endless" | "error";
let mode: Mode = "hang";
let fake: Server;
let fakePort = 0;
const sockets = new Set<Socket>();
let server: TestServer;
let closedServer: TestServer;
const logged = captureLog();
const TIMEOUT_MS = 400;

function answer(socket: Socket): void {
  if (mode === "hang") return;
  if (mode === "garbage") {
    socket.end("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{not json!}");
    return;
  }
  if (mode === "error") {
    socket.end('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 17\r\n\r\n{"error":"oops"}\n');
    return;
  }
  // "endless": a 200 whose body keeps coming, 64 KiB at a time, up to 8 MiB (bounded: the test stops by itself).
  socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[");
  let sent = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x30);
  const more = () => {
    while (sent < 8 * 1024 * 1024 && !socket.destroyed) {
      sent += chunk.length;
      if (!socket.write(chunk)) return void socket.once("drain", more);
    }
    socket.end();
  };
  more();
}

beforeAll(async () => {
  fake = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
    let answered = false;
    socket.on("data", () => {
      if (answered) return;
      answered = true;
      answer(socket);
    });
  });
  await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", () => resolve()));
  fakePort = (fake.address() as { port: number }).port;
  server = await startTestServer(
    { rspamdUrl: `http://127.0.0.1:${fakePort}`, rspamdTimeout: TIMEOUT_MS },
    { log: logged.log },
  );
  // Port 9 (discard) has no listener here: connection refused at once.
  closedServer = await startTestServer({ rspamdUrl: "http://127.0.0.1:9", rspamdFail: "closed" });
  await createAccounts(server, [{ address: ALICE }]);
  await createAccounts(closedServer, [{ address: ALICE }]);
});

afterAll(async () => {
  await server?.close();
  await closedServer?.close();
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => fake?.close(() => resolve()));
});

async function builtinDelivery(subject: string): Promise<{ ms: number; raw: string }> {
  const start = performance.now();
  const reply = await deliver(server.ports.smtp!, { to: [ALICE], message: testMessage(subject, "hello") });
  const ms = performance.now() - start;
  expect(reply.code).toBe(250);
  const stored = (await mailboxContents(server, ALICE)).find((m) =>
    m.raw.toString().includes(`Subject: ${subject}`),
  );
  return { ms, raw: stored!.raw.toString() };
}

describe("rspamd unavailable with MAILROOM_RSPAMD_FAIL=open (the default)", () => {
  for (const [which, why] of [
    ["hang", /no reply within 400 ms/],
    ["garbage", /not JSON/],
    ["endless", /reply larger than/],
    ["error", /HTTP 500/],
  ] as const) {
    test(`rspamd that ${which === "hang" ? "never answers" : which === "garbage" ? "answers garbage" : which === "endless" ? "answers without end" : "answers 500"}: delivered on the built-in score, and logged`, async () => {
      mode = which;
      const { ms, raw } = await builtinDelivery(`fail-open ${which}`);
      // The deadline bounds the whole scan: the transaction is not held past it (plus the delivery).
      expect(ms).toBeLessThan(TIMEOUT_MS + 2_500);
      expect(raw).toContain("X-Spam-Checker: builtin\r\n");
      expect(raw).toMatch(/X-Spam-Symbols: .*RSPAMD_UNAVAILABLE/s);
      const events = logged.events("smtp.rspamd_unavailable");
      expect(String(events.at(-1)?.error)).toMatch(why);
    });
  }
});

describe("rspamd unavailable with MAILROOM_RSPAMD_FAIL=closed", () => {
  test("connection refused: 451 4.7.1 and nothing stored", async () => {
    const reply = await deliver(closedServer.ports.smtp!, {
      to: [ALICE],
      message: testMessage("closed", "hi"),
    });
    expect(reply.code).toBe(451);
    expect(reply.text).toContain("4.7.1");
    expect(await mailboxContents(closedServer, ALICE)).toEqual([]);
  });
});

describe("learning while rspamd is down", () => {
  test("a MOVE into Junk answers at once; its lesson stays queued and is retried later", async () => {
    mode = "error";
    expect(
      (await deliver(server.ports.smtp!, { to: [ALICE], message: wordyMessage("queued lesson", "x") })).code,
    ).toBe(250);
    const imap = await ImapClient.login(server.ports.imap!, ALICE);
    try {
      await imap.command("SELECT INBOX");
      const search = await imap.command('UID SEARCH SUBJECT "queued lesson"');
      const uid = search.untagged.find((u) => u.startsWith("SEARCH"))!.split(" ")[1]!;
      const start = performance.now();
      expect((await imap.command(`UID MOVE ${uid} Junk`)).status).toBe("OK");
      expect(performance.now() - start).toBeLessThan(1_000);
    } finally {
      await imap.close();
    }
    const row = await eventually(async () => {
      const rows = await server.store.execute("SELECT kind, attempts, last_error FROM spam_learns");
      return rows.length === 1 && Number(rows[0]!.attempts) >= 1 ? rows[0] : undefined;
    }, "the lesson to be tried once and put back");
    expect(row).toMatchObject({ kind: "spam" });
    expect(String(row.last_error)).toContain("HTTP 500");
  }, 30_000);
});
