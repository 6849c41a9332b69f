/**
 * SIGTERM as an operator sends it: idle SMTP, POP3 and IMAP sessions are told at once (421, -ERR,
 * BYE) instead of being waited for, a message in the middle of DATA is still accepted and stored,
 * and the process exits as soon as that is done. The WAL is checkpointed on the way out.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChildServer } from "../harness/child-server.ts";
import { eventually } from "../harness/eventually.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { SmtpClient } from "../harness/smtp-client.ts";

const TOKEN = "shutdown-test-token-0123456789";
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function server() {
  const dataDir = mkdtempSync(join(tmpdir(), "mailroom-stop-"));
  dirs.push(dataDir);
  const child = await startChildServer({
    env: {
      MAILROOM_DATA_DIR: dataDir,
      MAILROOM_DOMAIN: "example.com",
      MAILROOM_HOSTNAME: "mx.example.com",
      MAILROOM_ADMIN_TOKEN: TOKEN,
      MAILROOM_POP3_PORT: "0",
      MAILROOM_IMAP_PORT: "0",
    },
  });
  const created = await fetch(`http://127.0.0.1:${child.httpPort}/api/v1/accounts`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ address: "user@example.com", password: "secret" }),
  });
  expect(created.status).toBe(201);
  return { child, dataDir };
}

/** Resolves once the port refuses connections: the server has stopped accepting. */
async function refused(port: number): Promise<void> {
  await eventually(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, "127.0.0.1");
        socket.once("connect", () => {
          socket.destroy();
          resolve(false);
        });
        socket.once("error", () => resolve(true));
      }),
    `port ${port} refusing connections`,
  );
}

describe("SIGTERM", () => {
  test("idle SMTP, POP3 and IMAP sessions get 421, -ERR and BYE at once, and the process exits without waiting for them", async () => {
    const { child, dataDir } = await server();
    const { client: smtp } = await SmtpClient.connect(child.smtpPort);
    expect((await smtp.command("EHLO client.test")).code).toBe(250);
    const pop3 = await Pop3Client.login(child.pop3Port!, "user@example.com");
    const imap = await ImapClient.login(child.imapPort, "user@example.com");
    expect((await imap.command("SELECT INBOX")).status).toBe("OK");

    const started = performance.now();
    child.process.kill("SIGTERM");
    const [smtpLine, pop3Line, imapLine] = await Promise.all([
      smtp.read(),
      pop3.read(),
      imap.readResponseLine(),
    ]);
    expect(smtpLine.code).toBe(421);
    expect(pop3Line.line).toMatch(/^-ERR \[SYS\/TEMP\]/);
    expect(imapLine).toMatch(/^\* BYE/);
    expect(await child.exited).toBe(0);
    const seconds = (performance.now() - started) / 1000;
    console.log(`SIGTERM with three idle sessions: exited after ${seconds.toFixed(2)} s`);
    // smtp-server alone waited its whole 10 s close timeout for the idle SMTP session.
    expect(seconds).toBeLessThan(5);
    const wal = join(dataDir, "mailroom.db-wal");
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
  }, 30_000);

  test("a message in the middle of DATA when SIGTERM arrives is accepted, stored, and then the server exits", async () => {
    const { child, dataDir } = await server();
    const { client } = await SmtpClient.connect(child.smtpPort);
    await client.command("EHLO client.test");
    expect((await client.command("MAIL FROM:<sender@remote.test>")).code).toBe(250);
    expect((await client.command("RCPT TO:<user@example.com>")).code).toBe(250);
    expect((await client.command("DATA")).code).toBe(354);
    client.write("Subject: in flight\r\n\r\nfirst half of the body\r\n");
    child.process.kill("SIGTERM");
    await refused(child.smtpPort);
    client.write("second half\r\n.\r\n");
    const accepted = await client.read();
    expect(accepted.code).toBe(250);
    // The next command is refused: the server is closing.
    expect((await client.command("MAIL FROM:<sender@remote.test>")).code).toBe(421);
    expect(await child.exited).toBe(0);

    const restarted = await startChildServer({
      env: { MAILROOM_DATA_DIR: dataDir, MAILROOM_DOMAIN: "example.com", MAILROOM_ADMIN_TOKEN: TOKEN },
    });
    try {
      const r = await fetch(
        `http://127.0.0.1:${restarted.httpPort}/api/v1/accounts/user@example.com/mailboxes/INBOX/messages`,
        {
          headers: { authorization: `Bearer ${TOKEN}` },
        },
      );
      const body = (await r.json()) as {
        messages?: Array<{ subject: string }>;
        items?: Array<{ subject: string }>;
      };
      const list = body.messages ?? body.items ?? [];
      expect(list.map((m) => m.subject)).toContain("in flight");
    } finally {
      restarted.process.kill("SIGTERM");
      await restarted.exited;
    }
  }, 30_000);
});
