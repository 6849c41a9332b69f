/**
 * NOTIFY (RFC 5465) over real sockets: one session asks for events, a second session of the same
 * account causes them, and the first one hears of them without sending a command (between
 * commands and inside IDLE): the selected mailbox's EXISTS / EXPUNGE / FETCH (with MessageNew's
 * attributes), STATUS for other mailboxes by filter, LIST for names and subscriptions, METADATA for
 * annotations; NOTIFY NONE, SET STATUS, the bound on waiting notifications and bad arguments.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Listener } from "../../src/net/listener.ts";
import { extraImap } from "../abuse/helpers.ts";
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

/** Two sessions of one new account: `watcher` asks for notifications, `actor` causes them. */
async function pair(
  options: Parameters<typeof freshAccount>[1] = {},
  port = server.ports.imap!,
): Promise<{ watcher: ImapClient; actor: ImapClient; close(): Promise<void> }> {
  const address = await freshAccount(server, { recentTaken: true, ...options });
  const watcher = await ImapClient.login(port, address);
  const actor = await ImapClient.login(port, address);
  return {
    watcher,
    actor,
    async close() {
      await watcher.close();
      await actor.close();
    },
  };
}

async function ok(client: ImapClient, command: string) {
  const r = await client.command(command);
  expect(`${r.status} ${r.text}`).toStartWith("OK");
  return r;
}

const MESSAGE = "From: a@remote.example\r\nSubject: new one\r\n\r\nhello\r\n";

describe("NOTIFY", () => {
  test("NOTIFY is advertised after login", async () => {
    const { watcher, close } = await pair();
    expect((await watcher.command("CAPABILITY")).untagged[0]).toContain(" NOTIFY");
    await close();
  });

  test("selected: a new message comes as EXISTS and a FETCH of MessageNew's attributes, unasked", async () => {
    const { watcher, actor, close } = await pair({ messages: 1 });
    await ok(watcher, "SELECT INBOX");
    await ok(watcher, "NOTIFY SET (selected (MessageNew (UID FLAGS ENVELOPE) MessageExpunge FlagChange))");
    await ok(actor, `APPEND INBOX (\\Seen) {${MESSAGE.length}+}\r\n${MESSAGE}`);
    expect(await watcher.readResponseLine()).toBe("* 2 EXISTS");
    // The first session to hear of a new message takes its \Recent (RFC 3501 §2.3.2).
    expect(await watcher.readResponseLine()).toBe("* 1 RECENT");
    const fetched = await watcher.readResponseLine();
    expect(fetched).toStartWith("* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent) ENVELOPE (");
    expect(fetched).toContain('"new one"');
    await close();
  });

  test("selected: another session's flag change and expunge come at once", async () => {
    const { watcher, actor, close } = await pair({ messages: 2 });
    await ok(watcher, "SELECT INBOX");
    await ok(watcher, "NOTIFY SET (selected (MessageNew MessageExpunge FlagChange))");
    await ok(actor, "SELECT INBOX");
    await ok(actor, "STORE 1 +FLAGS.SILENT (\\Flagged)");
    expect(await watcher.readResponseLine()).toBe("* 1 FETCH (UID 1 FLAGS (\\Flagged))");
    await ok(actor, "STORE 2 +FLAGS.SILENT (\\Deleted)");
    expect(await watcher.readResponseLine()).toBe("* 2 FETCH (UID 2 FLAGS (\\Deleted))");
    await ok(actor, "EXPUNGE");
    expect(await watcher.readResponseLine()).toBe("* 2 EXPUNGE");
    await close();
  });

  test("selected without FlagChange: another session's flag change waits for the next command", async () => {
    const { watcher, actor, close } = await pair({ messages: 1 });
    await ok(watcher, "SELECT INBOX");
    await ok(watcher, "NOTIFY SET (selected (MessageNew MessageExpunge)) (personal (MailboxName))");
    await ok(actor, "SELECT INBOX");
    await ok(actor, "STORE 1 +FLAGS.SILENT (\\Flagged)");
    await ok(actor, "CREATE Marker");
    expect(await watcher.readResponseLine()).toBe('* LIST () "/" Marker');
    expect((await ok(watcher, "NOOP")).untagged).toEqual(["1 FETCH (UID 1 FLAGS (\\Flagged))"]);
    await close();
  });

  test("selected-delayed: EXPUNGE waits for the next command that may carry it", async () => {
    const { watcher, actor, close } = await pair({ messages: 2, deleted: [2] });
    await ok(watcher, "SELECT INBOX");
    await ok(watcher, "NOTIFY SET (selected-delayed (MessageNew MessageExpunge)) (personal (MailboxName))");
    await ok(actor, "SELECT INBOX");
    await ok(actor, "EXPUNGE");
    // A later event that does come at once: nothing about the expunge went out before it.
    await ok(actor, "CREATE Marker");
    expect(await watcher.readResponseLine()).toBe('* LIST () "/" Marker');
    const noop = await ok(watcher, "NOOP");
    expect(noop.untagged).toEqual(["2 EXPUNGE"]);
    await close();
  });

  test("other mailboxes: a message event sends STATUS; the filter decides which mailboxes", async () => {
    const { watcher, actor, close } = await pair({ mailboxes: ["Lists", "Lists/ietf", "Other"] });
    await ok(watcher, "SELECT INBOX");
    await ok(
      watcher,
      "NOTIFY SET (selected (MessageNew MessageExpunge)) (subtree Lists (MessageNew MessageExpunge)) (mailboxes Archive (MessageNew MessageExpunge FlagChange))",
    );
    await ok(actor, `APPEND Other {${MESSAGE.length}+}\r\n${MESSAGE}`);
    await ok(actor, `APPEND Lists/ietf {${MESSAGE.length}+}\r\n${MESSAGE}`);
    expect(await watcher.readResponseLine()).toBe(
      "* STATUS Lists/ietf (MESSAGES 1 UIDNEXT 2 UIDVALIDITY " +
        (await uidValidity(actor, "Lists/ietf")) +
        " UNSEEN 1)",
    );
    await ok(actor, `APPEND Archive (\\Seen) {${MESSAGE.length}+}\r\n${MESSAGE}`);
    expect(await watcher.readResponseLine()).toMatch(
      /^\* STATUS Archive \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 0\)$/,
    );
    await close();
  });

  test("inboxes is INBOX: a delivery there is a STATUS when another mailbox is selected", async () => {
    const { watcher, actor, close } = await pair();
    await ok(watcher, "SELECT Archive");
    await ok(watcher, "NOTIFY SET (inboxes (MessageNew MessageExpunge))");
    await ok(actor, `APPEND Drafts {${MESSAGE.length}+}\r\n${MESSAGE}`);
    await ok(actor, `APPEND INBOX {${MESSAGE.length}+}\r\n${MESSAGE}`);
    expect(await watcher.readResponseLine()).toMatch(
      /^\* STATUS INBOX \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1\)$/,
    );
    await close();
  });

  test("MailboxName: CREATE, RENAME and DELETE by another session come as LIST", async () => {
    const { watcher, actor, close } = await pair();
    await ok(watcher, "NOTIFY SET (personal (MailboxName))");
    await ok(actor, "CREATE Projects");
    expect(await watcher.readResponseLine()).toBe('* LIST () "/" Projects');
    await ok(actor, "RENAME Projects Work");
    expect(await watcher.readResponseLine()).toBe('* LIST () "/" Work ("OLDNAME" (Projects))');
    await ok(actor, "DELETE Work");
    expect(await watcher.readResponseLine()).toBe('* LIST (\\NonExistent) "/" Work');
    await close();
  });

  test("SubscriptionChange: SUBSCRIBE and UNSUBSCRIBE come as LIST with or without \\Subscribed", async () => {
    const { watcher, actor, close } = await pair({ mailboxes: ["Travel"] });
    await ok(watcher, "NOTIFY SET (personal (SubscriptionChange))");
    await ok(actor, "SUBSCRIBE Travel");
    expect(await watcher.readResponseLine()).toBe('* LIST (\\Subscribed) "/" Travel');
    await ok(actor, "UNSUBSCRIBE Travel");
    expect(await watcher.readResponseLine()).toBe('* LIST () "/" Travel');
    await close();
  });

  test("MailboxMetadataChange and ServerMetadataChange come as METADATA with the entry names", async () => {
    const { watcher, actor, close } = await pair();
    await ok(watcher, "NOTIFY SET (personal (MailboxMetadataChange ServerMetadataChange))");
    await ok(actor, 'SETMETADATA INBOX (/private/comment "x" /shared/comment "y")');
    expect(await watcher.readResponseLine()).toBe("* METADATA INBOX /private/comment /shared/comment");
    await ok(actor, 'SETMETADATA "" (/private/motd "hi")');
    expect(await watcher.readResponseLine()).toBe('* METADATA "" /private/motd');
    await close();
  });

  test("inside IDLE notifications flow too", async () => {
    const { watcher, actor, close } = await pair();
    await ok(watcher, "NOTIFY SET (personal (MailboxName))");
    watcher.write("I1 IDLE\r\n");
    expect(await watcher.readResponseLine()).toStartWith("+");
    await ok(actor, "CREATE During");
    expect(await watcher.readResponseLine()).toBe('* LIST () "/" During');
    watcher.write("DONE\r\n");
    expect((await watcher.readUntilTagged("I1")).status).toBe("OK");
    await close();
  });

  test("through COMPRESS each notification is flushed on its own: it arrives while the client waits", async () => {
    const { watcher, actor, close } = await pair({ mailboxes: ["Box"] });
    expect((await watcher.compress()).status).toBe("OK");
    await ok(watcher, "NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))");
    await ok(actor, "CREATE Compressed");
    expect(await watcher.readResponseLine()).toBe('* LIST () "/" Compressed');
    await ok(actor, `APPEND Box {${MESSAGE.length}+}\r\n${MESSAGE}`);
    expect(await watcher.readResponseLine()).toMatch(/^\* STATUS Box \(MESSAGES 1 UIDNEXT 2 /);
    await close();
  });

  test("NOTIFY SET STATUS sends a STATUS for every mailbox concerned before its OK", async () => {
    const { watcher, close } = await pair({ mailboxes: ["Lists", "Lists/a"], messages: 2 });
    await ok(watcher, "SELECT Lists");
    const r = await ok(watcher, "NOTIFY SET STATUS (subtree (Lists INBOX) (MessageNew MessageExpunge))");
    expect(r.untagged.length).toBe(2);
    expect(r.untagged[0]).toMatch(/^STATUS INBOX \(MESSAGES 2 UIDNEXT 3 UIDVALIDITY \d+ UNSEEN 2\)$/);
    expect(r.untagged[1]).toMatch(/^STATUS Lists\/a \(MESSAGES 0 UIDNEXT 1/);
    await close();
  });

  test("NOTIFY NONE stops notifications; events then wait for the usual end-of-command reporting", async () => {
    const { watcher, actor, close } = await pair();
    await ok(watcher, "NOTIFY SET (personal (MailboxName))");
    await ok(watcher, "NOTIFY NONE");
    await ok(actor, "CREATE Quiet");
    const noop = await ok(watcher, "NOOP");
    expect(noop.untagged).toEqual([]);
    await close();
  });

  test("a second NOTIFY SET replaces the first", async () => {
    const { watcher, actor, close } = await pair();
    await ok(watcher, "NOTIFY SET (personal (MailboxName))");
    await ok(watcher, "NOTIFY SET (personal (SubscriptionChange))");
    await ok(actor, "CREATE Replaced");
    await ok(actor, "SUBSCRIBE Replaced");
    expect(await watcher.readResponseLine()).toBe('* LIST (\\Subscribed) "/" Replaced');
    await close();
  });

  test("NOTIFY naming more than 100 mailboxes is NO [LIMIT]", async () => {
    const { watcher, close } = await pair();
    const names = Array.from({ length: 101 }, (_, i) => `box${i}`).join(" ");
    const r = await watcher.command(`NOTIFY SET (mailboxes (${names}) (MessageNew MessageExpunge))`);
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[LIMIT]");
    await ok(
      watcher,
      `NOTIFY SET (mailboxes (${names.split(" ").slice(0, 100).join(" ")}) (MessageNew MessageExpunge))`,
    );
    await close();
  });

  test.each([
    // RFC 5465 §5: AnnotationChange, like FlagChange, needs MessageNew and MessageExpunge, or BAD;
    // with them it is an event we do not support: NO (not BAD) [BADEVENT (all we support)] (§3.1).
    ["NOTIFY SET (personal (AnnotationChange))", "BAD", ""],
    ["NOTIFY SET (personal (MessageNew annotationchange))", "BAD", ""],
    ["NOTIFY SET (personal (MessageNew MessageExpunge AnnotationChange))", "NO", "[BADEVENT ("],
    ["NOTIFY SET (selected (MessageNew MessageExpunge AnnotationChange))", "NO", "[BADEVENT ("],
    ["NOTIFY SET (personal (MessageNew MessageExpunge Weather))", "NO", "[BADEVENT ("],
    ["NOTIFY SET (personal (MessageNew))", "BAD", ""],
    ["NOTIFY SET (personal (MessageExpunge))", "BAD", ""],
    ["NOTIFY SET (personal (FlagChange))", "BAD", ""],
    ["NOTIFY SET (personal (MessageNew (UID) MessageExpunge))", "BAD", ""],
    ["NOTIFY SET (selected (MessageNew (BODY[]) MessageExpunge))", "BAD", ""],
    ["NOTIFY SET (selected (MessageNew (NOSUCHITEM) MessageExpunge))", "BAD", ""],
    ["NOTIFY SET (selected (MailboxName))", "BAD", ""],
    ["NOTIFY SET (selected NONE) (selected-delayed NONE)", "BAD", ""],
    ["NOTIFY SET (everywhere (MailboxName))", "BAD", ""],
    ["NOTIFY SET (subtree (MailboxName))", "BAD", ""],
    ["NOTIFY SET (personal ())", "BAD", ""],
    ["NOTIFY SET", "BAD", ""],
    ["NOTIFY", "BAD", ""],
    ["NOTIFY SOMETIMES", "BAD", ""],
    ["NOTIFY NONE extra", "BAD", ""],
  ])("%s is %s", async (command, status, code) => {
    const { watcher, close } = await pair();
    const r = await watcher.command(command);
    expect(r.status).toBe(status);
    expect(r.text).toStartWith(code);
    // §3.1: BADEVENT "MUST list names of all events supported by the server".
    if (code)
      expect(r.text).toStartWith(
        "[BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange MailboxMetadataChange ServerMetadataChange)] ",
      );
    expect((await watcher.command("NOOP")).status).toBe("OK");
    await close();
  });
});

describe("NOTIFY's bound", () => {
  let limited: Listener;

  beforeAll(async () => {
    limited = await extraImap(server, { notifyQueueLimit: 3 });
  });

  afterAll(async () => {
    await limited.close();
  });

  test("events wait while a command is under way; past the bound the client gets NOTIFICATIONOVERFLOW and no more", async () => {
    const { watcher, actor, close } = await pair({}, limited.port);
    await ok(watcher, "NOTIFY SET (personal (MailboxName))");
    // The watcher is in the middle of a command (an APPEND waiting for its literal): nothing is sent.
    watcher.write(`P1 APPEND Drafts {${MESSAGE.length}}\r\n`);
    expect(await watcher.readResponseLine()).toStartWith("+");
    for (const name of ["a1", "a2", "a3", "a4", "a5"]) await ok(actor, `CREATE ${name}`);
    watcher.write(`${MESSAGE}\r\n`);
    const appended = await watcher.readUntilTagged("P1");
    expect(appended.status).toBe("OK");
    expect(appended.untagged).toEqual([]);
    expect(await watcher.readResponseLine()).toStartWith("* OK [NOTIFICATIONOVERFLOW]");
    await ok(actor, "CREATE after");
    expect((await ok(watcher, "NOOP")).untagged).toEqual([]);
    await close();
  });

  test("under the bound, events held during a command go out after it, in order", async () => {
    const { watcher, actor, close } = await pair({}, limited.port);
    await ok(watcher, "NOTIFY SET (personal (MailboxName))");
    watcher.write(`P1 APPEND Drafts {${MESSAGE.length}}\r\n`);
    expect(await watcher.readResponseLine()).toStartWith("+");
    await ok(actor, "CREATE b1");
    await ok(actor, "CREATE b2");
    watcher.write(`${MESSAGE}\r\n`);
    expect((await watcher.readUntilTagged("P1")).status).toBe("OK");
    expect(await watcher.readResponseLine()).toBe('* LIST () "/" b1');
    expect(await watcher.readResponseLine()).toBe('* LIST () "/" b2');
    await close();
  });
});

async function uidValidity(client: ImapClient, mailbox: string): Promise<string> {
  const r = await client.command(`STATUS ${mailbox} (UIDVALIDITY)`);
  return /UIDVALIDITY (\d+)/.exec(r.untagged[0]!)![1]!;
}
