/**
 * Stock IMAP clients against Mailroom, as users run them: Python's imaplib, ImapFlow (what most
 * Node.js applications use), curl's imap://, and mbsync syncing a whole account both ways.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ImapFlow } from "imapflow";
import { hasCommand, run } from "../harness/run.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";

let server: TestServer;
let dir: string;

const message = (subject: string, body = "hello") =>
  `From: Sender <sender@remote.example>\r\nTo: user@example.com\r\nSubject: ${subject}\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, "")}@remote.example>\r\n\r\n${body}\r\n`;

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [
    { address: "user@example.com" },
    { address: "sync@example.com" },
    { address: "flow@example.com" },
  ]);
  for (const s of ["first", "second", "third"]) {
    await sendMail(
      server.ports.smtp!,
      "sender@remote.example",
      ["user@example.com", "sync@example.com"],
      message(s),
    );
  }
  dir = mkdtempSync(join(tmpdir(), "mailroom-imap-interop-"));
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("Python imaplib", () => {
  test("imaplib logs in, lists, selects, fetches, searches, stores and expunges", async () => {
    const script = `
import imaplib, sys
c = imaplib.IMAP4("127.0.0.1", ${server.ports.imap})
c.login("user@example.com", "secret")
typ, boxes = c.list()
assert typ == "OK" and any(b'"INBOX"' in b or b' INBOX' in b for b in boxes), boxes
typ, data = c.select("INBOX")
assert typ == "OK" and data[0] == b"3", data
typ, data = c.fetch("1:*", "(FLAGS ENVELOPE BODYSTRUCTURE)")
assert typ == "OK" and len([d for d in data if isinstance(d, bytes) and b"ENVELOPE" in d]) == 3, data
typ, data = c.fetch("2", "(BODY.PEEK[])")
assert typ == "OK" and b"Subject: second" in data[0][1], data
typ, data = c.search(None, "SUBJECT", "third")
assert typ == "OK" and data[0] == b"3", data
typ, data = c.uid("SEARCH", None, "ALL")
assert typ == "OK" and data[0] == b"1 2 3", data
typ, data = c.store("1", "+FLAGS", "(\\\\Deleted)")
assert typ == "OK", data
typ, data = c.expunge()
assert typ == "OK" and data[0] == b"1", data
c.logout()
print("ok")
`;
    const r = await run("python3", ["-c", script]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("ok");
  });
});

describe("ImapFlow", () => {
  test("ImapFlow lists, opens, fetches, appends, moves and hears IDLE notifications", async () => {
    const client = new ImapFlow({
      host: "127.0.0.1",
      port: server.ports.imap!,
      secure: false,
      // ImapFlow upgrades with STARTTLS when offered: trust the server's self-signed certificate.
      tls: { ca: [server.tls.credentials().cert] },
      auth: { user: "flow@example.com", pass: "secret" },
      logger: false,
    });
    await client.connect();
    try {
      const list = await client.list();
      expect(list.map((m) => m.path)).toEqual(
        expect.arrayContaining(["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"]),
      );
      expect(list.find((m) => m.path === "Sent")?.specialUse).toBe("\\Sent");

      const appended = await client.append("INBOX", message("appended by imapflow"), ["\\Seen"]);
      expect(appended && typeof appended === "object" && appended.uid).toBeGreaterThan(0);

      const lock = await client.getMailboxLock("INBOX");
      try {
        const subjects: string[] = [];
        for await (const msg of client.fetch("1:*", {
          envelope: true,
          flags: true,
          bodyStructure: true,
          source: true,
        })) {
          subjects.push(msg.envelope?.subject ?? "");
          expect(msg.source?.toString()).toContain("Subject:");
        }
        expect(subjects).toContain("appended by imapflow");

        const moved = await client.messageMove("1:*", "Archive");
        expect(moved && typeof moved === "object" && moved.uidMap?.size).toBe(1);
      } finally {
        lock.release();
      }
      // IDLE: with the mailbox open and nothing to do, ImapFlow idles; a delivery reaches it as "exists".
      await client.mailboxOpen("INBOX");
      const exists = new Promise<number>((resolve) =>
        client.once("exists", (data: { count: number }) => resolve(data.count)),
      );
      const idling = client.idle();
      await sendMail(
        server.ports.smtp!,
        "sender@remote.example",
        ["flow@example.com"],
        message("while idling"),
      );
      expect(await exists).toBe(1);
      await client.mailboxClose();
      await idling;

      const status = await client.status("Archive", { messages: true, unseen: true });
      expect(status === false ? undefined : status.messages).toBe(1);
      expect(status === false ? undefined : status.unseen).toBe(0);
    } finally {
      await client.logout();
    }
  });
});

describe("curl imap://", () => {
  test("curl lists mailboxes, fetches a message by index and runs UID SEARCH", async () => {
    const base = `imap://127.0.0.1:${server.ports.imap}`;
    const auth = ["-u", "sync@example.com:secret", "-sS"];
    const list = await run("curl", [`${base}/`, ...auth]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("INBOX");
    const fetched = await run("curl", [`${base}/INBOX;MAILINDEX=1`, ...auth]);
    expect(fetched.code).toBe(0);
    expect(fetched.stdout).toContain("Subject: first");
    const search = await run("curl", [`${base}/INBOX`, ...auth, "-X", "UID SEARCH ALL"]);
    expect(search.code).toBe(0);
    expect(search.stdout).toContain("SEARCH 1 2 3");
  });
});

describe("mbsync", () => {
  test("mbsync pulls every mailbox into a Maildir and pushes a local message back", async () => {
    if (!(await hasCommand("mbsync"))) {
      console.warn("mbsync is not installed (apt-get install -y isync): skipped");
      return;
    }
    const home = join(dir, "mbsync");
    mkdirSync(home, { recursive: true });
    const config = join(dir, "mbsyncrc");
    writeFileSync(
      config,
      `IMAPAccount mailroom\nHost 127.0.0.1\nPort ${server.ports.imap}\nUser sync@example.com\nPass secret\nSSLType None\nAuthMechs LOGIN PLAIN\n\n` +
        `IMAPStore remote\nAccount mailroom\n\nMaildirStore local\nPath ${home}/\nInbox ${home}/INBOX\nSubFolders Verbatim\n\n` +
        "Channel mailroom\nFar :remote:\nNear :local:\nPatterns *\nCreate Both\nSyncState *\nSync All\nExpunge Both\n",
    );
    const first = await run("mbsync", ["-c", config, "-a"], { timeoutMs: 60_000 });
    expect(first.stderr).not.toContain("Error");
    expect(first.code).toBe(0);
    expect(
      readdirSync(join(home, "INBOX", "cur")).length + readdirSync(join(home, "INBOX", "new")).length,
    ).toBe(3);
    for (const box of ["Sent", "Drafts", "Trash", "Junk", "Archive"])
      expect(readdirSync(home)).toContain(box);

    // A message written locally goes up to the server on the next sync.
    writeFileSync(join(home, "Archive", "cur", `${Date.now()}.1.local:2,S`), message("written locally"));
    const second = await run("mbsync", ["-c", config, "-a"], { timeoutMs: 60_000 });
    expect(second.code).toBe(0);
    const archive = await mailboxContents(server, "sync@example.com", "Archive");
    expect(archive.some((m) => m.raw.includes("Subject: written locally"))).toBe(true);
  });
});
