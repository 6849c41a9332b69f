/**
 * Stock clients against the extensions added with IMAP4rev2 support: ImapFlow (which ENABLEs
 * CONDSTORE, UTF8=ACCEPT and IMAP4rev2 by itself, and uses BINARY, QUOTA and UTF-8 names) and Python's
 * imaplib (`enable()`, raw MULTIAPPEND is in multiappend.test.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ImapFlow } from "imapflow";
import { freshAccount } from "../harness/accounts.ts";
import { run } from "../harness/run.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

const PAYLOAD = Buffer.from([0, 1, 2, 250, 251, 252, 0, 13, 10, 0]);
const ATTACHED = [
  "From: a@remote.example",
  "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="x"',
  "",
  "--x",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "see attachment",
  "--x",
  'Content-Type: application/octet-stream; name="blob.bin"',
  "Content-Transfer-Encoding: base64",
  'Content-Disposition: attachment; filename="blob.bin"',
  "",
  PAYLOAD.toString("base64"),
  "--x--",
  "",
].join("\r\n");

function flow(address: string): ImapFlow {
  return new ImapFlow({
    host: "127.0.0.1",
    port: server.ports.imap!,
    secure: false,
    tls: { ca: [server.tls.credentials().cert] },
    auth: { user: address, pass: "secret" },
    logger: false,
  });
}

describe("ImapFlow", () => {
  test("ImapFlow turns on IMAP4rev2 and UTF8=ACCEPT, downloads a part with BINARY and reads the quota", async () => {
    const address = await freshAccount(server);
    await server.api(`/api/v1/accounts/${address}`, {
      method: "PATCH",
      json: { quota: 1024 * 1024, quotaMessages: 50 },
    });
    const client = flow(address);
    await client.connect();
    try {
      expect([...client.enabled]).toEqual(expect.arrayContaining(["IMAP4REV2", "UTF8=ACCEPT", "CONDSTORE"]));
      await client.mailboxCreate("Überweisungen");
      expect((await client.list()).map((m) => m.path)).toContain("Überweisungen");
      const appended = await client.append("Überweisungen", ATTACHED);
      expect(appended && typeof appended === "object" && appended.uid).toBe(1);

      const lock = await client.getMailboxLock("Überweisungen");
      try {
        const download = await client.download("1", "2", { uid: true, binary: true });
        const chunks: Buffer[] = [];
        for await (const chunk of download.content!) chunks.push(chunk as Buffer);
        expect(Buffer.concat(chunks).equals(PAYLOAD)).toBe(true);
        // rev2: SEARCH answers ESEARCH, which ImapFlow reads.
        expect(await client.search({ all: true }, { uid: true })).toEqual([1]);
      } finally {
        lock.release();
      }

      const quota = await client.getQuota("INBOX");
      if (!quota) throw new Error("ImapFlow found no QUOTA");
      expect(quota.storage?.limit).toBe(1024 * 1024);
      expect(quota.message?.usage).toBe(1);
      expect(quota.message?.limit).toBe(50);
    } finally {
      await client.logout();
    }
  });
});

describe("Python imaplib", () => {
  test("imaplib enable('UTF8=ACCEPT') then creates, lists and selects a UTF-8 mailbox; STATUS DELETED", async () => {
    const address = await freshAccount(server, { messages: 2, deleted: [2] });
    const script = `
import imaplib
c = imaplib.IMAP4("127.0.0.1", ${server.ports.imap})
c.login("${address}", "secret")
typ, data = c.enable("UTF8=ACCEPT")
assert typ == "OK", (typ, data)
typ, data = c.create('"Überweisungen"')
assert typ == "OK", (typ, data)
typ, data = c.list('""', '"Ü*"')
assert typ == "OK" and "Überweisungen" in data[0].decode("utf-8"), data
typ, data = c.select('"Überweisungen"')
assert typ == "OK", data
typ, data = c.status("INBOX", "(MESSAGES DELETED)")
assert typ == "OK" and b"MESSAGES 2 DELETED 1" in data[0], data
c.logout()
print("ok")
`;
    const r = await run("python3", ["-c", script]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("ok");
  });
});
