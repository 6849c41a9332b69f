/**
 * Two sessions on one mailbox, and the other ways mail changes (SMTP, the store as POP3 uses it, the
 * REST API): each session hears of the others' changes at the points RFC 3501 §7 allows, EXPUNGE
 * never during a non-UID FETCH, STORE or SEARCH (§7.4.1), and at once while it IDLEs (RFC 2177).
 */
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
import { sendMail } from "../harness/smtp-client.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.imap!;
});

afterAll(async () => {
  await server.close();
});

/** Two sessions of the same account, both with INBOX selected. */
async function twoSessions(address: string): Promise<[ImapClient, ImapClient]> {
  const a = await ImapClient.login(port, address);
  const b = await ImapClient.login(port, address);
  expect((await a.command("SELECT INBOX")).status).toBe("OK");
  expect((await b.command("SELECT INBOX")).status).toBe("OK");
  return [a, b];
}

async function inbox(address: string) {
  const account = await accountGet(server.store.read, address);
  return mailboxGet(server.store.read, account.id, "INBOX");
}

async function storedFlags(address: string): Promise<Map<number, string[]>> {
  const messages = await messagesOfMailbox(server.store.read, (await inbox(address)).id);
  return new Map(messages.map((m) => [m.uid, flagNames(m.flags, m.keywords)]));
}

/** Reads response lines until one matches, returning all of them. */
async function readUntil(client: ImapClient, last: RegExp): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    const line = await client.readResponseLine();
    lines.push(line);
    if (last.test(line)) return lines;
  }
}

const isExpunge = (line: string) => /^\d+ EXPUNGE$/.test(line) || line.startsWith("VANISHED");

describe("changes reach the other session at its next command", () => {
  test("A's STORE reaches B as an unsolicited FETCH with UID and FLAGS at B's NOOP", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const [a, b] = await twoSessions(address);
    expect((await a.command("STORE 2 +FLAGS (\\Seen $Work)")).status).toBe("OK");
    // $Work is new to the mailbox: B hears of it in FLAGS first (RFC 3501 §7.2.6).
    expect((await b.command("NOOP")).untagged).toEqual([
      "FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $MDNSent $Junk $NotJunk $Phishing $Work)",
      "OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded $MDNSent $Junk $NotJunk $Phishing $Work \\*)] Flags permitted",
      "2 FETCH (UID 2 FLAGS (\\Seen $Work))",
    ]);
    expect((await b.command("NOOP")).untagged).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  test("A's STORE .SILENT is still reported to B", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const [a, b] = await twoSessions(address);
    expect((await a.command("STORE 1 +FLAGS.SILENT (\\Flagged)")).untagged).toEqual([]);
    expect((await b.command("NOOP")).untagged).toEqual(["1 FETCH (UID 1 FLAGS (\\Flagged))"]);
    await Promise.all([a.close(), b.close()]);
  });

  test("with CONDSTORE enabled in B, the unsolicited FETCH carries MODSEQ", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const [a, b] = await twoSessions(address);
    await b.command("ENABLE CONDSTORE");
    await a.command("STORE 1 +FLAGS (\\Seen)");
    const [line] = (await b.command("NOOP")).untagged;
    const [m] = await messagesOfMailbox(server.store.read, (await inbox(address)).id);
    expect(line).toBe(`1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (${m!.modseq}))`);
    await Promise.all([a.close(), b.close()]);
  });

  test("A's EXPUNGE reaches B at NOOP but not during B's FETCH, STORE or SEARCH, whose numbers stay valid", async () => {
    const address = await freshAccount(server, { messages: 3 });
    const [a, b] = await twoSessions(address);
    await a.command("STORE 1 +FLAGS.SILENT (\\Deleted)");
    expect((await a.command("EXPUNGE")).untagged).toEqual(["1 EXPUNGE"]);

    // The FETCH and SEARCH handlers belong to other files; whatever they answer, no EXPUNGE may come.
    expect((await b.command("FETCH 1:3 (FLAGS)")).untagged.filter(isExpunge)).toEqual([]);
    expect((await b.command("SEARCH ALL")).untagged.filter(isExpunge)).toEqual([]);
    // B still numbers UID 3 as message 3.
    const stored = await b.command("STORE 3 +FLAGS (\\Flagged)");
    expect(stored.untagged).toEqual(["3 FETCH (FLAGS (\\Flagged))"]);
    expect((await storedFlags(address)).get(3)).toEqual(["\\Flagged"]);

    expect((await b.command("NOOP")).untagged).toEqual(["1 EXPUNGE"]);
    // Now message 2 is UID 3.
    expect((await b.command("STORE 2 +FLAGS (\\Seen)")).untagged).toEqual([
      "2 FETCH (FLAGS (\\Seen \\Flagged))",
    ]);
    await Promise.all([a.close(), b.close()]);
  });

  test("B's UID STORE may report A's EXPUNGE, after its FETCH numbered in the view before it", async () => {
    const address = await freshAccount(server, { messages: 3 });
    const [a, b] = await twoSessions(address);
    await a.command("STORE 1 +FLAGS.SILENT (\\Deleted)");
    await a.command("EXPUNGE");
    const r = await b.command("UID STORE 3 +FLAGS (\\Seen)");
    expect(r.untagged).toEqual(["3 FETCH (UID 3 FLAGS (\\Seen))", "1 EXPUNGE"]);
    await Promise.all([a.close(), b.close()]);
  });

  test("B's STORE of a message A expunged meanwhile changes nothing and reports no EXPUNGE", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const [a, b] = await twoSessions(address);
    await a.command("STORE 2 +FLAGS.SILENT (\\Deleted)");
    await a.command("EXPUNGE");
    const r = await b.command("STORE 2 +FLAGS (\\Seen)");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual([]);
    expect((await b.command("NOOP")).untagged).toEqual(["2 EXPUNGE"]);
    await Promise.all([a.close(), b.close()]);
  });

  test("A's MOVE out of the mailbox reaches B as EXPUNGE at NOOP", async () => {
    const address = await freshAccount(server, { messages: 3 });
    const [a, b] = await twoSessions(address);
    expect((await a.command("MOVE 2 Trash")).status).toBe("OK");
    expect((await b.command("NOOP")).untagged).toEqual(["2 EXPUNGE"]);
    await Promise.all([a.close(), b.close()]);
  });

  test("A's APPEND and COPY into B's mailbox reach B as EXISTS", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const [a, b] = await twoSessions(address);
    await a.append("INBOX", "Subject: new\r\n\r\nhi\r\n");
    // A reported the new message first and took its \Recent (RFC 3501 §2.3.2).
    expect((await b.command("NOOP")).untagged).toEqual(["2 EXISTS", "0 RECENT"]);
    await a.command("COPY 1 INBOX");
    expect((await b.command("NOOP")).untagged).toEqual(["3 EXISTS", "0 RECENT"]);
    await Promise.all([a.close(), b.close()]);
  });

  test("an SMTP delivery reaches the session as EXISTS at NOOP", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const [a] = await twoSessions(address);
    const reply = await sendMail(
      server.ports.smtp!,
      "x@remote.example",
      [address],
      "Subject: ping\r\n\r\nhi\r\n",
    );
    expect(reply.code).toBe(250);
    expect((await a.command("NOOP")).untagged).toEqual(["2 EXISTS", "2 RECENT"]);
    await a.close();
  });

  test("a removal through the store, as POP3 makes it, reaches the session as EXPUNGE", async () => {
    const address = await freshAccount(server, { messages: 3 });
    const [a] = await twoSessions(address);
    const box = await inbox(address);
    await server.store.write((w) => messagesExpunge(w, box, [1, 3]));
    expect((await a.command("NOOP")).untagged).toEqual(["3 EXPUNGE", "1 EXPUNGE"]);
    await a.close();
  });

  test("a flag change through the REST API reaches the session as FETCH", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const [a] = await twoSessions(address);
    const [, second] = await messagesOfMailbox(server.store.read, (await inbox(address)).id);
    const res = await server.api(`/api/v1/accounts/${encodeURIComponent(address)}/messages/${second!.id}`, {
      method: "PATCH",
      json: { addFlags: ["\\Answered"] },
    });
    expect(res.status).toBe(200);
    expect((await a.command("NOOP")).untagged).toEqual(["2 FETCH (UID 2 FLAGS (\\Answered \\Recent))"]);
    await a.close();
  });

  test("a session that EXAMINEs the mailbox sees the changes too", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const a = await ImapClient.login(port, address);
    const b = await ImapClient.login(port, address);
    await a.command("SELECT INBOX");
    await b.command("EXAMINE INBOX");
    await a.command("STORE 1 +FLAGS.SILENT (\\Deleted)");
    await a.command("EXPUNGE");
    expect((await b.command("NOOP")).untagged).toEqual(["1 EXPUNGE"]);
    await Promise.all([a.close(), b.close()]);
  });
});

describe("IDLE", () => {
  test("B in IDLE sees A's STORE, APPEND and EXPUNGE as they commit", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const [a, b] = await twoSessions(address);
    b.write("i1 IDLE\r\n");
    expect(await b.readResponseLine()).toStartWith("+ ");

    await a.command("STORE 1 +FLAGS (\\Seen)");
    expect(await b.readResponseLine()).toBe("* 1 FETCH (UID 1 FLAGS (\\Seen))");

    await a.append("INBOX", "Subject: new\r\n\r\nhi\r\n");
    expect(await b.readResponseLine()).toBe("* 3 EXISTS");
    // B reported it first (as it committed, before A's APPEND answered), so B took its \Recent.
    expect(await b.readResponseLine()).toBe("* 1 RECENT");

    await a.command("STORE 2 +FLAGS.SILENT (\\Deleted)");
    expect(await b.readResponseLine()).toBe("* 2 FETCH (UID 2 FLAGS (\\Deleted))");
    await a.command("EXPUNGE");
    expect(await b.readResponseLine()).toBe("* 2 EXPUNGE");

    b.write("DONE\r\n");
    const done = await readUntil(b, /^i1 /);
    expect(done).toEqual(["i1 OK IDLE terminated"]);
    // Everything was reported during IDLE; B's view matches A's.
    expect((await b.command("NOOP")).untagged).toEqual([]);
    // Message 2 is now UID 3, the one B took \Recent for.
    expect((await b.command("STORE 2 +FLAGS (\\Flagged)")).untagged).toEqual([
      "2 FETCH (FLAGS (\\Flagged \\Recent))",
    ]);
    expect((await storedFlags(address)).get(3)).toEqual(["\\Flagged"]);
    await Promise.all([a.close(), b.close()]);
  });
});

describe("concurrent STOREs", () => {
  /** What a client believes after a STORE: its own .SILENT change applied at once, then each FETCH in order. */
  function apply(flags: string[], store: string): string[] {
    const [, sign, names] = /^([+-]?)FLAGS(?:\.SILENT)? \((.*)\)$/.exec(store)!;
    const list = names!.split(" ").filter(Boolean);
    if (sign === "+") return [...new Set([...flags, ...list])];
    if (sign === "-") return flags.filter((f) => !list.includes(f));
    return list;
  }
  function believe(before: string[], store: string, lines: string[]): string[] {
    let flags = store.includes(".SILENT") ? apply(before, store) : before;
    for (const line of lines) {
      const m = /^1 FETCH \(.*FLAGS \(([^)]*)\)/.exec(line);
      // \Recent is the session's, not the message's (RFC 3501 §2.3.2).
      if (m) flags = m[1]!.split(" ").filter((f) => f !== "" && f !== "\\Recent");
    }
    return flags.sort();
  }

  test("two sessions changing the same message at once both end up knowing its final flags", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const [a, b] = await twoSessions(address);
    const pairs: Array<[string, string]> = [
      ["+FLAGS (\\Seen)", "+FLAGS (\\Flagged)"],
      ["-FLAGS (\\Seen)", "+FLAGS (\\Answered)"],
      ["FLAGS (\\Draft)", "+FLAGS.SILENT (\\Seen)"],
      ["+FLAGS.SILENT (\\Flagged)", "-FLAGS.SILENT (\\Draft)"],
      ["FLAGS.SILENT (k1)", "FLAGS.SILENT (k2)"],
      ["+FLAGS (k3)", "-FLAGS.SILENT (k2)"],
      ["+FLAGS.SILENT (\\Seen)", "-FLAGS (\\Seen)"],
    ];
    let known = [...((await storedFlags(address)).get(1) ?? [])];
    for (let round = 0; round < 3; round++) {
      for (const [fromA, fromB] of pairs) {
        // Both commands are in flight together, so their writes often share one transaction.
        const [ra, rb] = await Promise.all([a.command(`STORE 1 ${fromA}`), b.command(`STORE 1 ${fromB}`)]);
        const [na, nb] = await Promise.all([a.command("NOOP"), b.command("NOOP")]);
        const final = (await storedFlags(address)).get(1)!.sort();
        expect(believe(known, fromA, [...ra.untagged, ...na.untagged])).toEqual(final);
        expect(believe(known, fromB, [...rb.untagged, ...nb.untagged])).toEqual(final);
        known = final;
      }
    }
    await Promise.all([a.close(), b.close()]);
  });

  test("a .SILENT STORE after another session's change, not yet reported, brings the final flags", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const [a, b] = await twoSessions(address);
    await a.command("STORE 1 +FLAGS (\\Answered)");
    const r = await b.command("STORE 1 +FLAGS.SILENT (\\Seen)");
    expect(r.untagged).toEqual(["1 FETCH (UID 1 FLAGS (\\Seen \\Answered))"]);
    expect((await b.command("NOOP")).untagged).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });
});
