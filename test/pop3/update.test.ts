/**
 * The UPDATE state (RFC 1939 §6): DELE only marks, QUIT removes in one durable transaction before its
 * +OK, RSET and a dropped connection remove nothing, and removals reach IMAP as expunges. The maildrop
 * is fixed at login: mail arriving later waits for the next session.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accountGet, type Change } from "../../src/store/mod.ts";
import { freshAccount } from "../harness/accounts.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { deliver, simpleMessage } from "./fixtures.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.pop3!;
});

afterAll(async () => {
  await server.close();
});

/** An account with messages whose subjects are `subjects`. */
async function withMessages(...subjects: string[]): Promise<string> {
  const address = await freshAccount(server);
  for (const s of subjects) await deliver(server, address, simpleMessage(s));
  return address;
}

async function subjects(address: string): Promise<string[]> {
  return (await mailboxContents(server, address)).map(
    (m) => /\r\nSubject: ([^\r]*)/.exec(m.raw.toString())?.[1] ?? "",
  );
}

describe("DELE and QUIT", () => {
  test("DELE then QUIT removes the messages before the +OK", async () => {
    const address = await withMessages("a", "b", "c");
    const client = await Pop3Client.login(port, address);
    await client.command("DELE 1");
    await client.command("DELE 3");
    const r = await client.command("QUIT");
    expect(r.ok).toBe(true);
    expect(r.text).toContain("2 messages deleted");
    // Durable by the time the +OK arrives: read it right away.
    expect(await subjects(address)).toEqual(["b"]);
    await client.closed;
  });

  test("a message marked by DELE cannot be read, listed or marked again; numbers of the others stay", async () => {
    const address = await withMessages("a", "b", "c");
    const client = await Pop3Client.login(port, address);
    const sizes = (await client.multi("LIST")).lines;
    await client.command("DELE 2");
    for (const line of ["RETR 2", "TOP 2 0", "LIST 2", "UIDL 2", "DELE 2"]) {
      const r = await client.command(line);
      expect(r.ok).toBe(false);
      expect(r.text).toContain("already deleted");
    }
    expect((await client.multi("LIST")).lines).toEqual([sizes[0]!, sizes[2]!]);
    expect((await client.multi("UIDL")).lines.map((l) => l.split(" ")[0])).toEqual(["1", "3"]);
    expect((await client.multi("RETR 3")).ok).toBe(true);
    await client.drop();
  });

  test("RSET unmarks everything, so QUIT removes nothing", async () => {
    const address = await withMessages("a", "b");
    const client = await Pop3Client.login(port, address);
    await client.command("DELE 1");
    await client.command("DELE 2");
    expect((await client.command("RSET")).text).toContain("2 messages");
    const r = await client.quit();
    expect(r.text).toContain("0 messages deleted");
    expect(await subjects(address)).toEqual(["a", "b"]);
  });

  test("a connection that drops without QUIT deletes nothing", async () => {
    const address = await withMessages("a", "b");
    const client = await Pop3Client.login(port, address);
    await client.command("DELE 1");
    await client.command("DELE 2");
    await client.drop();
    // Only QUIT enters UPDATE: however late the server notices the drop, nothing is removed.
    const again = await Pop3Client.login(port, address);
    expect((await again.command("STAT")).text).toMatch(/^2 /);
    await again.quit();
    expect(await subjects(address)).toEqual(["a", "b"]);
  });

  test("deleting over POP3 expunges the message for IMAP", async () => {
    const address = await withMessages("a", "b");
    const account = await accountGet(server.store.read, address);
    const expunged = new Promise<Change>((resolve) => {
      const off = server.store.changes.subscribe(account.id, (change) => {
        if (change.kind !== "messages-expunged") return;
        off();
        resolve(change);
      });
    });
    const uidsBefore = (await mailboxContents(server, address)).map((m) => m.uid);
    const client = await Pop3Client.login(port, address);
    await client.command("DELE 1");
    await client.quit();
    const change = await expunged;
    expect(change.kind === "messages-expunged" && change.uids).toEqual([uidsBefore[0]!]);
  });

  test("QUIT after RETR and DELE of the same message removes it and leaves the others \\Seen-free", async () => {
    const address = await withMessages("a", "b");
    const client = await Pop3Client.login(port, address);
    await client.retr(1);
    await client.command("DELE 1");
    expect((await client.quit()).ok).toBe(true);
    const left = await mailboxContents(server, address);
    expect(left.map((m) => m.flags)).toEqual([0]);
  });
});

describe("the maildrop is fixed at login", () => {
  test("a message that arrives during the session is not shown until the next session", async () => {
    const address = await withMessages("old");
    const client = await Pop3Client.login(port, address);
    expect((await client.command("STAT")).text).toMatch(/^1 /);
    await deliver(server, address, simpleMessage("new"));
    expect((await client.command("STAT")).text).toMatch(/^1 /);
    expect((await client.multi("LIST")).lines.length).toBe(1);
    expect((await client.command("RETR 2")).ok).toBe(false);
    await client.quit();

    const next = await Pop3Client.login(port, address);
    expect((await next.command("STAT")).text).toMatch(/^2 /);
    const second = await next.retr(2);
    expect(second.toString()).toContain("Subject: new");
    await next.quit();
  });

  test("DELE of message 1 plus new mail: QUIT removes only the message that was marked", async () => {
    const address = await withMessages("old");
    const client = await Pop3Client.login(port, address);
    await client.command("DELE 1");
    await deliver(server, address, simpleMessage("arrived"));
    await client.quit();
    expect(await subjects(address)).toEqual(["arrived"]);
  });
});
