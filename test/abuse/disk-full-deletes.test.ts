/**
 * On a full disk (a 16 MB tmpfs holding the data directory, filled to the last block), deleting
 * still works, because deleting is how space is freed: REST DELETE, IMAP STORE \Deleted + EXPUNGE,
 * POP3 DELE + QUIT, and a non-PEEK FETCH BODY[] is answered. The disk reserve (store/space.ts) is
 * what makes room for it; new mail meanwhile gets 452 4.3.1 / NO [OVERQUOTA], nothing acknowledged is
 * lost, and delivery resumes once space returns. Needs root (mount); skipped otherwise.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ImapClient } from "../harness/imap-client.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";

function mountTmpfs(): string | undefined {
  if (process.platform !== "linux" || process.getuid?.() !== 0) {
    console.warn("disk-full-deletes.test.ts: not root on Linux, skipping (it mounts a tmpfs)");
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), "mailroom-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", dir], { stdio: "pipe" });
    return dir;
  } catch (error) {
    console.warn(`disk-full-deletes.test.ts: cannot mount a tmpfs (${(error as Error).message}), skipping`);
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

function fillUp(path: string): void {
  const chunk = Buffer.alloc(4096, 2);
  for (;;) {
    try {
      appendFileSync(path, chunk);
    } catch (error) {
      if ((error as { code?: string }).code === "ENOSPC") return;
      throw error;
    }
  }
}

function message(subject: string, kb: number): string {
  return `From: s@remote.example\r\nTo: full@example.com\r\nSubject: ${subject}\r\n\r\n${`${"z".repeat(1022)}\r\n`.repeat(kb)}end of ${subject}\r\n`;
}

const mount = mountTmpfs();

describe.skipIf(mount === undefined)("deleting on a full disk", () => {
  let server: TestServer;
  const filler = join(mount ?? "/nonexistent", "filler");
  const address = "full@example.com";

  beforeAll(async () => {
    server = await startTestServer({ maxMessageSize: 1 << 20 }, { dataDir: join(mount!, "data") });
    await createAccounts(server, [{ address }]);
  });

  afterAll(async () => {
    await server?.close();
    execFileSync("umount", ["-l", mount!]);
    rmSync(mount!, { recursive: true, force: true });
  });

  test("REST DELETE, EXPUNGE, POP3 QUIT and FETCH BODY[] work; new mail gets 452 4.3.1 and NO [OVERQUOTA]; delivery resumes after", async () => {
    const acknowledged: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await sendMail(server.ports.smtp!, "s@remote.example", [address], message(`m${i}`, 40));
      expect(r.code).toBe(250);
      acknowledged.push(`m${i}`);
    }
    expect(existsSync(join(mount!, "data", "mailroom.db.reserve"))).toBe(true);
    fillUp(filler);

    // New mail: refused as a temporary condition, nothing partial kept.
    const refused = await sendMail(server.ports.smtp!, "s@remote.example", [address], message("refused", 40));
    expect(refused.code).toBe(452);
    expect(refused.text).toContain("4.3.1");

    // REST DELETE frees a message.
    const account = (await (
      await server.api(`/api/v1/accounts/${address}/mailboxes/INBOX/messages`)
    ).json()) as {
      items: Array<{ id: number; subject: string }>;
    };
    const first = account.items.find((m) => m.subject === "m0")!;
    const deleted = await server.api(`/api/v1/accounts/${address}/messages/${first.id}`, {
      method: "DELETE",
    });
    expect(deleted.status).toBe(204);

    // IMAP: STORE \Deleted + EXPUNGE, and a FETCH BODY[] (which sets \Seen) is answered with the body.
    const imap = await ImapClient.login(server.ports.imap!, address);
    expect((await imap.command("SELECT INBOX")).status).toBe("OK");
    const fetched = await imap.command("FETCH 1 BODY[]");
    expect(fetched.status).toBe("OK");
    expect(fetched.untagged.join("\n")).toContain("end of m1");
    expect((await imap.command("STORE 1 +FLAGS (\\Deleted)")).status).toBe("OK");
    expect((await imap.command("EXPUNGE")).status).toBe("OK");
    const append = await imap.append("INBOX", message("appended", 40));
    expect(append.status).toBe("NO");
    expect(append.text).toStartWith("[OVERQUOTA] ");
    await imap.close();

    // POP3: DELE + QUIT commits the deletion (RFC 1939 UPDATE state).
    const pop = await Pop3Client.login(server.ports.pop3!, address);
    expect((await pop.command("DELE 1")).ok).toBe(true);
    expect((await pop.quit()).ok).toBe(true);

    const left = (await mailboxContents(server, address)).map(
      (m) => /Subject: (\S+)/.exec(m.raw.toString("latin1"))![1],
    );
    expect(left).toEqual(acknowledged.slice(3));

    // Space returns: delivery works again without a restart.
    rmSync(filler);
    const after = await sendMail(server.ports.smtp!, "s@remote.example", [address], message("after", 4));
    expect(after.code).toBe(250);
    expect((await mailboxContents(server, address)).length).toBe(acknowledged.length - 3 + 1);
  }, 60_000);
});
