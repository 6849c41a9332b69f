/**
 * What RETR and TOP send: the exact stored bytes (8-bit, 10 MB, bare LFs), dot-stuffed on the wire,
 * with sizes that match LIST and STAT; \Seen set by RETR (not TOP); UIDL stable across sessions and
 * server restarts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { accountGet, type Change, mailboxGet, messagesOfMailbox, SEEN } from "../../src/store/mod.ts";
import { freshAccount } from "../harness/accounts.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";
import { deliver, ingestRaw, simpleMessage, storedMessages } from "./fixtures.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer({ maxMessageSize: 12 * 1024 * 1024 });
  port = server.ports.pop3!;
});

afterAll(async () => {
  await server.close();
});

async function flagsOf(address: string): Promise<number[]> {
  const account = await accountGet(server.store.read, address);
  const inbox = await mailboxGet(server.store.read, account.id, "INBOX");
  return (await messagesOfMailbox(server.store.read, inbox.id)).map((m) => m.flags);
}

/** Resolves with the next change of the account's that `match` accepts. */
async function nextChange(address: string, match: (c: Change) => boolean): Promise<Change> {
  const account = await accountGet(server.store.read, address);
  return new Promise((resolve) => {
    const unsubscribe = server.store.changes.subscribe(account.id, (change) => {
      if (!match(change)) return;
      unsubscribe();
      resolve(change);
    });
  });
}

describe("RETR bytes", () => {
  test("RETR returns the exact stored bytes, 8-bit included", async () => {
    const address = await freshAccount(server);
    const eightBit = Buffer.concat([
      Buffer.from(
        "From: a@remote.example\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nContent-Type: text/plain; charset=latin1\r\n\r\n",
      ),
      Buffer.from(
        Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 0x0a && b !== 0x0d && b !== 0),
      ),
      Buffer.from("\r\nna\xefve caf\xe9 \u00fcber\r\n", "latin1"),
      Buffer.from("日本語のテキスト\r\n", "utf8"),
    ]);
    await deliver(server, address, eightBit);
    const [stored] = await storedMessages(server, address);
    expect(stored!.subarray(stored!.length - eightBit.length).equals(eightBit)).toBe(true);
    const client = await Pop3Client.login(port, address);
    expect((await client.retr(1)).equals(stored!)).toBe(true);
    await client.quit();
  });

  test("RETR of a 10 MB message returns every byte", async () => {
    const address = await freshAccount(server);
    const line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,;:!?-_=+<>()[]{}\r\n";
    const body = line.repeat(Math.ceil((10 * 1024 * 1024) / line.length));
    const raw = Buffer.from(`From: a@remote.example\r\nSubject: big\r\n\r\n${body}.starts with a dot\r\n`);
    await ingestRaw(server, address, raw);
    const client = await Pop3Client.login(port, address);
    expect((await client.command("LIST 1")).line).toBe(`+OK 1 ${raw.length}`);
    const r = await client.multi("RETR 1");
    expect(r.line).toBe(`+OK ${raw.length} octets`);
    expect(r.body.length).toBe(raw.length);
    expect(r.body.equals(raw)).toBe(true);
    await client.quit();
  });

  test("lines starting with a dot are dot-stuffed on the wire and restored by the client", async () => {
    const address = await freshAccount(server);
    const body = ".\r\n..two dots\r\n.leading\r\nmiddle . dot\r\n.\r\n";
    await deliver(server, address, simpleMessage("dots", body));
    const [stored] = await storedMessages(server, address);
    expect(stored!.toString()).toEndWith(`\r\n\r\n${body}`);
    const client = await Pop3Client.login(port, address);
    const r = await client.multi("RETR 1");
    expect(r.wire.toString()).toEndWith("\r\n\r\n..\r\n...two dots\r\n..leading\r\nmiddle . dot\r\n..\r\n");
    expect(r.body.equals(stored!)).toBe(true);
    await client.quit();
  });

  test("a stored message with bare LFs is sent as stored, and its size matches", async () => {
    const address = await freshAccount(server);
    const raw = Buffer.from("From: a@remote.example\nSubject: unix\n\nline one\n.dot line\nlast\n");
    await ingestRaw(server, address, raw);
    const client = await Pop3Client.login(port, address);
    expect((await client.command("LIST 1")).line).toBe(`+OK 1 ${raw.length}`);
    const r = await client.multi("RETR 1");
    expect(r.wire.toString()).toContain("\n..dot line\n");
    expect(r.body.equals(raw)).toBe(true);
    await client.quit();
  });

  test("a stored message with a bare CR before a dot line is stuffed there too: the response does not end early", async () => {
    const address = await freshAccount(server);
    // Legacy data: stored before bare CRs were refused at ingest (issue 9).
    const raw = Buffer.from("From: a@remote.example\r\nSubject: legacy\r\n\r\nend\r.\r\n+OK injected\r\n");
    await ingestRaw(server, address, raw);
    const client = await Pop3Client.login(port, address);
    const r = await client.multi("RETR 1");
    expect(r.wire.toString("latin1")).toEndWith("end\r..\r\n+OK injected\r\n");
    expect(r.body.equals(raw)).toBe(true);
    expect((await client.command("NOOP")).line).toBe("+OK");
    await client.quit();
  });

  test("a stored message without a final line end gets CRLF before the terminator", async () => {
    const address = await freshAccount(server);
    const raw = Buffer.from("From: a@remote.example\r\nSubject: open end\r\n\r\nno newline at the end");
    await ingestRaw(server, address, raw);
    const client = await Pop3Client.login(port, address);
    const r = await client.multi("RETR 1");
    expect(r.line).toBe(`+OK ${raw.length} octets`);
    // The stored octets, then the CRLF that ends the last line, then "." (RFC 1939 §3).
    expect(r.wire.equals(Buffer.concat([raw, Buffer.from("\r\n")]))).toBe(true);
    await client.quit();
  });

  test("LIST and STAT sizes equal the octets RETR sends before dot-stuffing", async () => {
    const address = await freshAccount(server);
    await deliver(server, address, simpleMessage("a", "plain\r\n"));
    await deliver(server, address, simpleMessage("b", ".dot\r\n..two\r\n.\r\n"));
    await deliver(server, address, simpleMessage("c", `${"x".repeat(5000)}\r\n`));
    const client = await Pop3Client.login(port, address);
    const list = await client.multi("LIST");
    let total = 0;
    for (const line of list.lines) {
      const [n, size] = line.split(" ").map(Number) as [number, number];
      const r = await client.multi(`RETR ${n}`);
      expect(r.line).toBe(`+OK ${size} octets`);
      expect(r.body.length).toBe(size);
      total += size;
    }
    expect((await client.command("STAT")).line).toBe(`+OK 3 ${total}`);
    await client.quit();
  });
});

describe("TOP", () => {
  const body = "line 1\r\nline 2\r\n.line 3\r\nline 4\r\n";

  test("TOP n k returns the header, the blank line and the first k body lines", async () => {
    const address = await freshAccount(server);
    await deliver(server, address, simpleMessage("top", body));
    const [stored] = await storedMessages(server, address);
    const header = stored!.subarray(0, stored!.indexOf("\r\n\r\n") + 4).toString();
    const client = await Pop3Client.login(port, address);
    const two = await client.multi("TOP 1 2");
    expect(two.body.toString()).toBe(`${header}line 1\r\nline 2\r\n`);
    const three = await client.multi("TOP 1 3");
    expect(three.wire.toString()).toEndWith("\r\n..line 3\r\n");
    expect(three.body.toString()).toBe(`${header}line 1\r\nline 2\r\n.line 3\r\n`);
    await client.quit();
  });

  test("TOP with more lines than the body has returns the whole message", async () => {
    const address = await freshAccount(server);
    await deliver(server, address, simpleMessage("top", body));
    const [stored] = await storedMessages(server, address);
    const client = await Pop3Client.login(port, address);
    expect((await client.multi("TOP 1 1000")).body.equals(stored!)).toBe(true);
    await client.quit();
  });

  test("TOP of a message without a blank line returns the whole message", async () => {
    const address = await freshAccount(server);
    const raw = Buffer.from("From: a@remote.example\r\nSubject: header only\r\n");
    await ingestRaw(server, address, raw);
    const client = await Pop3Client.login(port, address);
    expect((await client.multi("TOP 1 0")).body.equals(raw)).toBe(true);
    await client.quit();
  });

  test("TOP ends the header where the parse at delivery did (IMAP BODY[HEADER]), also at a line that is no field", async () => {
    const address = await freshAccount(server);
    const head = "From: a@remote.example\r\nSubject: cut short\r\n";
    const raw = Buffer.from(`${head}this line is body text\r\n\r\nmore body\r\n`);
    await ingestRaw(server, address, raw);
    const client = await Pop3Client.login(port, address);
    expect((await client.multi("TOP 1 0")).body.toString()).toBe(head);
    expect((await client.multi("TOP 1 1")).body.toString()).toBe(`${head}this line is body text\r\n`);
    await client.quit();
  });
});

describe("\\Seen", () => {
  test("RETR sets \\Seen for IMAP without waiting for QUIT", async () => {
    const address = await freshAccount(server);
    await deliver(server, address, simpleMessage("read me"));
    expect(await flagsOf(address)).toEqual([0]);
    const client = await Pop3Client.login(port, address);
    const flagged = nextChange(address, (c) => c.kind === "flags-changed");
    await client.retr(1);
    const change = await flagged;
    expect(change.kind === "flags-changed" && (change.flags & SEEN) !== 0).toBe(true);
    expect((await flagsOf(address))[0]! & SEEN).toBe(SEEN);
    await client.drop();
  });

  test("TOP does not set \\Seen", async () => {
    const address = await freshAccount(server);
    await deliver(server, address, simpleMessage("peek"));
    const client = await Pop3Client.login(port, address);
    await client.multi("TOP 1 5");
    await client.quit(); // UPDATE waits for pending flag writes: none may exist
    expect(await flagsOf(address)).toEqual([0]);
  });

  test("pipelined RETRs set \\Seen on every message by the time QUIT answers", async () => {
    const address = await freshAccount(server);
    for (let i = 0; i < 5; i++) await deliver(server, address, simpleMessage(`s${i}`));
    const client = await Pop3Client.login(port, address);
    client.write("RETR 1\r\nRETR 2\r\nRETR 3\r\nRETR 4\r\nRETR 5\r\n");
    for (let i = 0; i < 5; i++) expect((await client.readMulti()).ok).toBe(true);
    await client.quit();
    expect((await flagsOf(address)).map((f) => f & SEEN)).toEqual([SEEN, SEEN, SEEN, SEEN, SEEN]);
  });
});

describe("UIDL stability", () => {
  test("UIDL values are identical across sessions, and survive deletion of other messages", async () => {
    const address = await freshAccount(server);
    for (const s of ["a", "b", "c"]) await deliver(server, address, simpleMessage(s));
    const first = await Pop3Client.login(port, address);
    const before = (await first.multi("UIDL")).lines.map((l) => l.split(" ")[1]);
    await first.command("DELE 1");
    await first.quit();
    const second = await Pop3Client.login(port, address);
    const after = (await second.multi("UIDL")).lines.map((l) => l.split(" ")[1]);
    expect(after).toEqual(before.slice(1));
    await second.quit();
  });

  test("UIDL values are identical after a server restart on the same data", async () => {
    const own = await startTestServer();
    const dataDir = own.dataDir;
    const address = await freshAccount(own);
    for (const s of ["a", "b"]) await deliver(own, address, simpleMessage(s));
    const before = await Pop3Client.login(own.ports.pop3!, address);
    const ids = (await before.multi("UIDL")).lines;
    await before.quit();
    await own.stop();

    const restarted = await startTestServer({}, { dataDir });
    try {
      const after = await Pop3Client.login(restarted.ports.pop3!, address);
      expect((await after.multi("UIDL")).lines).toEqual(ids);
      await after.quit();
    } finally {
      await restarted.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
