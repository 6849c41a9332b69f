/**
 * MULTIAPPEND (RFC 3502) over real sockets: one APPEND carrying several messages, each with its own
 * flags and date, stored in one transaction (all or none) and answered with every new UID; Python's
 * imaplib sends it as a raw command.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accountGet, mailboxGet, messagesOfMailbox } from "../../src/store/mod.ts";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { run } from "../harness/run.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.imap!;
});

afterAll(async () => {
  await server.close();
});

const m = (n: number) => Buffer.from(`Subject: multi ${n}\r\n\r\nbody ${n}\r\n`);

async function stored(address: string) {
  const account = await accountGet(server.store.read, address);
  const box = await mailboxGet(server.store.read, account.id, "INBOX");
  return messagesOfMailbox(server.store.read, box.id);
}

/** A MULTIAPPEND with synchronizing literals: waits for each "+" before sending the next message. */
async function multiAppend(client: ImapClient, parts: Array<{ prefix: string; bytes: Buffer }>) {
  const tag = client.nextTag();
  client.write(`${tag} APPEND INBOX${parts[0]!.prefix} {${parts[0]!.bytes.length}}\r\n`);
  for (let i = 0; i < parts.length; i++) {
    const go = await client.readResponseLine();
    if (!go.startsWith("+")) return { status: go.split(" ")[1]!, text: go, untagged: [] };
    const next = parts[i + 1];
    client.write(
      Buffer.concat([
        parts[i]!.bytes,
        Buffer.from(next ? `${next.prefix} {${next.bytes.length}}\r\n` : "\r\n"),
      ]),
    );
  }
  return client.readUntilTagged(tag);
}

describe("MULTIAPPEND", () => {
  test("MULTIAPPEND is advertised after login", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    expect((await client.command("CAPABILITY")).untagged[0]).toContain(" MULTIAPPEND ");
    await client.close();
  });

  test("one APPEND stores three messages with their own flags and dates, APPENDUID lists all UIDs", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const client = await ImapClient.login(port, address);
    const r = await multiAppend(client, [
      { prefix: " (\\Seen)", bytes: m(1) },
      { prefix: ' (\\Flagged $Work) " 7-Feb-1994 22:43:04 -0800"', bytes: m(2) },
      { prefix: "", bytes: m(3) },
    ]);
    expect(r.status).toBe("OK");
    expect(r.text).toMatch(/^\[APPENDUID \d+ 2:4\] APPEND completed$/);
    const messages = await stored(address);
    expect(messages.map((x) => x.uid)).toEqual([1, 2, 3, 4]);
    expect(messages[2]!.keywords).toEqual(["$Work"]);
    expect(messages[2]!.internalDate).toBe(Date.UTC(1994, 1, 8, 6, 43, 4));
    await client.close();
  });

  test("LITERAL+ MULTIAPPEND in one write works the same", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const r = await client.command(
      Buffer.concat([
        Buffer.from(`APPEND INBOX {${m(1).length}+}\r\n`),
        m(1),
        Buffer.from(` (\\Draft) {${m(2).length}+}\r\n`),
        m(2),
      ]),
    );
    expect(r.text).toMatch(/^\[APPENDUID \d+ 1:2\]/);
    await client.close();
  });

  test("a zero-length message cancels the whole APPEND: nothing is stored (RFC 3502)", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const r = await multiAppend(client, [
      { prefix: "", bytes: m(1) },
      { prefix: "", bytes: Buffer.alloc(0) },
    ]);
    expect(r.status).toBe("NO");
    expect(await stored(address)).toEqual([]);
    await client.close();
  });

  test("one message over quota rolls back the ones before it: all or nothing", async () => {
    const address = await freshAccount(server, { quota: m(1).length + m(2).length + 2 });
    const client = await ImapClient.login(port, address);
    const r = await multiAppend(client, [
      { prefix: "", bytes: m(1) },
      { prefix: "", bytes: m(2) },
      { prefix: "", bytes: m(3) },
    ]);
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[OVERQUOTA]");
    expect(await stored(address)).toEqual([]);
    expect((await accountGet(server.store.read, address)).usedBytes).toBe(0);
    await client.close();
  });

  test("a bad second message (bare LF) stores neither", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const r = await multiAppend(client, [
      { prefix: "", bytes: m(1) },
      { prefix: "", bytes: Buffer.from("Subject: x\n\nbare\n") },
    ]);
    expect(r.status).toBe("NO");
    expect(await stored(address)).toEqual([]);
    await client.close();
  });

  test("a syntax error after the first message is BAD and stores nothing", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const r = await client.command(
      Buffer.concat([Buffer.from(`APPEND INBOX {${m(1).length}+}\r\n`), m(1), Buffer.from(" (\\Seen")]),
    );
    expect(r.status).toBe("BAD");
    expect(await stored(address)).toEqual([]);
    await client.close();
  });

  test("a selected session hears EXISTS for all of them", async () => {
    const address = await freshAccount(server);
    const watcher = await ImapClient.login(port, address);
    await watcher.command("SELECT INBOX");
    const client = await ImapClient.login(port, address);
    await multiAppend(client, [
      { prefix: "", bytes: m(1) },
      { prefix: "", bytes: m(2) },
    ]);
    expect((await watcher.command("NOOP")).untagged).toContain("2 EXISTS");
    await watcher.close();
    await client.close();
  });

  test("Python imaplib sends a MULTIAPPEND as a raw command with literals", async () => {
    const address = await freshAccount(server);
    const script = `
import imaplib
c = imaplib.IMAP4("127.0.0.1", ${port})
c.login("${address}", "secret")
typ, caps = c.capability()
assert b"MULTIAPPEND" in caps[0], caps
msgs = [b"Subject: py 1\\r\\n\\r\\none\\r\\n", b"Subject: py 2\\r\\n\\r\\ntwo\\r\\n"]
# imaplib's APPEND takes one message: the MULTIAPPEND goes out raw, with LITERAL+ literals.
tag = c._new_tag()
c.send(tag + b" APPEND INBOX {%d+}\\r\\n" % len(msgs[0]) + msgs[0] + b" (\\\\Seen) {%d+}\\r\\n" % len(msgs[1]) + msgs[1] + b"\\r\\n")
while True:
    line = c.readline()
    if line.startswith(tag + b" "):
        break
assert line.startswith(tag + b" OK [APPENDUID ") and b" 1:2]" in line, line
c.select("INBOX")
typ, data = c.search(None, "ALL")
assert data[0] == b"1 2", data
c.logout()
print("ok")
`;
    const r = await run("python3", ["-c", script]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("ok");
  });
});
