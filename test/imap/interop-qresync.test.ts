/**
 * QRESYNC (RFC 7162 §3.2.5) as a client uses it in practice: ImapFlow with `qresync: true` comes back
 * to a mailbox with the UIDVALIDITY and HIGHESTMODSEQ it kept, over COMPRESS (which it turns on by
 * itself), and learns from the SELECT alone what was expunged (VANISHED (EARLIER)) and which flags
 * changed (FETCH with MODSEQ) while it was away.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ImapFlow } from "imapflow";
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

function flow(address: string, sent: string[]): ImapFlow {
  const record = (entry: { msg?: string }) => {
    if (entry.msg) sent.push(entry.msg);
  };
  return new ImapFlow({
    host: "127.0.0.1",
    port: server.ports.imap!,
    secure: false,
    tls: { ca: [server.tls.credentials().cert] },
    auth: { user: address, pass: "secret" },
    qresync: true,
    logger: { debug: record, info: record, warn: record, error: record },
  });
}

describe("ImapFlow with QRESYNC", () => {
  test("a client that kept UIDVALIDITY and HIGHESTMODSEQ gets VANISHED (EARLIER) and changed flags on SELECT", async () => {
    const address = await freshAccount(server, { messages: 3, recentTaken: true });
    const sent: string[] = [];
    const first = flow(address, sent);
    await first.connect();
    expect([...first.enabled]).toEqual(expect.arrayContaining(["QRESYNC", "CONDSTORE"]));
    const opened = await first.mailboxOpen("INBOX");
    const uidValidity = opened.uidValidity;
    const modseq = opened.highestModseq!;
    expect(modseq).toBeGreaterThan(0n);
    await first.logout();

    // While the client is away another session flags message 1 and expunges message 2.
    const other = await ImapClient.login(server.ports.imap!, address);
    await other.command("SELECT INBOX");
    expect((await other.command("UID STORE 1 +FLAGS (\\Flagged)")).status).toBe("OK");
    expect((await other.command("UID STORE 2 +FLAGS (\\Deleted)")).status).toBe("OK");
    expect((await other.command("EXPUNGE")).status).toBe("OK");
    await other.close();

    const second = flow(address, sent);
    const vanished: Array<{ uid?: number; earlier?: boolean }> = [];
    const flagged: Array<{ uid?: number; flags: Set<string> }> = [];
    second.on("expunge", (e: { uid?: number; earlier?: boolean }) => vanished.push(e));
    second.on("flags", (e: { uid?: number; flags: Set<string> }) => flagged.push(e));
    await second.connect();
    try {
      const back = await second.mailboxOpen("INBOX", { uidValidity, changedSince: modseq });
      expect(back.exists).toBe(2);
      expect(back.highestModseq! > modseq).toBe(true);
      expect(vanished).toEqual([expect.objectContaining({ uid: 2, earlier: true })]);
      expect(flagged.some((f) => f.uid === 1 && f.flags.has("\\Flagged"))).toBe(true);
    } finally {
      await second.logout();
    }
    // ImapFlow did this over compression.
    expect(sent.some((m) => /COMPRESS/.test(m))).toBe(true);
  });
});
