/**
 * Faults during delivery. A full disk (an 8 MB tmpfs holding the data directory, with a ballast file
 * to free later) makes SMTP answer 452 4.3.1, IMAP APPEND NO [OVERQUOTA] and the REST import 507,
 * stores nothing partial, keeps reads working, and once space returns delivery works again without a
 * restart. A client that disconnects mid-DATA or mid-APPEND leaves nothing behind. The disk-full tests
 * need root (mount) and are skipped with a warning otherwise.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromStoreError } from "../../src/imap/errors.ts";
import { isStorageFull } from "../../src/store/mod.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";
import { rawConnect } from "./helpers.ts";

/** Mounts a small tmpfs, or says why not (then the disk-full tests are skipped). */
function mountTmpfs(): string | undefined {
  if (process.platform !== "linux" || process.getuid?.() !== 0) {
    console.warn("faults.test.ts: not root on Linux, skipping the disk-full tests (they mount a tmpfs)");
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), "mailroom-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", dir], { stdio: "pipe" });
    return dir;
  } catch (error) {
    console.warn(
      `faults.test.ts: cannot mount a tmpfs (${(error as Error).message}), skipping the disk-full tests`,
    );
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

/** A message of about `kb` kilobytes; its body ends with `tag`, so a stored copy can be checked whole. */
function bigMessage(subject: string, kb: number): string {
  const line = `${"y".repeat(1022)}\r\n`;
  return `From: sender@remote.example\r\nTo: full@example.com\r\nSubject: ${subject}\r\n\r\n${line.repeat(kb)}end of ${subject}\r\n`;
}

/**
 * The store's own bookkeeping agrees with the messages it holds: no content without a message or a
 * queue entry (a partial ingest), and the account's byte counter equals the sum of its messages.
 */
async function expectConsistent(server: TestServer, address: string): Promise<void> {
  const [orphans] = await server.store.execute(
    "select count(*) as n from contents where id not in (select content_id from messages) and id not in (select content_id from queue)",
  );
  expect(Number(orphans!.n)).toBe(0);
  const [usage] = await server.store.execute(
    `select a.used_bytes as used, coalesce((select sum(size) from messages m where m.account_id = a.id), 0) as total from accounts a where a.address = '${address}'`,
  );
  expect(Number(usage!.used)).toBe(Number(usage!.total));
}

/** A bare SMTP connection: `send()` writes a line and resolves with the reply's code. */
async function smtpSession(port: number): Promise<{ socket: Socket; send(line: string): Promise<number> }> {
  const socket = await rawConnect(port);
  let buffer = "";
  let waiting: (() => void) | undefined;
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    waiting?.();
  });
  const reply = async (): Promise<number> => {
    for (;;) {
      const last = /(?:^|\r\n)(\d{3}) [^\r\n]*\r\n$/.exec(buffer);
      if (last) {
        buffer = "";
        return Number(last[1]);
      }
      await new Promise<void>((resolve) => {
        waiting = resolve;
      });
    }
  };
  await reply(); // the greeting
  return {
    socket,
    send: (line) => {
      socket.write(`${line}\r\n`);
      return reply();
    },
  };
}

/** Appends to `path` until the file system has no space left. */
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

const mount = mountTmpfs();

describe.skipIf(mount === undefined)("disk full", () => {
  let server: TestServer;
  const ballast = join(mount ?? "/nonexistent", "ballast");
  const filler = join(mount ?? "/nonexistent", "filler");

  beforeAll(async () => {
    // Space to give back later: without it, a full tmpfs stays full.
    writeFileSync(ballast, Buffer.alloc(4 * 1024 * 1024, 1));
    server = await startTestServer({ maxMessageSize: 1 << 20 }, { dataDir: join(mount!, "data") });
    await createAccounts(server, [{ address: "full@example.com" }]);
  });

  afterAll(async () => {
    await server?.close();
    execFileSync("umount", ["-l", mount!]);
    rmSync(mount!, { recursive: true, force: true });
  });

  test("SMTP 452 4.3.1, IMAP NO [OVERQUOTA], REST 507; nothing partial stored; delivery resumes when space returns", async () => {
    const address = "full@example.com";
    const imap = await ImapClient.login(server.ports.imap!, address);

    // Deliver 100 KB messages until the disk is full.
    let acknowledged = 0;
    let refusal: Awaited<ReturnType<typeof sendMail>> | undefined;
    for (let i = 0; i < 100 && !refusal; i++) {
      const r = await sendMail(
        server.ports.smtp!,
        "sender@remote.example",
        [address],
        bigMessage(`m${i}`, 100),
      );
      if (r.code === 250) acknowledged++;
      else refusal = r;
    }
    expect(acknowledged).toBeGreaterThan(0);
    expect(refusal?.code).toBe(452);
    expect(refusal?.text).toContain("4.3.1");
    // Whatever room a 100 KB message did not fit in goes too: every write below must meet a full disk.
    fillUp(filler);

    // IMAP APPEND: a NO with a code clients understand, and the session goes on.
    const append = await imap.append("INBOX", bigMessage("appended while full", 200));
    expect(append.status).toBe("NO");
    expect(append.text).toStartWith("[OVERQUOTA] ");
    expect((await imap.command("NOOP")).status).toBe("OK");

    // REST import: 507 problem+json, no SQL or stack in the body.
    const imported = await server.api(`/api/v1/accounts/${address}/mailboxes/INBOX/messages`, {
      method: "POST",
      body: bigMessage("imported while full", 200),
      headers: { "content-type": "message/rfc822" },
    });
    expect(imported.status).toBe(507);
    expect(imported.headers.get("content-type")).toBe("application/problem+json");
    expect(await imported.text()).not.toMatch(/SQLITE|insert|stack|at \//i);

    // Reading needs no space: POP3 logs in and retrieves.
    const pop = await Pop3Client.login(server.ports.pop3!, address);
    expect((await pop.retr(1)).toString("latin1")).toEndWith("end of m0\r\n");
    expect((await pop.quit()).ok).toBe(true);

    // Exactly the acknowledged messages are stored, each one whole; reading them still works.
    const stored = await mailboxContents(server, address);
    expect(stored).toHaveLength(acknowledged);
    for (const [i, m] of stored.entries()) expect(m.raw.toString("latin1")).toEndWith(`end of m${i}\r\n`);
    await expectConsistent(server, address);
    const select = await imap.command("SELECT INBOX");
    expect(select.untagged).toContain(`${acknowledged} EXISTS`);
    expect((await imap.command("FETCH 1 BODY.PEEK[TEXT]<0.10>")).status).toBe("OK");

    // Space returns: everything works again, without a restart.
    rmSync(ballast);
    rmSync(filler);
    const after = await sendMail(
      server.ports.smtp!,
      "sender@remote.example",
      [address],
      bigMessage("after", 20),
    );
    expect(after.code).toBe(250);
    expect((await imap.append("INBOX", bigMessage("appended after", 20))).status).toBe("OK");
    const importedAfter = await server.api(`/api/v1/accounts/${address}/mailboxes/INBOX/messages`, {
      method: "POST",
      body: bigMessage("imported after", 10),
      headers: { "content-type": "message/rfc822" },
    });
    expect(importedAfter.status).toBe(201);
    expect(await mailboxContents(server, address)).toHaveLength(acknowledged + 3);
    await expectConsistent(server, address);
    await imap.close();
  });
});

describe("storage-full errors", () => {
  const full = Object.assign(new Error("SQLITE_FULL: database or disk is full"), { code: "SQLITE_FULL" });
  test.each([
    ["SQLite's SQLITE_FULL", full, true],
    ["ENOSPC from the file system", Object.assign(new Error("no space"), { code: "ENOSPC" }), true],
    ["SQLITE_FULL wrapped as a cause", new Error("Failed query", { cause: full }), true],
    ["another database error", Object.assign(new Error("locked"), { code: "SQLITE_BUSY" }), false],
    ["not an error at all", "SQLITE_FULL", false],
  ])("isStorageFull() recognises %s: %p", (_what, error, expected) => {
    expect(isStorageFull(error)).toBe(expected);
  });

  test("IMAP answers a full disk NO [OVERQUOTA], as Dovecot does for ENOSPC", () => {
    const no = fromStoreError(full);
    expect(no?.code).toBe("OVERQUOTA");
    expect(no?.message).toContain("disk space");
  });
});

describe("disconnects mid-transfer", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
    await createAccounts(server, [{ address: "cut@example.com" }, { address: "cut2@example.com" }]);
  });

  afterAll(async () => {
    await server.close();
  });

  test("a client that disconnects mid-DATA leaves nothing behind, and the next delivery is stored", async () => {
    const message = bigMessage("cut short", 100);
    // A polite FIN and an abrupt close, each half-way through the message.
    for (const hangUp of ["end", "destroy"] as const) {
      const smtp = await smtpSession(server.ports.smtp!);
      for (const [line, code] of [
        ["EHLO client.test", 250],
        ["MAIL FROM:<sender@remote.example>", 250],
        ["RCPT TO:<cut@example.com>", 250],
        ["DATA", 354],
      ] as const)
        expect(await smtp.send(line)).toBe(code);
      smtp.socket.write(message.slice(0, message.length / 2));
      if (hangUp === "end") smtp.socket.end();
      else smtp.socket.destroy();
    }
    const r = await sendMail(
      server.ports.smtp!,
      "sender@remote.example",
      ["cut@example.com"],
      bigMessage("whole", 10),
    );
    expect(r.code).toBe(250);
    const stored = await mailboxContents(server, "cut@example.com");
    expect(stored).toHaveLength(1);
    expect(stored[0]!.raw.toString("latin1")).toEndWith("end of whole\r\n");
    await expectConsistent(server, "cut@example.com");
  });

  test("a client that disconnects mid-APPEND literal leaves nothing behind, and the next APPEND is stored", async () => {
    const message = Buffer.from(bigMessage("cut short", 100));
    // A synchronizing literal (after the "+") and a LITERAL+ one (no "+"), each cut off half-way.
    for (const literal of [`{${message.length}}`, `{${message.length}+}`]) {
      const client = await ImapClient.login(server.ports.imap!, "cut2@example.com");
      client.write(`A1 APPEND INBOX ${literal}\r\n`);
      if (!literal.endsWith("+}")) expect(await client.readResponseLine()).toStartWith("+");
      client.write(message.subarray(0, message.length / 2));
      client.socket.destroy();
    }
    const client = await ImapClient.login(server.ports.imap!, "cut2@example.com");
    expect((await client.append("INBOX", bigMessage("whole", 10))).status).toBe("OK");
    const status = await client.command("STATUS INBOX (MESSAGES)");
    expect(status.untagged).toContain("STATUS INBOX (MESSAGES 1)");
    await client.close();
    const stored = await mailboxContents(server, "cut2@example.com");
    expect(stored).toHaveLength(1);
    expect(stored[0]!.raw.toString("latin1")).toEndWith("end of whole\r\n");
    await expectConsistent(server, "cut2@example.com");
  });
});
