/**
 * REPLACE and UID REPLACE (RFC 8508) over real sockets: the new message is appended and the old one
 * expunged in one step (APPENDUID in an untagged OK before the EXPUNGE), quota counted net, nothing
 * changed on failure; CATENATE may name the message being replaced.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.imap!;
});

afterAll(async () => {
  await server.close();
});

const NEW = "Subject: new version\r\n\r\nrevised\r\n";

function replace(client: ImapClient, args: string, message = NEW) {
  return client.command(Buffer.from(`${args} {${Buffer.byteLength(message)}+}\r\n${message}`));
}

describe("REPLACE", () => {
  test("REPLACE is advertised after login", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    expect((await client.command("CAPABILITY")).untagged[0]).toContain(" REPLACE");
    await client.close();
  });

  test("REPLACE 2 in the same mailbox: APPENDUID, then EXPUNGE and EXISTS; the new message has its own flags", async () => {
    const address = await freshAccount(server, { messages: 3, keywords: { 2: ["$Old"] } });
    const client = await ImapClient.login(port, address);
    const validity = /UIDVALIDITY (\d+)/.exec((await client.command("SELECT INBOX")).untagged.join(" "))![1];
    const r = await replace(client, "REPLACE 2 INBOX (\\Draft)");
    expect(r.status).toBe("OK");
    expect(r.text).toBe("REPLACE completed");
    expect(r.untagged[0]).toBe(`OK [APPENDUID ${validity} 4] Replacement message ready`);
    expect(r.untagged.slice(1)).toEqual(["2 EXPUNGE", "3 EXISTS"]);
    const fetched = await client.command("FETCH 1:* (UID FLAGS)");
    expect(fetched.untagged).toEqual([
      "1 FETCH (UID 1 FLAGS ())",
      "2 FETCH (UID 3 FLAGS ())",
      "3 FETCH (UID 4 FLAGS (\\Draft))",
    ]);
    const stored = await mailboxContents(server, address);
    expect(stored.map((s) => s.uid)).toEqual([1, 3, 4]);
    expect(stored[2]!.raw.toString()).toBe(NEW);
    await client.close();
  });

  test("UID REPLACE into another mailbox (Drafts to Sent), with a watcher hearing the removal", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const watcher = await ImapClient.login(port, address);
    await watcher.command("SELECT INBOX");
    const client = await ImapClient.login(port, address);
    await client.command("SELECT INBOX");
    const r = await replace(client, "UID REPLACE 2 Sent");
    expect(r.text).toBe("UID REPLACE completed");
    expect(r.untagged[0]).toMatch(/^OK \[APPENDUID \d+ 1\]/);
    expect(r.untagged).toContain("2 EXPUNGE");
    expect((await watcher.command("NOOP")).untagged).toContain("2 EXPUNGE");
    expect((await mailboxContents(server, address, "Sent")).map((s) => s.raw.toString())).toEqual([NEW]);
    await watcher.close();
    await client.close();
  });

  test("with QRESYNC the removal is VANISHED and the tagged OK carries HIGHESTMODSEQ", async () => {
    const client = await ImapClient.login(port, await freshAccount(server, { messages: 1 }));
    await client.command("ENABLE QRESYNC");
    await client.command("SELECT INBOX");
    const r = await replace(client, "UID REPLACE 1 INBOX");
    expect(r.untagged).toContain("VANISHED 1");
    expect(r.text).toMatch(/^\[HIGHESTMODSEQ \d+\] UID REPLACE completed$/);
    await client.close();
  });

  test("the quota counts the net change: a replacement that fits once the old one is gone is taken", async () => {
    const old = `Subject: old\r\n\r\n${"x".repeat(200)}\r\n`;
    const address = await freshAccount(server, { quota: old.length + 10 });
    const client = await ImapClient.login(port, address);
    expect((await client.append("INBOX", old)).status).toBe("OK");
    await client.command("SELECT INBOX");
    // APPEND of the new one alone would go over quota.
    expect((await client.append("INBOX", NEW)).text).toStartWith("[OVERQUOTA]");
    expect((await replace(client, "REPLACE 1 INBOX")).status).toBe("OK");
    expect((await mailboxContents(server, address)).map((s) => s.raw.toString())).toEqual([NEW]);
    await client.close();
  });

  test("a failed REPLACE (missing target) keeps the old message and sends no EXPUNGE", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const client = await ImapClient.login(port, address);
    await client.command("SELECT INBOX");
    const r = await replace(client, "REPLACE 1 Nowhere");
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[TRYCREATE]");
    expect(r.untagged).toEqual([]);
    expect((await mailboxContents(server, address)).length).toBe(1);
    await client.close();
  });

  test("UID REPLACE of a UID that is not there is NO [NONEXISTENT]; REPLACE beyond EXISTS is BAD", async () => {
    const client = await ImapClient.login(port, await freshAccount(server, { messages: 1 }));
    await client.command("SELECT INBOX");
    expect((await replace(client, "UID REPLACE 9 INBOX")).text).toStartWith("[NONEXISTENT]");
    expect((await replace(client, "REPLACE 2 INBOX")).status).toBe("BAD");
    expect((await replace(client, "REPLACE 0 INBOX")).status).toBe("BAD");
    expect((await client.command("REPLACE 1 INBOX")).status).toBe("BAD");
    await client.close();
  });

  test("REPLACE in a mailbox opened with EXAMINE is NO [READ-ONLY]", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const client = await ImapClient.login(port, address);
    await client.command("EXAMINE INBOX");
    expect((await replace(client, "REPLACE 1 INBOX")).text).toStartWith("[READ-ONLY]");
    expect((await mailboxContents(server, address)).length).toBe(1);
    await client.close();
  });

  test("UID REPLACE with CATENATE may copy from the message it replaces (RFC 8508 §4.2)", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    await client.append("Drafts", "Subject: draft\r\n\r\nbody text\r\n");
    await client.command("SELECT Drafts");
    const header = "To: someone@example.org\r\n";
    const r = await client.command(
      Buffer.from(
        `UID REPLACE 1 Drafts CATENATE (TEXT {${header.length}+}\r\n${header} URL "/Drafts/;UID=1")`,
      ),
    );
    expect(r.status).toBe("OK");
    expect((await mailboxContents(server, address, "Drafts")).map((s) => s.raw.toString())).toEqual([
      `${header}Subject: draft\r\n\r\nbody text\r\n`,
    ]);
    await client.close();
  });
});
