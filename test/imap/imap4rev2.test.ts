/**
 * IMAP4rev2 beside IMAP4rev1 (RFC 9051 Appendix A, E) over real sockets: a session stays rev1 until
 * ENABLE IMAP4rev2, then gets rev2's answers (ESEARCH, CLOSED, LIST on SELECT, no RECENT/UNSEEN,
 * \NonExistent, UTF-8 names). Also ENABLE's rules (RFC 5161) and STATUS DELETED.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accountGet, mailboxCreate } from "../../src/store/mod.ts";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
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

async function rev2Client(address: string): Promise<ImapClient> {
  const client = await ImapClient.login(port, address);
  const r = await client.command("ENABLE IMAP4rev2");
  expect(r.untagged).toContain("ENABLED IMAP4rev2");
  return client;
}

describe("IMAP4rev2 advertised with IMAP4rev1", () => {
  test("the greeting and CAPABILITY list both IMAP4rev1 and IMAP4rev2", async () => {
    const { client, greeting } = await ImapClient.connect(port);
    expect(greeting).toMatch(/\[CAPABILITY IMAP4rev1 IMAP4rev2 /);
    const r = await client.command("CAPABILITY");
    expect(r.untagged[0]).toStartWith("CAPABILITY IMAP4rev1 IMAP4rev2 ");
    await client.close();
  });

  test("ENABLE IMAP4rev2 answers ENABLED once; a second time and unknown names are left out", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    expect((await client.command("ENABLE IMAP4rev2 X-UNKNOWN")).untagged).toEqual(["ENABLED IMAP4rev2"]);
    expect((await client.command("ENABLE IMAP4rev2")).untagged).toEqual(["ENABLED"]);
    await client.close();
  });

  test("ENABLE IMAP4rev2 in the selected state is BAD and the session stays rev1", async () => {
    const client = await ImapClient.login(port, await freshAccount(server, { messages: 1 }));
    await client.command("SELECT INBOX");
    const r = await client.command("ENABLE IMAP4rev2");
    expect(r.status).toBe("BAD");
    expect((await client.command("SEARCH ALL")).untagged).toEqual(["SEARCH 1"]);
    await client.close();
  });

  test("ENABLE without a name is BAD", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    expect((await client.command("ENABLE")).status).toBe("BAD");
    await client.close();
  });
});

describe("a session without ENABLE IMAP4rev2 keeps IMAP4rev1's answers", () => {
  test("SELECT sends RECENT and UNSEEN, SEARCH answers SEARCH, a second SELECT sends no CLOSED", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const client = await ImapClient.login(port, address);
    const selected = await client.command("SELECT INBOX");
    expect(selected.untagged).toContain("0 RECENT");
    expect(selected.untagged).toContain("OK [UNSEEN 1] First unseen message");
    expect(selected.untagged.some((l) => l.startsWith("LIST "))).toBe(false);
    expect((await client.command("SEARCH ALL")).untagged).toEqual(["SEARCH 1 2"]);
    const again = await client.command("SELECT INBOX");
    expect(again.untagged.some((l) => l.includes("[CLOSED]"))).toBe(false);
    await client.close();
  });
});

describe("after ENABLE IMAP4rev2", () => {
  test("SELECT sends LIST, no RECENT and no UNSEEN code; the next SELECT starts with OK [CLOSED]", async () => {
    const address = await freshAccount(server, { messages: 2, mailboxes: ["Work", "Work/Projects"] });
    const client = await rev2Client(address);
    const selected = await client.command("SELECT INBOX");
    expect(selected.status).toBe("OK");
    expect(selected.untagged).toContain('LIST (\\HasNoChildren) "/" INBOX');
    expect(selected.untagged).toContain("2 EXISTS");
    expect(selected.untagged.some((l) => /RECENT|UNSEEN/.test(l))).toBe(false);
    const work = await client.command("EXAMINE Work");
    expect(work.untagged[0]).toBe("OK [CLOSED] Previous mailbox closed");
    expect(work.untagged).toContain('LIST (\\HasChildren) "/" Work');
    await client.close();
  });

  test("SELECT's LIST carries the special-use attribute", async () => {
    const client = await rev2Client(await freshAccount(server));
    const r = await client.command("SELECT Sent");
    expect(r.untagged).toContain('LIST (\\HasNoChildren \\Sent) "/" Sent');
    await client.close();
  });

  test("SEARCH and UID SEARCH answer ESEARCH with ALL; no match is a bare ESEARCH", async () => {
    const address = await freshAccount(server, { messages: 3 });
    const client = await rev2Client(address);
    await client.command("SELECT INBOX");
    expect((await client.command("SEARCH ALL", "T1")).untagged).toEqual(['ESEARCH (TAG "T1") ALL 1:3']);
    expect((await client.command("UID SEARCH 2:3", "T2")).untagged).toEqual([
      'ESEARCH (TAG "T2") UID ALL 2:3',
    ]);
    expect((await client.command("SEARCH DELETED", "T3")).untagged).toEqual(['ESEARCH (TAG "T3")']);
    expect((await client.command("SEARCH RETURN (COUNT) ALL", "T4")).untagged).toEqual([
      'ESEARCH (TAG "T4") COUNT 3',
    ]);
    await client.close();
  });

  test("LIST reports a level of hierarchy that is no mailbox as \\NonExistent", async () => {
    const address = await freshAccount(server);
    const account = await accountGet(server.store.read, address);
    // The store creates "a/b" without "a" (as the REST API may).
    await server.store.write((w) => mailboxCreate(w, account.id, "Lone/Child"));
    const lone = (lines: string[]) => lines.filter((l) => l.endsWith(" Lone"));
    const plain = await ImapClient.login(port, address);
    expect(lone((await plain.command('LIST "" "%"')).untagged)).toEqual([
      'LIST (\\Noselect \\HasChildren) "/" Lone',
    ]);
    await plain.close();
    const client = await rev2Client(address);
    expect(lone((await client.command('LIST "" "%"')).untagged)).toEqual([
      'LIST (\\NonExistent \\HasChildren) "/" Lone',
    ]);
    await client.close();
  });

  test("mailbox names travel as UTF-8 in both directions, not modified UTF-7", async () => {
    const address = await freshAccount(server);
    const client = await rev2Client(address);
    expect((await client.command('CREATE "Entwürfe/Łódź"')).status).toBe("OK");
    const listed = await client.command('LIST "" "Entw*"');
    expect(listed.untagged).toContain(
      `LIST (\\HasChildren) "/" "${Buffer.from("Entwürfe").toString("latin1")}"`,
    );
    const status = await client.command('STATUS "Entwürfe/Łódź" (MESSAGES)');
    expect(status.untagged).toEqual([
      `STATUS "${Buffer.from("Entwürfe/Łódź").toString("latin1")}" (MESSAGES 0)`,
    ]);
    await client.close();
    // A rev1 session sees the same mailbox in modified UTF-7 and may name it so.
    const rev1 = await ImapClient.login(port, address);
    expect((await rev1.command('LIST "" "Entw*"')).untagged).toContain(
      'LIST (\\HasChildren) "/" Entw&APw-rfe',
    );
    expect((await rev1.command("SELECT Entw&APw-rfe/&AUE-&APM-d&AXo-")).status).toBe("OK");
    await rev1.close();
  });

  test("a quoted string that is not UTF-8 is BAD", async () => {
    const client = await rev2Client(await freshAccount(server));
    const r = await client.command(
      Buffer.concat([Buffer.from('CREATE "bad'), Buffer.from([0xff]), Buffer.from('"')]),
    );
    expect(r.status).toBe("BAD");
    await client.close();
  });
});

describe("STATUS DELETED (RFC 9051 §6.3.11)", () => {
  test("STATUS DELETED counts the messages with \\Deleted", async () => {
    const address = await freshAccount(server, { messages: 3, deleted: [1, 3] });
    const client = await ImapClient.login(port, address);
    const r = await client.command("STATUS INBOX (MESSAGES DELETED)");
    expect(r.untagged).toEqual(["STATUS INBOX (MESSAGES 3 DELETED 2)"]);
    await client.close();
  });
});
