/**
 * Subscriptions are names, not mailboxes (RFC 3501 §6.3.6-7, §6.3.9): CREATE subscribes nothing,
 * DELETE leaves the name subscribed, LSUB shows unsubscribed levels above subscribed names as
 * \Noselect and never lists an unsubscribed name, LIST (SUBSCRIBED) shows deleted names as
 * \NonExistent (RFC 5258 §3). Over real sockets, one fresh account per test.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

async function session(): Promise<ImapClient> {
  return ImapClient.login(server.ports.imap!, await freshAccount(server));
}

async function ok(client: ImapClient, command: string): Promise<string[]> {
  const r = await client.command(command);
  expect({ command, status: r.status, text: r.text }).toEqual({ command, status: "OK", text: r.text });
  return r.untagged;
}

/** The names a LIST / LSUB answer lists, with their attributes: "(attrs) name". */
function named(lines: string[]): string[] {
  return lines.map((l) => l.replace(/^(LIST|LSUB) /, "").replace(' "/" ', " "));
}

describe("a new account", () => {
  test("starts with INBOX and its special-use folders subscribed", async () => {
    const c = await session();
    expect(named(await ok(c, 'LSUB "" "*"'))).toEqual([
      "() INBOX",
      "() Archive",
      "() Drafts",
      "() Junk",
      "() Sent",
      "() Trash",
    ]);
    await c.close();
  });
});

describe("CREATE (RFC 3501 §6.3.3)", () => {
  test("CREATE does not subscribe the new mailbox nor the parents it creates", async () => {
    const c = await session();
    await ok(c, 'CREATE "Projects/2024/Q1"');
    const lsub = named(await ok(c, 'LSUB "" "*"'));
    expect(lsub.filter((l) => l.includes("Projects"))).toEqual([]);
    const list = named(await ok(c, 'LIST (SUBSCRIBED) "" "Projects*"'));
    expect(list).toEqual([]);
    // The mailboxes are there, just not subscribed.
    expect(named(await ok(c, 'LIST "" "Projects*" RETURN (SUBSCRIBED)'))).toEqual([
      "(\\HasChildren) Projects",
      "(\\HasChildren) Projects/2024",
      "(\\HasNoChildren) Projects/2024/Q1",
    ]);
    await c.close();
  });

  test("a mailbox created again under a name still subscribed is subscribed", async () => {
    const c = await session();
    await ok(c, "CREATE Again");
    await ok(c, "SUBSCRIBE Again");
    await ok(c, "DELETE Again");
    await ok(c, "CREATE Again");
    expect(named(await ok(c, 'LIST (SUBSCRIBED) "" "Again"'))).toEqual([
      "(\\HasNoChildren \\Subscribed) Again",
    ]);
    await c.close();
  });
});

describe("DELETE (RFC 3501 §6.3.4, §6.3.6)", () => {
  test("DELETE leaves the name subscribed: LSUB still lists it", async () => {
    const c = await session();
    await ok(c, "CREATE Gone");
    await ok(c, "SUBSCRIBE Gone");
    await ok(c, "DELETE Gone");
    expect(named(await ok(c, 'LSUB "" "Gone"'))).toEqual(["() Gone"]);
    await c.close();
  });

  test("LIST (SUBSCRIBED) shows a deleted subscribed name as \\NonExistent", async () => {
    const c = await session();
    await ok(c, "CREATE Gone");
    await ok(c, "SUBSCRIBE Gone");
    await ok(c, "DELETE Gone");
    expect(named(await ok(c, 'LIST (SUBSCRIBED) "" "G*"'))).toEqual([
      "(\\NonExistent \\HasNoChildren \\Subscribed) Gone",
    ]);
    // A plain LIST lists mailboxes, and there is none.
    expect(await ok(c, 'LIST "" "G*"')).toEqual([]);
    await c.close();
  });

  test("UNSUBSCRIBE removes a deleted mailbox's name", async () => {
    const c = await session();
    await ok(c, "CREATE Gone");
    await ok(c, "SUBSCRIBE Gone");
    await ok(c, "DELETE Gone");
    await ok(c, "UNSUBSCRIBE Gone");
    expect(await ok(c, 'LSUB "" "Gone"')).toEqual([]);
    expect(await ok(c, 'LIST (SUBSCRIBED) "" "Gone"')).toEqual([]);
    await c.close();
  });
});

describe("SUBSCRIBE and UNSUBSCRIBE (RFC 3501 §6.3.6-7)", () => {
  test("SUBSCRIBE of a name that is no mailbox is NO [NONEXISTENT]", async () => {
    const c = await session();
    const r = await c.command("SUBSCRIBE Nowhere");
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[NONEXISTENT]");
    await c.close();
  });

  test("UNSUBSCRIBE of a name neither subscribed nor a mailbox is NO [NONEXISTENT]", async () => {
    const c = await session();
    const r = await c.command("UNSUBSCRIBE Nowhere");
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[NONEXISTENT]");
    await c.close();
  });

  test("SUBSCRIBE and UNSUBSCRIBE of an existing mailbox may be repeated", async () => {
    const c = await session();
    await ok(c, "CREATE Twice");
    await ok(c, "SUBSCRIBE Twice");
    await ok(c, "SUBSCRIBE twice".replace("twice", "Twice"));
    expect(named(await ok(c, 'LSUB "" "Twice"'))).toEqual(["() Twice"]);
    await ok(c, "UNSUBSCRIBE Twice");
    await ok(c, "UNSUBSCRIBE Twice");
    expect(await ok(c, 'LSUB "" "Twice"')).toEqual([]);
    await c.close();
  });

  test("SUBSCRIBE inbox subscribes INBOX however it is spelled", async () => {
    const c = await session();
    await ok(c, "UNSUBSCRIBE INBOX");
    expect(await ok(c, 'LSUB "" "INBOX"')).toEqual([]);
    await ok(c, "SUBSCRIBE inbox");
    expect(named(await ok(c, 'LSUB "" "INBOX"'))).toEqual(["() INBOX"]);
    await c.close();
  });

  test("RENAME carries the subscriptions of the mailbox and its children to the new names", async () => {
    const c = await session();
    await ok(c, 'CREATE "Old/kid"');
    await ok(c, "SUBSCRIBE Old");
    await ok(c, 'SUBSCRIBE "Old/kid"');
    await ok(c, "RENAME Old New");
    expect(named(await ok(c, 'LSUB "" "*"')).filter((l) => /Old|New/.test(l))).toEqual([
      "() New",
      "() New/kid",
    ]);
    await c.close();
  });

  test("a deleted mailbox's subscription is still there in a later session", async () => {
    const address = await freshAccount(server);
    const c = await ImapClient.login(server.ports.imap!, address);
    await ok(c, "CREATE Kept");
    await ok(c, "SUBSCRIBE Kept");
    await ok(c, "DELETE Kept");
    await c.close();
    const again = await ImapClient.login(server.ports.imap!, address);
    expect(named(await ok(again, 'LSUB "" "Kept"'))).toEqual(["() Kept"]);
    await again.close();
  });
});

describe("LSUB (RFC 3501 §6.3.9)", () => {
  test('LSUB with "%" returns an unsubscribed parent of a subscribed mailbox as \\Noselect', async () => {
    const c = await session();
    await ok(c, 'CREATE "foo/bar"');
    await ok(c, 'SUBSCRIBE "foo/bar"');
    expect(named(await ok(c, 'LSUB "" "f%"'))).toEqual(["(\\Noselect) foo"]);
    expect(named(await ok(c, 'LSUB "" "foo/%"'))).toEqual(["() foo/bar"]);
    await c.close();
  });

  test("LSUB never returns an unsubscribed name when no wildcard ends the pattern", async () => {
    const c = await session();
    await ok(c, 'CREATE "foo/bar"');
    await ok(c, 'SUBSCRIBE "foo/bar"');
    expect(named(await ok(c, 'LSUB "" "f*"'))).toEqual(["() foo/bar"]);
    expect(await ok(c, 'LSUB "" "foo"')).toEqual([]);
    await c.close();
  });

  test("a subscribed parent is returned without \\Noselect", async () => {
    const c = await session();
    await ok(c, 'CREATE "foo/bar"');
    await ok(c, "SUBSCRIBE foo");
    await ok(c, 'SUBSCRIBE "foo/bar"');
    expect(named(await ok(c, 'LSUB "" "f%"'))).toEqual(["() foo"]);
    await c.close();
  });

  test("the examples of RFC 3501 §6.3.9, with / as the delimiter", async () => {
    const c = await session();
    for (const name of ["news/comp/mail/misc", "news/comp/mail/mime", "news/comp/mail/sanity"])
      await ok(c, `CREATE "${name}"`);
    await ok(c, 'SUBSCRIBE "news/comp/mail/misc"');
    await ok(c, 'SUBSCRIBE "news/comp/mail/mime"');
    expect(named(await ok(c, 'LSUB "news/" "comp/mail/*"'))).toEqual([
      "() news/comp/mail/mime",
      "() news/comp/mail/misc",
    ]);
    expect(named(await ok(c, 'LSUB "news/" "comp/%"'))).toEqual(["(\\Noselect) news/comp/mail"]);
    await c.close();
  });
});
