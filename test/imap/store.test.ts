/** STORE and UID STORE over real sockets: the flag forms, .SILENT, keywords, CONDSTORE's UNCHANGEDSINCE. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  accountGet,
  flagNames,
  mailboxGet,
  messagesExpunge,
  messagesOfMailbox,
} from "../../src/store/mod.ts";
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

/** Flags of each INBOX message by UID, as the store has them. */
async function storedFlags(address: string): Promise<Map<number, string[]>> {
  const account = await accountGet(server.store.read, address);
  const box = await mailboxGet(server.store.read, account.id, "INBOX");
  const messages = await messagesOfMailbox(server.store.read, box.id);
  return new Map(messages.map((m) => [m.uid, flagNames(m.flags, m.keywords)]));
}

async function selectedClient(address: string, select = "SELECT INBOX"): Promise<ImapClient> {
  const client = await ImapClient.login(port, address);
  const r = await client.command(select);
  expect(r.status).toBe("OK");
  return client;
}

const modseqOf = (line: string) => Number(/MODSEQ \((\d+)\)/.exec(line)?.[1]);

describe("STORE forms", () => {
  // Each row starts from messages 1 and 2 flagged \Seen, message 3 without flags.
  const cases: Array<{ name: string; command: string; untagged: string[]; after: Record<number, string[]> }> =
    [
      {
        name: "+FLAGS adds to the existing flags",
        command: "STORE 1:2 +FLAGS (\\Flagged)",
        untagged: ["1 FETCH (FLAGS (\\Seen \\Flagged))", "2 FETCH (FLAGS (\\Seen \\Flagged))"],
        after: { 1: ["\\Seen", "\\Flagged"], 2: ["\\Seen", "\\Flagged"], 3: [] },
      },
      {
        name: "-FLAGS removes only the named flags",
        command: "STORE 1 -FLAGS (\\Seen)",
        untagged: ["1 FETCH (FLAGS ())"],
        after: { 1: [], 2: ["\\Seen"], 3: [] },
      },
      {
        name: "FLAGS replaces the whole set",
        command: "STORE 1:3 FLAGS (\\Answered \\Draft)",
        untagged: [
          "1 FETCH (FLAGS (\\Answered \\Draft))",
          "2 FETCH (FLAGS (\\Answered \\Draft))",
          "3 FETCH (FLAGS (\\Answered \\Draft))",
        ],
        after: { 1: ["\\Answered", "\\Draft"], 2: ["\\Answered", "\\Draft"], 3: ["\\Answered", "\\Draft"] },
      },
      {
        name: "FLAGS () clears every flag",
        command: "STORE 1:* FLAGS ()",
        untagged: ["1 FETCH (FLAGS ())", "2 FETCH (FLAGS ())", "3 FETCH (FLAGS ())"],
        after: { 1: [], 2: [], 3: [] },
      },
      {
        name: "flags without parentheses are accepted",
        command: "STORE 3 +FLAGS \\Deleted \\Flagged",
        untagged: ["3 FETCH (FLAGS (\\Flagged \\Deleted))"],
        after: { 1: ["\\Seen"], 2: ["\\Seen"], 3: ["\\Flagged", "\\Deleted"] },
      },
      {
        name: "the item name and system flags are case-insensitive",
        command: "store 3 +flags (\\SEEN)",
        untagged: ["3 FETCH (FLAGS (\\Seen))"],
        after: { 1: ["\\Seen"], 2: ["\\Seen"], 3: ["\\Seen"] },
      },
      {
        name: "\\Recent is ignored",
        command: "STORE 3 +FLAGS (\\Recent \\Answered)",
        untagged: ["3 FETCH (FLAGS (\\Answered))"],
        after: { 1: ["\\Seen"], 2: ["\\Seen"], 3: ["\\Answered"] },
      },
      {
        name: "keywords are stored next to system flags",
        command: "STORE 2:3 +FLAGS ($Forwarded Work)",
        // RFC 3501 §7.2.6: Work is new to the mailbox, so FLAGS and PERMANENTFLAGS announce it first.
        untagged: [
          "FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $MDNSent $Junk $NotJunk $Phishing Work)",
          "OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $MDNSent $Junk $NotJunk $Phishing Work \\*)] Flags permitted",
          "2 FETCH (FLAGS (\\Seen $Forwarded Work))",
          "3 FETCH (FLAGS ($Forwarded Work))",
        ],
        after: { 1: ["\\Seen"], 2: ["\\Seen", "$Forwarded", "Work"], 3: ["$Forwarded", "Work"] },
      },
      {
        name: "+FLAGS.SILENT changes flags without any FETCH",
        command: "STORE 1:3 +FLAGS.SILENT (\\Flagged)",
        untagged: [],
        after: { 1: ["\\Seen", "\\Flagged"], 2: ["\\Seen", "\\Flagged"], 3: ["\\Flagged"] },
      },
      {
        name: "-FLAGS.SILENT removes without any FETCH",
        command: "STORE 1:3 -FLAGS.SILENT (\\Seen)",
        untagged: [],
        after: { 1: [], 2: [], 3: [] },
      },
    ];

  for (const c of cases) {
    test(`STORE: ${c.name}`, async () => {
      const address = await freshAccount(server, { messages: 3, recentTaken: true });
      const client = await selectedClient(address);
      expect((await client.command("STORE 1:2 +FLAGS.SILENT (\\Seen)")).status).toBe("OK");
      const r = await client.command(c.command);
      expect(r.status).toBe("OK");
      expect(r.untagged).toEqual(c.untagged);
      const flags = await storedFlags(address);
      for (const [uid, expected] of Object.entries(c.after)) {
        expect(flags.get(Number(uid))?.sort()).toEqual([...expected].sort());
      }
      // The client has been told (or, with .SILENT, knows): nothing is echoed at the next NOOP.
      expect((await client.command("NOOP")).untagged).toEqual([]);
      await client.close();
    });
  }

  test("UID STORE names messages by UID and reports UID in each FETCH", async () => {
    const address = await freshAccount(server, { messages: 4, recentTaken: true });
    const account = await accountGet(server.store.read, address);
    const box = await mailboxGet(server.store.read, account.id, "INBOX");
    await server.store.write((w) => messagesExpunge(w, box, [1, 2]));
    const client = await selectedClient(address);
    const r = await client.command("UID STORE 4 +FLAGS (\\Seen)");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual(["2 FETCH (UID 4 FLAGS (\\Seen))"]);
    expect((await storedFlags(address)).get(4)).toEqual(["\\Seen"]);
    await client.close();
  });

  test("UID STORE of UIDs that do not exist changes nothing and says OK", async () => {
    const address = await freshAccount(server, { messages: 2, recentTaken: true });
    const client = await selectedClient(address);
    const r = await client.command("UID STORE 50:60 +FLAGS (\\Seen)");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual([]);
    await client.close();
  });

  test("STORE of flags a message already has still reports its flags and keeps its MODSEQ", async () => {
    const address = await freshAccount(server, { messages: 1, recentTaken: true });
    const client = await selectedClient(address, "SELECT INBOX (CONDSTORE)");
    const first = await client.command("STORE 1 +FLAGS (\\Seen)");
    const again = await client.command("STORE 1 +FLAGS (\\Seen)");
    expect(again.untagged).toEqual([first.untagged[0]!]);
    await client.close();
  });
});

describe("STORE refusals", () => {
  const bad = [
    "STORE 1 FLAGS",
    "STORE 1 +FLAGS",
    "STORE 1 FLAGS (\\Seen",
    "STORE 1 BODY (\\Seen)",
    "STORE 1 +FLAGS.LOUD (\\Seen)",
    "STORE 1 +FLAGS (\\Bogus)",
    "STORE 1 +FLAGS (\\*)",
    "STORE 0 +FLAGS (\\Seen)",
    "STORE x +FLAGS (\\Seen)",
    "STORE 1 (FOO 1) +FLAGS (\\Seen)",
    "STORE 1 (UNCHANGEDSINCE) +FLAGS (\\Seen)",
    "STORE 1 (UNCHANGEDSINCE 5 UNCHANGEDSINCE 6) +FLAGS (\\Seen)",
    "STORE 1 +FLAGS (\\Seen) extra",
    `STORE 1 +FLAGS (${"k".repeat(300)})`,
    `STORE 1 +FLAGS (${Array.from({ length: 150 }, (_, i) => `kw${i}`).join(" ")})`,
  ];
  for (const command of bad) {
    test(`STORE is BAD and changes nothing: ${command.slice(0, 60)}`, async () => {
      const address = await freshAccount(server, { messages: 1, recentTaken: true });
      const client = await selectedClient(address);
      expect((await client.command(command)).status).toBe("BAD");
      expect((await storedFlags(address)).get(1)).toEqual([]);
      expect((await client.command("NOOP")).status).toBe("OK");
      await client.close();
    });
  }

  test("STORE in a mailbox opened with EXAMINE is NO [READ-ONLY]", async () => {
    const address = await freshAccount(server, { messages: 1, recentTaken: true });
    const client = await selectedClient(address, "EXAMINE INBOX");
    const r = await client.command("STORE 1 +FLAGS (\\Seen)");
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[READ-ONLY]");
    expect((await storedFlags(address)).get(1)).toEqual([]);
    await client.close();
  });

  test("STORE outside the selected state is BAD", async () => {
    const address = await freshAccount(server, { messages: 1, recentTaken: true });
    const client = await ImapClient.login(port, address);
    expect((await client.command("STORE 1 +FLAGS (\\Seen)")).status).toBe("BAD");
    await client.close();
  });

  test("a message can carry at most 100 keywords, added over several commands", async () => {
    const address = await freshAccount(server, { messages: 1, recentTaken: true });
    const client = await selectedClient(address);
    const batch = (from: number) => Array.from({ length: 60 }, (_, i) => `k${from + i}`).join(" ");
    expect((await client.command(`STORE 1 +FLAGS.SILENT (${batch(0)})`)).status).toBe("OK");
    const r = await client.command(`STORE 1 +FLAGS.SILENT (${batch(60)})`);
    expect(r.status).toBe("NO");
    expect((await storedFlags(address)).get(1)).toHaveLength(60);
    await client.close();
  });
});

describe("CONDSTORE", () => {
  test("with CONDSTORE enabled each FETCH of STORE carries the new MODSEQ, as the store has it", async () => {
    const address = await freshAccount(server, { messages: 2, recentTaken: true });
    const client = await selectedClient(address, "SELECT INBOX (CONDSTORE)");
    const r = await client.command("STORE 1:2 +FLAGS (\\Seen)");
    expect(r.untagged).toHaveLength(2);
    expect(r.untagged[0]).toMatch(/^1 FETCH \(FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$/);
    const account = await accountGet(server.store.read, address);
    const box = await mailboxGet(server.store.read, account.id, "INBOX");
    const stored = await messagesOfMailbox(server.store.read, box.id);
    expect(modseqOf(r.untagged[0]!)).toBe(stored[0]!.modseq);
    expect(modseqOf(r.untagged[1]!)).toBe(stored[1]!.modseq);
    await client.close();
  });

  test("STORE .SILENT with CONDSTORE still sends the MODSEQ of each changed message", async () => {
    const address = await freshAccount(server, { messages: 2, recentTaken: true });
    const client = await selectedClient(address, "SELECT INBOX (CONDSTORE)");
    const r = await client.command("UID STORE 1:2 +FLAGS.SILENT (\\Seen)");
    expect(r.untagged).toHaveLength(2);
    expect(r.untagged[0]).toMatch(/^1 FETCH \(UID 1 MODSEQ \(\d+\)\)$/);
    expect((await client.command("NOOP")).untagged).toEqual([]);
    await client.close();
  });

  test("UNCHANGEDSINCE leaves newer messages alone and lists their numbers in [MODIFIED]", async () => {
    const address = await freshAccount(server, { messages: 3, recentTaken: true });
    const client = await selectedClient(address, "SELECT INBOX (CONDSTORE)");
    const first = await client.command("STORE 1:3 +FLAGS (\\Seen)");
    const since = modseqOf(first.untagged[0]!);
    expect((await client.command("STORE 2 +FLAGS (\\Flagged)")).status).toBe("OK");
    const r = await client.command(`STORE 1:3 (UNCHANGEDSINCE ${since}) +FLAGS (\\Answered)`);
    expect(r.status).toBe("OK");
    expect(r.text).toBe("[MODIFIED 2] Conditional STORE failed");
    expect(r.untagged.map((l) => l.replace(/ MODSEQ \(\d+\)/, ""))).toEqual([
      "1 FETCH (FLAGS (\\Seen \\Answered))",
      "3 FETCH (FLAGS (\\Seen \\Answered))",
    ]);
    const flags = await storedFlags(address);
    expect(flags.get(2)).toEqual(["\\Seen", "\\Flagged"]);
    expect(flags.get(3)).toEqual(["\\Seen", "\\Answered"]);
    await client.close();
  });

  test("UID STORE UNCHANGEDSINCE reports UIDs in [MODIFIED], STORE reports sequence numbers", async () => {
    const address = await freshAccount(server, { messages: 4, recentTaken: true });
    const account = await accountGet(server.store.read, address);
    const box = await mailboxGet(server.store.read, account.id, "INBOX");
    await server.store.write((w) => messagesExpunge(w, box, [1]));
    const client = await selectedClient(address, "SELECT INBOX (CONDSTORE)");
    const base = modseqOf((await client.command("UID STORE 2:4 +FLAGS (\\Seen)")).untagged[0]!);
    await client.command("UID STORE 3 +FLAGS (\\Flagged)");
    const byUid = await client.command(`UID STORE 2:4 (UNCHANGEDSINCE ${base}) +FLAGS (\\Draft)`);
    expect(byUid.text).toStartWith("[MODIFIED 3]");
    const bySeq = await client.command(`STORE 1:3 (UNCHANGEDSINCE ${base}) -FLAGS (\\Seen)`);
    // UIDs 2 and 4 now carry \Draft (newer than `base`) and UID 3 \Flagged: all fail.
    expect(bySeq.text).toStartWith("[MODIFIED 1:3]");
    expect(bySeq.untagged).toEqual([]);
    await client.close();
  });

  test("UNCHANGEDSINCE 0 fails for every message", async () => {
    const address = await freshAccount(server, { messages: 2, recentTaken: true });
    const client = await selectedClient(address);
    const r = await client.command("STORE 1:2 (UNCHANGEDSINCE 0) +FLAGS (\\Seen)");
    expect(r.status).toBe("OK");
    expect(r.text).toStartWith("[MODIFIED 1:2]");
    expect((await storedFlags(address)).get(1)).toEqual([]);
    await client.close();
  });

  test("UNCHANGEDSINCE enables CONDSTORE: its FETCH and later ones carry MODSEQ", async () => {
    const address = await freshAccount(server, { messages: 2, recentTaken: true });
    const client = await selectedClient(address);
    expect((await client.command("STORE 1 +FLAGS (\\Seen)")).untagged).toEqual(["1 FETCH (FLAGS (\\Seen))"]);
    const r = await client.command("STORE 1 (UNCHANGEDSINCE 1000000) +FLAGS (\\Flagged)");
    expect(r.untagged[0]).toMatch(/^1 FETCH \(FLAGS \(\\Seen \\Flagged\) MODSEQ \(\d+\)\)$/);
    expect((await client.command("STORE 2 +FLAGS (\\Seen)")).untagged[0]).toMatch(/MODSEQ \(\d+\)\)$/);
    await client.close();
  });
});
