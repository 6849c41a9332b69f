/** APPEND over real sockets: APPENDUID, flags and date, exact bytes, LITERAL+, TRYCREATE, size and quota. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accountGet, mailboxGet, messagesOfMailbox } from "../../src/store/mod.ts";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient, quote } from "../harness/imap-client.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let port: number;

const MAX_SIZE = 4096;

beforeAll(async () => {
  server = await startTestServer({ maxMessageSize: MAX_SIZE });
  port = server.ports.imap!;
});

afterAll(async () => {
  await server.close();
});

async function storedMessages(address: string, mailbox = "INBOX") {
  const account = await accountGet(server.store.read, address);
  const box = await mailboxGet(server.store.read, account.id, mailbox);
  return { box, messages: await messagesOfMailbox(server.store.read, box.id) };
}

/** Sends `tag APPEND ...` with a LITERAL+ literal: no waiting for a continuation. */
async function appendPlus(client: ImapClient, args: string, message: Buffer) {
  const tag = client.nextTag();
  client.write(
    Buffer.concat([
      Buffer.from(`${tag} APPEND ${args} {${message.length}+}\r\n`),
      message,
      Buffer.from("\r\n"),
    ]),
  );
  return client.readUntilTagged(tag);
}

const MESSAGE = "From: a@remote.example\r\nSubject: hello\r\n\r\nbody\r\n";

describe("APPEND", () => {
  test("APPEND answers APPENDUID with the UIDVALIDITY and UID that SELECT and the store then show", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const first = await client.append("INBOX", MESSAGE);
    const second = await client.append("INBOX", MESSAGE);
    expect(first.status).toBe("OK");
    const [, validity, uid] = /^\[APPENDUID (\d+) (\d+)\] APPEND completed$/.exec(second.text)!;
    const selected = await client.command("SELECT INBOX");
    expect(selected.untagged).toContain(`OK [UIDVALIDITY ${validity}] UIDs valid`);
    expect(selected.untagged).toContain("2 EXISTS");
    expect(selected.untagged.some((l) => l.startsWith(`OK [UIDNEXT ${Number(uid) + 1}]`))).toBe(true);
    const { box, messages } = await storedMessages(address);
    expect(box.uidValidity).toBe(Number(validity));
    expect(messages.map((m) => m.uid)).toEqual([1, Number(uid)]);
    await client.close();
  });

  test("APPEND stores the bytes exactly as sent: 8-bit, NUL and no final newline", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    // RFC 6855 §4: an 8-bit header field needs UTF-8 turned on (see the next test).
    await client.command("ENABLE UTF8=ACCEPT");
    const raw = Buffer.concat([
      Buffer.from("Subject: caf\xe9\r\nX-Odd: a\x00b\r\n\r\n", "latin1"),
      Buffer.from([0xff, 0xfe, 0x0d, 0x0a, 0x2e]),
    ]);
    expect((await client.append("INBOX", raw)).status).toBe("OK");
    const [stored] = await mailboxContents(server, address);
    expect(stored!.raw.equals(raw)).toBe(true);
    await client.close();
  });

  test("APPEND of a message with an 8-bit header field is NO until UTF8=ACCEPT or IMAP4rev2 is enabled", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const header8 = Buffer.from("Subject: caf\u00e9\r\n\r\nbody\r\n", "utf8");
    const refused = await client.append("INBOX", header8);
    expect(refused.status).toBe("NO");
    expect(refused.text).toContain("UTF8=ACCEPT");
    // 8-bit in the body is fine without it (RFC 3501 §6.3.11: 8-bit characters are permitted).
    expect(
      (await client.append("INBOX", Buffer.from("Subject: s\r\n\r\ncaf\u00e9\r\n", "utf8"))).status,
    ).toBe("OK");
    await client.command("ENABLE IMAP4rev2");
    expect((await client.append("INBOX", header8)).status).toBe("OK");
    await client.close();
  });

  // Issue 9: a bare CR or LF lets one message show different headers to different readers
  // (RFC 5322 §2.3 allows CR and LF only as CRLF). Cyrus answers NO "Message contains bare newlines".
  test.each([
    ["a bare LF", "Subject: unix\n\nbody\r\n"],
    ["a bare CR hiding a header", "X: y\rFrom: ceo@bank.example\r\n\r\nbody\r\n"],
    ["a final bare CR", "Subject: s\r\n\r\nbody\r"],
  ])(
    "APPEND of a message with %s is NO and stores nothing (MAILROOM_BARE_NEWLINE=reject)",
    async (_name, message) => {
      const address = await freshAccount(server);
      const client = await ImapClient.login(port, address);
      const r = await client.append("INBOX", Buffer.from(message, "latin1"));
      expect(r.status).toBe("NO");
      expect(r.text).toContain("bare");
      expect(await mailboxContents(server, address)).toEqual([]);
      expect((await client.command("NOOP")).status).toBe("OK");
      await client.close();
    },
  );

  test("APPEND with MAILROOM_BARE_NEWLINE=normalize stores the message with every line ending in CRLF", async () => {
    const normalizing = await startTestServer({ bareNewline: "normalize" });
    try {
      await createAccounts(normalizing, [{ address: "n@example.com" }]);
      const client = await ImapClient.login(normalizing.ports.imap!, "n@example.com");
      const r = await client.append("INBOX", Buffer.from("X: y\rFrom: a@example.com\n\nbody\r", "latin1"));
      expect(r.status).toBe("OK");
      const [stored] = await mailboxContents(normalizing, "n@example.com");
      expect(stored!.raw.toString("latin1")).toBe("X: y\r\nFrom: a@example.com\r\n\r\nbody\r\n");
      // RFC 3501 §6.4.5: RFC822.SIZE is the size of what is stored, CRLF included.
      expect((await client.command("SELECT INBOX")).status).toBe("OK");
      const fetched = await client.command("FETCH 1 RFC822.SIZE", undefined);
      expect(fetched.untagged.join("")).toContain(`RFC822.SIZE ${stored!.raw.length}`);
      await client.close();
    } finally {
      await normalizing.close();
    }
  });

  test("APPEND with flags and a date stores them: system flags, keywords and INTERNALDATE", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const r = await client.append(
      "INBOX",
      MESSAGE,
      '(\\Seen \\Flagged $Label1 \\Recent) "05-Mar-2021 14:07:09 +0200"',
    );
    expect(r.status).toBe("OK");
    const { messages } = await storedMessages(address);
    expect(messages[0]!.flags).toBe(1 | 4);
    expect(messages[0]!.keywords).toEqual(["$Label1"]);
    expect(messages[0]!.internalDate).toBe(Date.UTC(2021, 2, 5, 12, 7, 9));
    await client.close();
  });

  test("APPEND with only a date, or with an empty flag list, is accepted", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    expect((await client.append("INBOX", MESSAGE, '" 1-Jan-2020 00:00:00 -0130"')).status).toBe("OK");
    expect((await client.append("INBOX", MESSAGE, "()")).status).toBe("OK");
    const { messages } = await storedMessages(address);
    expect(messages[0]!.internalDate).toBe(Date.UTC(2020, 0, 1, 1, 30, 0));
    expect(messages[1]!.flags).toBe(0);
    await client.close();
  });

  test("APPEND without a date stamps the time of arrival", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const before = Date.now();
    await client.append("INBOX", MESSAGE);
    const { messages } = await storedMessages(address);
    expect(messages[0]!.internalDate).toBeGreaterThanOrEqual(before - 1000);
    expect(messages[0]!.internalDate).toBeLessThanOrEqual(Date.now());
    await client.close();
  });

  test("APPEND with a LITERAL+ literal needs no continuation", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const r = await appendPlus(client, "INBOX (\\Draft)", Buffer.from(MESSAGE));
    expect(r.status).toBe("OK");
    expect(r.text).toMatch(/^\[APPENDUID \d+ 1\]/);
    const [stored] = await mailboxContents(server, address);
    expect(stored!.raw.toString()).toBe(MESSAGE);
    expect(stored!.flags).toBe(16);
    await client.close();
  });

  test("APPEND to a mailbox named by a literal works", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const tag = client.nextTag();
    client.write(`${tag} APPEND {4+}\r\nSent {${MESSAGE.length}+}\r\n${MESSAGE}\r\n`);
    expect((await client.readUntilTagged(tag)).status).toBe("OK");
    expect(await mailboxContents(server, address, "Sent")).toHaveLength(1);
    await client.close();
  });

  test("APPEND to the selected mailbox is reported as EXISTS in the same response", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    await client.command("SELECT INBOX");
    const r = await client.append("INBOX", MESSAGE);
    expect(r.untagged).toEqual(["1 EXISTS"]);
    expect((await client.command("NOOP")).untagged).toEqual([]);
    await client.close();
  });

  test("APPEND to a missing mailbox is NO [TRYCREATE]", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const r = await client.append("Nowhere", MESSAGE);
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[TRYCREATE]");
    await client.close();
  });

  test("APPEND to an invalid mailbox name is NO without TRYCREATE", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const r = await client.append("a//b", MESSAGE);
    expect(r.status).toBe("NO");
    expect(r.text).not.toContain("TRYCREATE");
    await client.close();
  });

  test("APPEND of an empty message is NO", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    expect((await client.append("INBOX", "")).status).toBe("NO");
    expect((await appendPlus(client, "INBOX", Buffer.alloc(0))).status).toBe("NO");
    expect(await mailboxContents(server, address)).toEqual([]);
    await client.close();
  });

  test("APPEND over the message size limit is NO [TOOBIG], with and without LITERAL+, and the session goes on", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const big = Buffer.alloc(MAX_SIZE + 1, "a");
    const sync = await client.append("INBOX", big);
    expect(sync.status).toBe("NO");
    expect(sync.text).toContain("[TOOBIG]");
    const plus = await appendPlus(client, "INBOX", big);
    expect(plus.status).toBe("NO");
    expect(plus.text).toStartWith("[TOOBIG]");
    expect((await client.append("INBOX", Buffer.alloc(MAX_SIZE, "a"))).status).toBe("OK");
    expect(await mailboxContents(server, address)).toHaveLength(1);
    await client.close();
  });

  test("APPEND over the account's quota is NO [OVERQUOTA] and stores nothing", async () => {
    const address = await freshAccount(server, { quota: 80 });
    const client = await ImapClient.login(port, address);
    expect((await client.append("INBOX", MESSAGE)).status).toBe("OK");
    const r = await client.append("INBOX", MESSAGE);
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[OVERQUOTA]");
    expect(await mailboxContents(server, address)).toHaveLength(1);
    await client.close();
  });

  test("APPEND before LOGIN is BAD", async () => {
    const { client } = await ImapClient.connect(port);
    const tag = client.nextTag();
    client.write(`${tag} APPEND INBOX {${MESSAGE.length}+}\r\n${MESSAGE}\r\n`);
    expect((await client.readUntilTagged(tag)).status).toBe("BAD");
    await client.close();
  });

  const bad: Array<[string, string]> = [
    ["an unknown system flag", "(\\Bogus)"],
    ["an unclosed flag list", "(\\Seen"],
    ["a malformed date", '"2021-03-05 14:07:09"'],
    ["a month that does not exist", '"05-Foo-2021 14:07:09 +0000"'],
    ["the date before the flags", '"05-Mar-2021 14:07:09 +0000" (\\Seen)'],
  ];
  for (const [what, extra] of bad) {
    test(`APPEND with ${what} is BAD and stores nothing`, async () => {
      const address = await freshAccount(server);
      const client = await ImapClient.login(port, address);
      expect((await client.append("INBOX", MESSAGE, extra)).status).toBe("BAD");
      expect(await mailboxContents(server, address)).toEqual([]);
      expect((await client.command("NOOP")).status).toBe("OK");
      await client.close();
    });
  }

  test("APPEND with the message as a quoted string instead of a literal is BAD", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    expect((await client.command(`APPEND INBOX ${quote("Subject: x")}`)).status).toBe("BAD");
    expect((await client.command("APPEND INBOX")).status).toBe("BAD");
    expect(await mailboxContents(server, address)).toEqual([]);
    await client.close();
  });
});
