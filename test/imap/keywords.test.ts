/**
 * Keywords are announced before they are shown (RFC 3501 §7.2.6, §7.4.2): SELECT lists the
 * mailbox's keywords in FLAGS and PERMANENTFLAGS, and when a keyword new to the mailbox comes into
 * use (STORE, APPEND, COPY, here or in another session) every session with the mailbox selected gets
 * FLAGS and OK [PERMANENTFLAGS] with it before any FETCH that shows it. Real sockets.
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

const SYSTEM = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
const WELL_KNOWN = "$Forwarded $MDNSent $Junk $NotJunk $Phishing";
const flags = (extra = "") => `FLAGS (${SYSTEM} ${WELL_KNOWN}${extra})`;
const permanent = (extra = "") => `OK [PERMANENTFLAGS (${SYSTEM} ${WELL_KNOWN}${extra} \\*)] Flags permitted`;

async function ok(client: ImapClient, command: string): Promise<string[]> {
  const r = await client.command(command);
  expect({ command, status: r.status, text: r.text }).toEqual({ command, status: "OK", text: r.text });
  return r.untagged;
}

async function selected(address: string, mailbox = "INBOX"): Promise<ImapClient> {
  const client = await ImapClient.login(server.ports.imap!, address);
  await ok(client, `SELECT ${mailbox}`);
  return client;
}

/** Checks that every keyword a FETCH shows was in a FLAGS line before it. */
function announcedBeforeUse(lines: string[], known: Set<string>): void {
  for (const line of lines) {
    const f = /^FLAGS \(([^)]*)\)$/.exec(line);
    if (f) for (const k of f[1]!.split(" ")) known.add(k);
    const m = /FETCH \(.*FLAGS \(([^)]*)\)/.exec(line);
    if (m)
      for (const k of m[1]!.split(" ").filter((x) => x && !x.startsWith("\\")))
        expect([line, known.has(k)]).toEqual([line, true]);
  }
}

describe("SELECT (RFC 3501 §7.2.6)", () => {
  test("SELECT lists the keywords in use in FLAGS and PERMANENTFLAGS", async () => {
    const address = await freshAccount(server, {
      messages: 2,
      keywords: { 1: ["Work"], 2: ["Home", "Work"] },
    });
    const client = await ImapClient.login(server.ports.imap!, address);
    const lines = await ok(client, "SELECT INBOX");
    expect(lines.slice(0, 2)).toEqual([flags(" Work Home"), permanent(" Work Home")]);
    await client.close();
  });

  test("EXAMINE lists them in FLAGS and permits none", async () => {
    const address = await freshAccount(server, { messages: 1, keywords: { 1: ["Work"] } });
    const client = await ImapClient.login(server.ports.imap!, address);
    const lines = await ok(client, "EXAMINE INBOX");
    expect(lines.slice(0, 2)).toEqual([flags(" Work"), "OK [PERMANENTFLAGS ()] Flags permitted"]);
    await client.close();
  });
});

describe("a keyword new to the mailbox", () => {
  test("STORE of a new keyword announces it in FLAGS before the FETCH that shows it", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const a = await selected(address);
    expect(await ok(a, "STORE 1 +FLAGS (Fresh)")).toEqual([
      flags(" Fresh"),
      permanent(" Fresh"),
      "1 FETCH (FLAGS (\\Recent Fresh))",
    ]);
    // Announced once: the next use says nothing more.
    expect(await ok(a, "STORE 1 FLAGS (Fresh \\Seen)")).toEqual(["1 FETCH (FLAGS (\\Seen \\Recent Fresh))"]);
    await a.close();
  });

  test("STORE .SILENT of a new keyword still announces it", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const a = await selected(address);
    expect(await ok(a, "STORE 1 +FLAGS.SILENT (Quiet)")).toEqual([flags(" Quiet"), permanent(" Quiet")]);
    await a.close();
  });

  test("a keyword another session stores reaches this one as FLAGS before the FETCH", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const a = await selected(address);
    const b = await selected(address);
    await ok(a, "STORE 2 +FLAGS (Shared)");
    expect(await ok(b, "NOOP")).toEqual([
      flags(" Shared"),
      permanent(" Shared"),
      "2 FETCH (UID 2 FLAGS (Shared))",
    ]);
    await Promise.all([a.close(), b.close()]);
  });

  test("a keyword APPENDed by another session is announced before this session's FETCH shows it", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const a = await selected(address);
    const b = await ImapClient.login(server.ports.imap!, address);
    expect((await b.append("INBOX", "Subject: kw\r\n\r\n.\r\n", "(Appended)")).status).toBe("OK");
    expect(await ok(a, "NOOP")).toEqual(["2 EXISTS", "2 RECENT"]);
    expect(await ok(a, "FETCH 1:* (UID FLAGS)")).toEqual([
      "1 FETCH (UID 1 FLAGS (\\Recent))",
      flags(" Appended"),
      permanent(" Appended"),
      "2 FETCH (UID 2 FLAGS (\\Recent Appended))",
    ]);
    await Promise.all([a.close(), b.close()]);
  });

  test("COPY brings its keywords into the target: a later SELECT lists them", async () => {
    const address = await freshAccount(server, {
      messages: 1,
      keywords: { 1: ["Copied"] },
      mailboxes: ["Other"],
    });
    const a = await selected(address);
    await ok(a, "COPY 1 Other");
    expect((await ok(a, "SELECT Other")).slice(0, 2)).toEqual([flags(" Copied"), permanent(" Copied")]);
    await a.close();
  });

  test("a COPY into the selected mailbox by another session: FLAGS before the FETCH of the copy", async () => {
    const address = await freshAccount(server, {
      messages: 1,
      keywords: { 1: ["Moved"] },
      mailboxes: ["Target"],
    });
    const a = await selected(address, "Target");
    const b = await selected(address);
    await ok(b, "COPY 1 Target");
    const lines = [...(await ok(a, "NOOP")), ...(await ok(a, "FETCH 1 FLAGS"))];
    announcedBeforeUse(lines, new Set());
    expect(lines).toContain(flags(" Moved"));
    await Promise.all([a.close(), b.close()]);
  });

  test("a mailbox knows at most 1000 keywords: a STORE past that is NO [LIMIT] and changes nothing", async () => {
    const address = await freshAccount(server, { messages: 11 });
    const a = await selected(address);
    for (let m = 1; m <= 10; m++) {
      const names = Array.from({ length: 100 }, (_, i) => `k${m}_${i}`).join(" ");
      expect((await a.command(`STORE ${m} +FLAGS.SILENT (${names})`)).status).toBe("OK");
    }
    const r = await a.command("STORE 11 +FLAGS (OneTooMany)");
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[LIMIT]");
    expect(await ok(a, "FETCH 11 FLAGS")).toEqual(["11 FETCH (FLAGS (\\Recent))"]);
    // Keywords it already knows can still be set.
    expect((await a.command("STORE 11 +FLAGS.SILENT (k1_0)")).status).toBe("OK");
    await a.close();
  });
});
