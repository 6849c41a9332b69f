/**
 * Stock clients against SORT, THREAD and OBJECTID: Python's imaplib (`sort()`, `thread()`, `uid()`)
 * and ImapFlow, which asks for EMAILID in every FETCH once OBJECTID is advertised, reads MAILBOXID
 * from SELECT and THREADID when asked.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ImapFlow } from "imapflow";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { run } from "../harness/run.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

/** Three messages: a parent (oldest), a reply to it, and an unrelated one (newest). */
async function conversation(): Promise<string> {
  const address = await freshAccount(server);
  const client = await ImapClient.login(server.ports.imap!, address);
  for (const header of [
    "Message-ID: <p@x>\nSubject: Plan\nDate: Wed, 01 Jan 2020 10:00:00 +0000",
    "Message-ID: <r@x>\nIn-Reply-To: <p@x>\nSubject: Re: Plan\nDate: Thu, 02 Jan 2020 10:00:00 +0000",
    "Message-ID: <u@x>\nSubject: Apples\nDate: Fri, 03 Jan 2020 10:00:00 +0000",
  ]) {
    const raw = `${header.replace(/\n/g, "\r\n")}\r\n\r\nbody\r\n`;
    expect((await client.command(`APPEND INBOX {${raw.length}+}\r\n${raw}`)).status).toBe("OK");
  }
  await client.close();
  return address;
}

describe("Python imaplib", () => {
  test("sort() and thread() and their UID forms", async () => {
    const address = await conversation();
    const script = `
import imaplib
c = imaplib.IMAP4("127.0.0.1", ${server.ports.imap})
c.login("${address}", "secret")
c.select("INBOX")
typ, data = c.sort("(REVERSE DATE)", "UTF-8", "ALL")
assert typ == "OK" and data == [b"3 2 1"], (typ, data)
typ, data = c.sort("(SUBJECT)", "UTF-8", "ALL")
assert typ == "OK" and data == [b"3 1 2"], (typ, data)
typ, data = c.thread("REFERENCES", "UTF-8", "ALL")
assert typ == "OK" and data == [b"(1 2)(3)"], (typ, data)
typ, data = c.uid("THREAD", "ORDEREDSUBJECT", "UTF-8", "ALL")
assert typ == "OK" and data == [b"(1 2)(3)"], (typ, data)
c.logout()
print("ok")
`;
    const r = await run("python3", ["-c", script]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("ok");
  });
});

describe("ImapFlow", () => {
  test("reads MAILBOXID, EMAILID and THREADID; a reply shares its parent's thread", async () => {
    const address = await conversation();
    const client = new ImapFlow({
      host: "127.0.0.1",
      port: server.ports.imap!,
      secure: false,
      tls: { ca: [server.tls.credentials().cert] },
      auth: { user: address, pass: "secret" },
      logger: false,
    });
    await client.connect();
    const lock = await client.getMailboxLock("INBOX");
    try {
      const mailbox = client.mailbox;
      expect(mailbox && typeof mailbox === "object" ? mailbox.mailboxId : undefined).toMatch(/^F\d+$/);
      const messages = [];
      for await (const m of client.fetch("1:*", { uid: true, threadId: true })) messages.push(m);
      expect(messages.map((m) => m.emailId)).toEqual([
        expect.stringMatching(/^M\d+$/),
        expect.stringMatching(/^M\d+$/),
        expect.stringMatching(/^M\d+$/),
      ]);
      expect(messages[1]!.threadId).toBe(messages[0]!.threadId!);
      expect(messages[2]!.threadId).not.toBe(messages[0]!.threadId!);
    } finally {
      lock.release();
      await client.logout();
    }
  });
});
