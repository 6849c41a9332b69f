/** COPY, UID COPY, MOVE and UID MOVE over real sockets: COPYUID, TRYCREATE, quota, response order. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accountGet, mailboxGet, messagesExpunge, messagesOfMailbox } from "../../src/store/mod.ts";
import { freshAccount as seedAccount } from "../harness/accounts.ts";
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

/**
 * A new account with `count` messages in INBOX (UIDs 1..count; the first has the keyword Work, which
 * COPY and MOVE must carry) and the extra mailboxes named.
 */
function freshAccount(count: number, mailboxes: string[] = [], quota?: number): Promise<string> {
  return seedAccount(server, { messages: count, keywords: { 1: ["Work"] }, mailboxes, quota });
}

async function selectedClient(address: string, select = "SELECT INBOX"): Promise<ImapClient> {
  const client = await ImapClient.login(port, address);
  const r = await client.command(select);
  expect(r.status).toBe("OK");
  return client;
}

function selectInfo(untagged: string[]): { exists: number; uidValidity: number; uidNext: number } {
  const find = (re: RegExp) => Number(untagged.map((l) => re.exec(l)?.[1]).find((v) => v !== undefined));
  return {
    exists: find(/^(\d+) EXISTS$/),
    uidValidity: find(/^OK \[UIDVALIDITY (\d+)\]/),
    uidNext: find(/^OK \[UIDNEXT (\d+)\]/),
  };
}

const COPYUID = /\[COPYUID (\d+) ([\d:,]+) ([\d:,]+)\]/;

describe("COPY", () => {
  test("COPY answers COPYUID with the target's UIDVALIDITY and new UIDs that SELECT then shows", async () => {
    const address = await freshAccount(3, ["Saved"]);
    const client = await selectedClient(address);
    const r = await client.command("COPY 2:3 Saved");
    expect(r.status).toBe("OK");
    const [, validity, from, to] = COPYUID.exec(r.text)!;
    expect(from).toBe("2:3");
    expect(to).toBe("1:2");
    const target = selectInfo((await client.command("SELECT Saved")).untagged);
    expect(target).toEqual({ exists: 2, uidValidity: Number(validity), uidNext: 3 });
    const source = await mailboxContents(server, address, "INBOX");
    const copied = await mailboxContents(server, address, "Saved");
    expect(copied.map((m) => m.uid)).toEqual([1, 2]);
    expect(copied.map((m) => m.raw.toString())).toEqual(source.slice(1).map((m) => m.raw.toString()));
    // The source keeps its messages.
    expect(source).toHaveLength(3);
    await client.close();
  });

  test("UID COPY of scattered UIDs lists source and new UIDs in matching order", async () => {
    const address = await freshAccount(6, ["Saved"]);
    const client = await selectedClient(address);
    const r = await client.command("UID COPY 6,1,3:4 Saved");
    const [, , from, to] = COPYUID.exec(r.text)!;
    expect(from).toBe("1,3:4,6");
    expect(to).toBe("1:4");
    const copied = await mailboxContents(server, address, "Saved");
    expect(copied.map((m) => m.raw.toString())).toEqual(
      ["m1", "m3", "m4", "m6"].map((s) => `Subject: ${s}\r\n\r\nbody ${s.slice(1)}\r\n`),
    );
    await client.close();
  });

  test("COPY keeps flags and keywords", async () => {
    const address = await freshAccount(1, ["Saved"]);
    const client = await selectedClient(address);
    await client.command("STORE 1 +FLAGS.SILENT (\\Flagged)");
    expect((await client.command("COPY 1 Saved")).status).toBe("OK");
    const account = await accountGet(server.store.read, address);
    const box = await mailboxGet(server.store.read, account.id, "Saved");
    const [m] = await messagesOfMailbox(server.store.read, box.id);
    expect(m!.keywords).toEqual(["Work"]);
    expect(m!.flags).toBe(4);
    await client.close();
  });

  test("COPY into the selected mailbox adds copies, reported as EXISTS", async () => {
    const address = await freshAccount(2);
    const client = await selectedClient(address);
    const r = await client.command("COPY 1:2 INBOX");
    expect(r.text).toStartWith("[COPYUID ");
    // The two originals (taken by SELECT) and the two copies are \Recent in this session.
    expect(r.untagged).toEqual(["4 EXISTS", "4 RECENT"]);
    await client.close();
  });

  test("COPY to a missing mailbox is NO [TRYCREATE] and copies nothing", async () => {
    const address = await freshAccount(1);
    const client = await selectedClient(address);
    const r = await client.command("COPY 1 Nowhere");
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[TRYCREATE]");
    await client.close();
  });

  test("COPY to an invalid mailbox name is NO without TRYCREATE", async () => {
    const address = await freshAccount(1);
    const client = await selectedClient(address);
    const r = await client.command('COPY 1 "a//b"');
    expect(r.status).toBe("NO");
    expect(r.text).not.toContain("TRYCREATE");
    await client.close();
  });

  test("COPY over the account's quota is NO [OVERQUOTA] and copies nothing", async () => {
    const address = await freshAccount(2, ["Saved"], 80);
    const client = await selectedClient(address);
    const r = await client.command("COPY 1:2 Saved");
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[OVERQUOTA]");
    expect(await mailboxContents(server, address, "Saved")).toEqual([]);
    await client.close();
  });

  test("UID COPY of UIDs that are gone says OK without COPYUID", async () => {
    const address = await freshAccount(1, ["Saved"]);
    const client = await selectedClient(address);
    const r = await client.command("UID COPY 7:9 Saved");
    expect(r.status).toBe("OK");
    expect(r.text).not.toContain("COPYUID");
    await client.close();
  });

  test("COPY from a mailbox opened with EXAMINE is allowed", async () => {
    const address = await freshAccount(1, ["Saved"]);
    const client = await selectedClient(address, "EXAMINE INBOX");
    expect((await client.command("COPY 1 Saved")).text).toStartWith("[COPYUID ");
    await client.close();
  });

  for (const command of [
    "COPY",
    "COPY 1",
    "COPY 1 ",
    "COPY 0 Saved",
    "COPY a Saved",
    "COPY 1 Saved x",
    "COPY $,1 Saved",
  ]) {
    test(`COPY syntax errors are BAD: ${JSON.stringify(command)}`, async () => {
      const address = await freshAccount(1, ["Saved"]);
      const client = await selectedClient(address);
      expect((await client.command(command)).status).toBe("BAD");
      expect(await mailboxContents(server, address, "Saved")).toEqual([]);
      await client.close();
    });
  }
});

describe("MOVE", () => {
  test("MOVE sends COPYUID in an untagged OK, then EXPUNGE highest first, then the tagged OK", async () => {
    const address = await freshAccount(4, ["Saved"]);
    const client = await selectedClient(address);
    client.write("m1 MOVE 2:3 Saved\r\n");
    const lines: string[] = [];
    for (;;) {
      const line = await client.readResponseLine();
      lines.push(line);
      if (line.startsWith("m1 ")) break;
    }
    expect(lines[0]).toMatch(/^\* OK \[COPYUID \d+ 2:3 1:2\]/);
    expect(lines.slice(1)).toEqual(["* 3 EXPUNGE", "* 2 EXPUNGE", "m1 OK MOVE completed"]);
    expect((await mailboxContents(server, address, "INBOX")).map((m) => m.uid)).toEqual([1, 4]);
    expect((await mailboxContents(server, address, "Saved")).map((m) => m.uid)).toEqual([1, 2]);
    // The expunges were reported once: nothing more at NOOP, and sequence numbers follow.
    expect((await client.command("NOOP")).untagged).toEqual([]);
    expect((await client.command("STORE 2 +FLAGS (\\Seen)")).untagged).toEqual([
      "2 FETCH (FLAGS (\\Seen \\Recent))",
    ]);
    await client.close();
  });

  test("UID MOVE moves by UID and its COPYUID matches what SELECT of the target shows", async () => {
    const address = await freshAccount(3, ["Saved"]);
    const client = await selectedClient(address);
    const r = await client.command("UID MOVE 1,3 Saved");
    expect(r.status).toBe("OK");
    const [, validity, from, to] = COPYUID.exec(r.untagged[0]!)!;
    expect([from, to]).toEqual(["1,3", "1:2"]);
    expect(r.untagged.slice(1)).toEqual(["3 EXPUNGE", "1 EXPUNGE"]);
    const target = selectInfo((await client.command("SELECT Saved")).untagged);
    expect(target).toEqual({ exists: 2, uidValidity: Number(validity), uidNext: 3 });
    await client.close();
  });

  test("MOVE with QRESYNC reports VANISHED and the new HIGHESTMODSEQ", async () => {
    const address = await freshAccount(3, ["Saved"]);
    const client = await ImapClient.login(port, address);
    await client.command("ENABLE QRESYNC");
    await client.command("SELECT INBOX");
    const r = await client.command("MOVE 1:2 Saved");
    expect(r.untagged[0]).toMatch(/^OK \[COPYUID \d+ 1:2 1:2\]/);
    expect(r.untagged.slice(1)).toEqual(["VANISHED 1:2"]);
    const account = await accountGet(server.store.read, address);
    const inbox = await mailboxGet(server.store.read, account.id, "INBOX");
    expect(r.text).toBe(`[HIGHESTMODSEQ ${inbox.highestModseq}] MOVE completed`);
    await client.close();
  });

  test("MOVE to a missing mailbox is NO [TRYCREATE] and leaves the messages", async () => {
    const address = await freshAccount(2);
    const client = await selectedClient(address);
    const r = await client.command("MOVE 1:2 Nowhere");
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[TRYCREATE]");
    expect(r.untagged).toEqual([]);
    expect(await mailboxContents(server, address, "INBOX")).toHaveLength(2);
    await client.close();
  });

  test("MOVE from a mailbox opened with EXAMINE is NO [READ-ONLY]", async () => {
    const address = await freshAccount(1, ["Saved"]);
    const client = await selectedClient(address, "EXAMINE INBOX");
    const r = await client.command("MOVE 1 Saved");
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[READ-ONLY]");
    expect(await mailboxContents(server, address, "INBOX")).toHaveLength(1);
    await client.close();
  });

  test("MOVE of a message another session expunged moves the rest", async () => {
    const address = await freshAccount(3, ["Saved"]);
    const client = await selectedClient(address);
    const account = await accountGet(server.store.read, address);
    const inbox = await mailboxGet(server.store.read, account.id, "INBOX");
    await server.store.write((w) => messagesExpunge(w, inbox, [2]));
    const r = await client.command("MOVE 1:3 Saved");
    expect(r.status).toBe("OK");
    expect(r.untagged[0]).toMatch(/^OK \[COPYUID \d+ 1,3 1:2\]/);
    expect(r.untagged.slice(1)).toEqual(["3 EXPUNGE", "2 EXPUNGE", "1 EXPUNGE"]);
    await client.close();
  });
});
