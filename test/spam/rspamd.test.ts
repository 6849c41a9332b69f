/**
 * rspamd at the end of DATA, against a real rspamd (test/harness/rspamd.ts): its actions decide
 * what happens to the message, its header changes are applied, and owners filing mail into and out
 * of Junk train its per-user Bayes (seen in rspamd's /stat).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spamLearnsPending } from "../../src/store/mod.ts";
import { eventually } from "../harness/eventually.ts";
import { ImapClient } from "../harness/imap-client.ts";
import {
  GTUBE,
  GTUBE_REWRITE_SUBJECT,
  RSPAMD_PASSWORD,
  startRspamd,
  TEST_SPAM_WORD,
  type TestRspamd,
} from "../harness/rspamd.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { deliver, testMessage, wordyMessage } from "./helpers.ts";

const ALICE = "alice@example.com";
let rspamd: TestRspamd;
let server: TestServer;

beforeAll(async () => {
  rspamd = await startRspamd();
  server = await startTestServer({ rspamdUrl: rspamd.url, rspamdPassword: RSPAMD_PASSWORD });
  await createAccounts(server, [{ address: ALICE }]);
}, 90_000);

afterAll(async () => {
  await server?.close();
  await rspamd?.stop();
});

const api = (path: string) => server.api(`/api/v1/accounts/${ALICE}${path}`);

async function listed(mailbox: string): Promise<Array<{ id: number; subject: string; flags: string[] }>> {
  const res = await api(`/mailboxes/${mailbox}/messages`);
  return ((await res.json()) as { items: Array<{ id: number; subject: string; flags: string[] }> }).items;
}

describe("rspamd verdicts at the end of DATA", () => {
  test("GTUBE is refused with 550 5.7.1 and nothing is stored", async () => {
    const before = (await mailboxContents(server, ALICE)).length;
    const reply = await deliver(server.ports.smtp!, { to: [ALICE], message: testMessage("gtube", GTUBE) });
    expect(reply.code).toBe(550);
    expect(reply.text).toContain("5.7.1");
    expect((await mailboxContents(server, ALICE)).length).toBe(before);
    expect((await mailboxContents(server, ALICE, "Junk")).length).toBe(0);
  });

  test("a clean message is delivered to INBOX with rspamd's verdict in X-Spam-* and the REST view", async () => {
    const reply = await deliver(server.ports.smtp!, {
      to: [ALICE],
      // A forged verdict in the message is replaced by ours (only the first X-Spam-* of each name counts).
      message: testMessage("clean lunch", "Shall we have lunch tomorrow at noon?", [
        "X-Spam-Score: -100 / 1",
      ]),
    });
    expect(reply.code).toBe(250);
    const [stored] = (await mailboxContents(server, ALICE)).filter((m) =>
      m.raw.toString().includes("clean lunch"),
    );
    const raw = stored!.raw.toString();
    expect(raw).toContain("X-Spam-Checker: rspamd\r\n");
    expect(raw).toContain("X-Spam-Action: no action\r\n");
    expect(raw).not.toContain("-100 / 1");
    const [item] = (await listed("INBOX")).filter((m) => m.subject === "clean lunch");
    const view = (await (await api(`/messages/${item!.id}`)).json()) as { spam: Record<string, unknown> };
    expect(view.spam).toMatchObject({ checker: "rspamd", action: "no action", score: 0, required: 15 });
  });

  test("'add header' goes to Junk with $Junk, X-Spam-Score/X-Spam-Symbols and rspamd's milter header changes", async () => {
    const reply = await deliver(server.ports.smtp!, {
      to: [ALICE],
      message: testMessage("offer", `buy now ${TEST_SPAM_WORD}`, ["X-Spam-Level: forged-by-sender"]),
    });
    expect(reply.code).toBe(250);
    const [junk] = await listed("Junk");
    expect(junk?.subject).toBe("offer");
    expect(junk!.flags).toContain("$Junk");
    const raw = (await mailboxContents(server, ALICE, "Junk"))[0]!.raw.toString();
    expect(raw).toContain("X-Spam-Action: add header\r\n");
    expect(raw).toContain("X-Spam-Score: 7 / 15\r\n");
    expect(raw).toContain("X-Spam-Flag: YES\r\n");
    expect(raw).toMatch(/X-Spam-Symbols: MAILROOM_TEST_SPAM\(7\)/);
    // milter add_headers / remove_headers: rspamd's own fields added, the sender's X-Spam-Level gone.
    expect(raw).toContain("X-Spamd-Result: default: False [7.00 / 15.00]");
    expect(raw).toContain("X-Spam-Level: *******\r\n");
    expect(raw).not.toContain("forged-by-sender");
    const view = (await (await api(`/messages/${junk!.id}`)).json()) as { spam: { symbols: unknown[] } };
    expect(view.spam).toMatchObject({ checker: "rspamd", action: "add header", score: 7 });
    expect(view.spam.symbols).toContainEqual({ name: "MAILROOM_TEST_SPAM", score: 7 });
  });

  test("rspamd is given Mailroom's Authentication-Results on top of the message, not the forged one it replaced", async () => {
    const reply = await deliver(server.ports.smtp!, {
      to: [ALICE],
      message: testMessage("authenticated?", "Is this really from me?", [
        "Authentication-Results: mx.test.example; dmarc=pass header.from=remote.example",
      ]),
    });
    expect(reply.code).toBe(250);
    const [item] = (await listed("INBOX")).filter((m) => m.subject === "authenticated?");
    const view = (await (await api(`/messages/${item!.id}`)).json()) as {
      spam: { symbols: Array<{ name: string; detail?: string }> };
    };
    const seen = view.spam.symbols.find((s) => s.name === "MAILROOM_TEST_AUTH_RESULTS");
    // The test server's resolver never answers: SPF is a temperror, and no forged dmarc=pass is left.
    expect(seen?.detail).toStartWith("mx.test.example;");
    expect(seen?.detail).toContain("spf=temperror");
    expect(seen?.detail).not.toContain("dmarc=pass");
  });

  test("'rewrite subject' goes to Junk with the subject rspamd wrote", async () => {
    const reply = await deliver(server.ports.smtp!, {
      to: [ALICE],
      message: testMessage("rewrite me", GTUBE_REWRITE_SUBJECT),
    });
    expect(reply.code).toBe(250);
    const subjects = (await listed("Junk")).map((m) => m.subject);
    expect(subjects).toContain("*** SPAM *** rewrite me");
  });

  test("a 25 MiB message is streamed to rspamd within its limits and delivered", async () => {
    const line = `${"x".repeat(76)}\r\n`;
    const body = line.repeat(Math.floor((25 * 1024 * 1024 - 2048) / line.length));
    const reply = await deliver(server.ports.smtp!, { to: [ALICE], message: testMessage("large", body) });
    expect(reply.code).toBe(250);
    expect((await listed("INBOX")).map((m) => m.subject)).toContain("large");
    const stats = await rspamd.stats();
    expect(stats.scanned).toBeGreaterThanOrEqual(5);
  }, 120_000);

  test("mail from a trusted network (127.0.0.1) is not scanned", async () => {
    const scanned = (await rspamd.stats()).scanned;
    const reply = await deliver(server.ports.smtp!, {
      to: [ALICE],
      localAddress: "127.0.0.1",
      message: testMessage("local", GTUBE),
    });
    expect(reply.code).toBe(250);
    expect((await rspamd.stats()).scanned).toBe(scanned);
  });
});

describe("learning from the owner's Junk", () => {
  const learned = async () => (await rspamd.stats()).learned;

  test("IMAP MOVE into Junk teaches spam, MOVE out teaches ham, each seen in rspamd's /stat", async () => {
    expect(
      (
        await deliver(server.ports.smtp!, {
          to: [ALICE],
          message: wordyMessage("learn me", "cheap pills offer"),
        })
      ).code,
    ).toBe(250);
    const start = await learned();
    const imap = await ImapClient.login(server.ports.imap!, ALICE);
    try {
      await imap.command("SELECT INBOX");
      const search = await imap.command('UID SEARCH SUBJECT "learn me"');
      const uid = search.untagged.find((u) => u.startsWith("SEARCH"))!.split(" ")[1]!;
      expect((await imap.command(`UID MOVE ${uid} Junk`)).status).toBe("OK");
      await eventually(async () => (await learned()) > start, "rspamd to learn the message as spam");
      const stats = await rspamd.stats();
      expect(stats.statfiles.find((s) => s.symbol === "BAYES_SPAM")!.revision).toBeGreaterThan(0);

      await imap.command("SELECT Junk");
      const inJunk = await imap.command('UID SEARCH SUBJECT "learn me"');
      const junkUid = inJunk.untagged.find((u) => u.startsWith("SEARCH"))!.split(" ")[1]!;
      const afterSpam = await learned();
      expect((await imap.command(`UID MOVE ${junkUid} INBOX`)).status).toBe("OK");
      await eventually(async () => (await learned()) > afterSpam, "rspamd to learn the message as ham");
      expect(
        (await rspamd.stats()).statfiles.find((s) => s.symbol === "BAYES_HAM")!.revision,
      ).toBeGreaterThan(0);
      await eventually(
        async () => (await spamLearnsPending(server.store.read)) === 0,
        "the lesson queue to empty",
      );
    } finally {
      await imap.close();
    }
  }, 60_000);

  test("STORE +FLAGS ($Junk) and a REST move into Junk queue lessons too", async () => {
    for (const subject of ["flag me", "rest move"])
      expect(
        (
          await deliver(server.ports.smtp!, {
            to: [ALICE],
            message: wordyMessage(subject, `${subject} discount`),
          })
        ).code,
      ).toBe(250);
    const start = await learned();
    const imap = await ImapClient.login(server.ports.imap!, ALICE);
    try {
      await imap.command("SELECT INBOX");
      const search = await imap.command('UID SEARCH SUBJECT "flag me"');
      const uid = search.untagged.find((u) => u.startsWith("SEARCH"))!.split(" ")[1]!;
      expect((await imap.command(`UID STORE ${uid} +FLAGS ($Junk)`)).status).toBe("OK");
    } finally {
      await imap.close();
    }
    const [rest] = (await listed("INBOX")).filter((m) => m.subject === "rest move");
    const res = await server.api(`/api/v1/accounts/${ALICE}/messages/${rest!.id}`, {
      method: "PATCH",
      json: { mailbox: "Junk" },
    });
    expect(res.status).toBe(200);
    await eventually(async () => (await learned()) >= start + 2, "rspamd to learn both messages");
  }, 60_000);
});
