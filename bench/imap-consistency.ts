/**
 * IMAP consistency soak: N sessions on two mailboxes of one account issue random STORE / COPY /
 * MOVE / EXPUNGE / APPEND / FETCH / SEARCH / NOOP commands for a while, every reply checked against a
 * model of what that client was told (test/harness/imap-consistency.ts: sequence numbers, EXPUNGE
 * rules, keywords announced before use, MODSEQ never going back, \Recent in exactly one session,
 * and every client agreeing with a fresh view at the end). The server runs as its own process on a
 * fresh database. Prints one JSON line; exits 1 on any violation (its seed replays it, with the
 * same --sessions).
 *
 *   bun bench/imap-consistency.ts [--seconds 30] [--sessions 10] [--seed n]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startChildServer } from "../test/harness/child-server.ts";
import { ImapClient } from "../test/harness/imap-client.ts";
import { runConsistency } from "../test/harness/imap-consistency.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "30" },
    sessions: { type: "string", default: "10" },
    seed: { type: "string", default: String(Date.now() % 2 ** 31) },
  },
});
const seconds = Number(values.seconds);
const sessionCount = Math.max(2, Number(values.sessions));
const seed = Number(values.seed);

const dir = mkdtempSync(join(tmpdir(), "mailroom-bench-consistency-"));
const token = "bench-admin-token-0123456789";
const server = await startChildServer({
  env: {
    MAILROOM_DATA_DIR: dir,
    MAILROOM_DOMAIN: "example.com",
    MAILROOM_IMAP_PORT: "0",
    MAILROOM_ADMIN_TOKEN: token,
    MAILROOM_LOG_LEVEL: "warn",
  },
});
try {
  const address = "soak@example.com";
  const created = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/accounts`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ address, password: "pw" }),
  });
  if (created.status !== 201) throw new Error(`account: ${created.status} ${await created.text()}`);
  const setup = await ImapClient.login(server.imapPort, address, "pw");
  await setup.command("CREATE Other");
  for (let i = 0; i < 50; i++) await setup.append("INBOX", `Subject: seed ${i}\r\n\r\nbody ${i}\r\n`);
  await setup.close();

  // Most sessions on INBOX, a quarter on Other; every other one with CONDSTORE.
  const sessions = Array.from({ length: sessionCount }, (_, i) => ({
    mailbox: i % 4 === 3 ? "Other" : "INBOX",
    condstore: i % 2 === 1,
  }));
  const started = performance.now();
  const report = await runConsistency({
    port: server.imapPort,
    address,
    password: "pw",
    seed,
    sessions,
    durationMs: seconds * 1000,
  });
  const elapsed = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({
      seed,
      sessions: sessionCount,
      seconds: Math.round(elapsed),
      commands: report.commands,
      commandsPerSecond: Math.round(report.commands / elapsed),
      byKind: report.byKind,
      violations: report.violations.length,
      firstViolations: report.violations.slice(0, 10),
    }),
  );
  process.exitCode = report.violations.length > 0 ? 1 : 0;
} finally {
  server.process.kill();
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
}
