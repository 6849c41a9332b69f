/**
 * COMPRESS=DEFLATE with stock clients: mbsync (isync 1.4 turns compression on by itself when it is
 * offered), ImapFlow (likewise, unless disableCompression), and Python's imaplib with zlib by hand
 * (imaplib has no COMPRESS of its own).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ImapFlow } from "imapflow";
import { freshAccount } from "../harness/accounts.ts";
import { hasCommand, run } from "../harness/run.ts";
import { mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";

let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), "mailroom-compress-interop-"));
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const message = (subject: string, body = "hello") =>
  `From: Sender <sender@remote.example>\r\nSubject: ${subject}\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\n${body}\r\n`;

describe("mbsync", () => {
  test("mbsync negotiates COMPRESS DEFLATE and syncs both ways through it", async () => {
    if (!(await hasCommand("mbsync"))) {
      console.warn("mbsync is not installed (apt-get install -y isync): skipped");
      return;
    }
    const address = await freshAccount(server, { messages: 5 });
    const home = join(dir, "mbsync");
    mkdirSync(home, { recursive: true });
    const config = join(dir, "mbsyncrc");
    writeFileSync(
      config,
      `IMAPAccount mailroom\nHost 127.0.0.1\nPort ${server.ports.imap}\nUser ${address}\nPass secret\nSSLType None\nAuthMechs LOGIN PLAIN\n\n` +
        `IMAPStore remote\nAccount mailroom\n\nMaildirStore local\nPath ${home}/\nInbox ${home}/INBOX\nSubFolders Verbatim\n\n` +
        "Channel mailroom\nFar :remote:\nNear :local:\nPatterns INBOX Archive\nCreate Both\nSyncState *\nSync All\n",
    );
    // -Dn: the protocol trace, which shows the COMPRESS command and what follows it.
    const first = await run("mbsync", ["-Dn", "-c", config, "-a"], { timeoutMs: 60_000 });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("COMPRESS DEFLATE");
    expect(first.stdout).toMatch(/OK DEFLATE active/);
    const inbox =
      readdirSync(join(home, "INBOX", "cur")).length + readdirSync(join(home, "INBOX", "new")).length;
    expect(inbox).toBe(5);
    writeFileSync(join(home, "Archive", "cur", `${Date.now()}.1.local:2,S`), message("written locally"));
    const second = await run("mbsync", ["-c", config, "-a"], { timeoutMs: 60_000 });
    expect(second.code).toBe(0);
    const archive = await mailboxContents(server, address, "Archive");
    expect(archive.some((m) => m.raw.includes("Subject: written locally"))).toBe(true);
  });
});

describe("ImapFlow", () => {
  test("ImapFlow compresses by itself, fetches, appends and hears IDLE through DEFLATE", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const sent: string[] = [];
    const record = (entry: { msg?: string }) => {
      if (entry.msg) sent.push(entry.msg);
    };
    const client = new ImapFlow({
      host: "127.0.0.1",
      port: server.ports.imap!,
      secure: false,
      tls: { ca: [server.tls.credentials().cert] },
      auth: { user: address, pass: "secret" },
      logger: { debug: record, info: record, warn: record, error: record },
    });
    await client.connect();
    try {
      expect(sent.some((m) => /COMPRESS/.test(m))).toBe(true);
      const lock = await client.getMailboxLock("INBOX");
      try {
        const big = `Subject: big\r\n\r\n${"line of text\r\n".repeat(50_000)}`;
        await client.append("INBOX", big);
        const got = await client.fetchOne("3", { source: true }, { uid: true });
        expect(got ? got.source?.length : undefined).toBe(Buffer.byteLength(big));
        const exists = new Promise<number>((resolve) =>
          client.on("exists", (e: { count: number }) => resolve(e.count)),
        );
        const idling = client.idle();
        await sendMail(server.ports.smtp!, "a@remote.example", [address], message("during idle"));
        expect(await exists).toBe(4);
        await client.noop();
        await idling;
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  });
});

describe("Python imaplib", () => {
  test("imaplib with zlib by hand: COMPRESS DEFLATE, then SELECT, FETCH and APPEND compressed", async () => {
    const address = await freshAccount(server, { messages: 3 });
    const script = `
import imaplib, zlib
imaplib.Commands["COMPRESS"] = ("AUTH", "SELECTED")
class Deflate:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""
        self.inflate = zlib.decompressobj(-15)
        self.deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    def fill(self):
        data = self.sock.recv(65536)
        if not data: raise EOFError("closed")
        self.buf += self.inflate.decompress(data)
    def readline(self):
        while b"\\n" not in self.buf: self.fill()
        i = self.buf.index(b"\\n") + 1
        line, self.buf = self.buf[:i], self.buf[i:]
        return line
    def read(self, n):
        while len(self.buf) < n: self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out
    def send(self, data):
        self.sock.sendall(self.deflate.compress(data) + self.deflate.flush(zlib.Z_SYNC_FLUSH))
c = imaplib.IMAP4("127.0.0.1", ${server.ports.imap})
c.login("${address}", "secret")
typ, data = c.capability()
assert b"COMPRESS=DEFLATE" in data[0], data
typ, data = c._simple_command("COMPRESS", "DEFLATE")
assert typ == "OK", data
z = Deflate(c.sock)
c.readline, c.read, c.send = z.readline, z.read, z.send
typ, data = c.select("INBOX")
assert typ == "OK" and data[0] == b"3", data
typ, data = c.fetch("1:3", "(BODY.PEEK[])")
assert typ == "OK" and b"body 3" in data[4][1], data
typ, data = c.append("INBOX", None, None, b"Subject: from python\\r\\n\\r\\n" + b"x" * 200000 + b"\\r\\n")
assert typ == "OK", data
typ, data = c.search(None, "SUBJECT", "python")
assert typ == "OK" and data[0] == b"4", data
typ, data = c._simple_command("COMPRESS", "DEFLATE")
assert typ == "NO", (typ, data)
c.logout()
print("ok")
`;
    const r = await run("python3", ["-c", script]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("ok");
  });
});
