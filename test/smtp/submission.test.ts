/**
 * Message submission (port 587, RFC 6409 + RFC 4954) over real sockets: AUTH required before MAIL,
 * AUTH PLAIN and LOGIN against accounts with a growing delay on failures, the sender rules, Date and
 * Message-ID completion, DSN parameters, and one stored content shared by local and queued copies.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { checkHeaderSenders, senderAllowed } from "../../src/smtp/sender-rules.ts";
import { accountGet, aliasCreate, type QueueItem, queueList } from "../../src/store/mod.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";

let server: TestServer;
let port: number;

/** A loopback port nobody listens on: queued mail to it just defers, whatever the queue runner does. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 9;
}

beforeAll(async () => {
  server = await startTestServer({
    routes: [{ domain: "*", host: "127.0.0.1", port: await closedPort() }],
    queueRetry: [3_600_000],
  });
  port = server.ports.submission!;
  await createAccounts(server, [
    { address: "alice@example.com", password: "alice-pw" },
    { address: "bob@example.com", password: "bob-pw" },
    { address: "carol@example.com", password: "carol-pw" },
  ]);
  await server.store.write((w) => aliasCreate(w, "sales@example.com", ["alice@example.com"]));
});

afterAll(async () => {
  await server.close();
});

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

async function connect(): Promise<SmtpClient> {
  const { client } = await SmtpClient.connect(port);
  await client.command("EHLO client.test");
  return client;
}

/** A connection authenticated with AUTH PLAIN (which also resets this client's failure count). */
async function session(user = "alice@example.com", password = "alice-pw"): Promise<SmtpClient> {
  const client = await connect();
  const auth = await client.command(`AUTH PLAIN ${b64(`\0${user}\0${password}`)}`);
  expect(auth.code).toBe(235);
  return client;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

async function queueItems(): Promise<QueueItem[]> {
  return queueList(server.store.read, { limit: 1000 });
}

const message = (from: string, to: string, subject: string, extra = "") =>
  `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\n${extra}\r\nbody of ${subject}\r\n`;

describe("EHLO and AUTH", () => {
  test("EHLO on the submission port advertises AUTH PLAIN LOGIN, DSN and STARTTLS", async () => {
    const { client, greeting } = await SmtpClient.connect(port);
    expect(greeting.code).toBe(220);
    const ehlo = await client.command("EHLO client.test");
    const lines = ehlo.lines.map((l) => l.slice(4));
    expect(lines).toContain("AUTH PLAIN LOGIN");
    expect(lines).toContain("DSN");
    expect(lines).toContain("ENHANCEDSTATUSCODES");
    expect(lines).toContain("STARTTLS");
    await client.close();
  });

  test("MAIL FROM before AUTH is refused with 530 5.7.0, and so are RCPT and DATA", async () => {
    const client = await connect();
    const mail = await client.command("MAIL FROM:<alice@example.com>");
    expect(mail.code).toBe(530);
    expect(mail.text).toContain("5.7.0");
    expect((await client.command("RCPT TO:<bob@example.com>")).code).toBe(530);
    expect((await client.command("DATA")).code).toBe(530);
    await client.close();
  });

  test("AUTH PLAIN with an initial response succeeds with 235 2.7.0", async () => {
    const client = await connect();
    const auth = await client.command(`AUTH PLAIN ${b64("\0alice@example.com\0alice-pw")}`);
    expect(auth.code).toBe(235);
    expect(auth.text).toContain("2.7.0");
    expect((await client.command("MAIL FROM:<alice@example.com>")).code).toBe(250);
    await client.close();
  });

  test("AUTH PLAIN after an empty 334 challenge, with the bare local part as login, succeeds", async () => {
    const client = await connect();
    expect((await client.command("AUTH PLAIN")).code).toBe(334);
    expect((await client.command(b64("\0alice\0alice-pw"))).code).toBe(235);
    await client.close();
  });

  test("AUTH LOGIN succeeds after the Username: and Password: challenges", async () => {
    const client = await connect();
    const first = await client.command("AUTH LOGIN");
    expect(first.code).toBe(334);
    expect(Buffer.from(first.text.slice(4), "base64").toString()).toBe("Username:");
    const second = await client.command(b64("bob@example.com"));
    expect(second.code).toBe(334);
    expect(Buffer.from(second.text.slice(4), "base64").toString()).toBe("Password:");
    expect((await client.command(b64("bob-pw"))).code).toBe(235);
    await client.close();
  });

  test("AUTH PLAIN with a wrong password is refused with 535 5.7.8", async () => {
    const client = await connect();
    const auth = await client.command(`AUTH PLAIN ${b64("\0carol@example.com\0wrong")}`);
    expect(auth.code).toBe(535);
    expect(auth.text).toContain("5.7.8");
    // Still not authenticated: MAIL stays refused.
    expect((await client.command("MAIL FROM:<carol@example.com>")).code).toBe(530);
    await client.close();
    await (await session()).close();
  });

  test("AUTH LOGIN with an unknown account is refused with 535 5.7.8, like a wrong password", async () => {
    const client = await connect();
    await client.command("AUTH LOGIN");
    await client.command(b64("nobody@example.com"));
    const auth = await client.command(b64("whatever"));
    expect(auth.code).toBe(535);
    expect(auth.text).toContain("5.7.8");
    await client.close();
    await (await session()).close();
  });

  test("AUTH PLAIN asking to act as another user (authzid) is refused with 535", async () => {
    const client = await connect();
    const auth = await client.command(`AUTH PLAIN ${b64("bob@example.com\0alice@example.com\0alice-pw")}`);
    expect(auth.code).toBe(535);
    await client.close();
  });

  test("a second failed AUTH from the same client waits about a second; the first does not", async () => {
    const client = await connect();
    const first = await timed(() => client.command(`AUTH PLAIN ${b64("\0guess1@example.com\0x")}`));
    const second = await timed(() => client.command(`AUTH PLAIN ${b64("\0guess2@example.com\0x")}`));
    expect(first.value.code).toBe(535);
    expect(second.value.code).toBe(535);
    expect(first.ms).toBeLessThan(800);
    expect(second.ms).toBeGreaterThanOrEqual(900);
    await client.close();
    // A correct password from this client forgets its failures.
    const after = await timed(async () => (await session()).close());
    expect(after.ms).toBeLessThan(800);
  });

  test("failures for one account are delayed even after the client's own count was reset", async () => {
    const client = await connect();
    const first = await timed(() => client.command(`AUTH PLAIN ${b64("\0target@example.com\0x")}`));
    expect(first.ms).toBeLessThan(800);
    await client.close();
    await (await session()).close(); // the client's count is now zero, the account's is not
    const again = await connect();
    const second = await timed(() => again.command(`AUTH PLAIN ${b64("\0TARGET@example.com\0y")}`));
    expect(second.value.code).toBe(535);
    expect(second.ms).toBeGreaterThanOrEqual(900);
    await again.close();
    await (await session()).close();
  });
});

describe("sender rules (pure)", () => {
  const own = ["alice@example.com", "sales@example.com"];
  test.each([
    ["alice@example.com", true],
    ["ALICE@Example.Com", true],
    ["alice+news@example.com", true],
    ["sales+q3@example.com", true],
    ["alice@example.com.evil.example", false],
    ["alice@evil.example", false],
    ["xalice@example.com", false],
    ["+alice@example.com", false],
    ["alice+@evil.example", false],
    ["", false],
    ["alice", false],
  ])("senderAllowed(%p) is %p", (address, expected) => {
    expect(senderAllowed(address, own)).toBe(expected);
  });

  test("senderAllowed() strips a +tag only when the tagged address is nobody's account or alias", () => {
    const inUse = new Set(["alice+boss@example.com"]);
    expect(senderAllowed("Alice+Boss@example.com", own, inUse)).toBe(false);
    expect(senderAllowed("alice+news@example.com", own, inUse)).toBe(true);
    // An address that is the user's own is allowed whatever else exists.
    expect(senderAllowed("alice+boss@example.com", [...own, "alice+boss@example.com"], inUse)).toBe(true);
  });

  test.each([
    ["From: Alice <alice@example.com>\r\n\r\n", { ok: true }],
    ["From: =?utf-8?q?Al=C3=AFce?= <ALICE+x@example.com>\r\nSender: sales@example.com\r\n\r\n", { ok: true }],
    [
      'From: "alice@example.com" <ceo@bank.example>\r\n\r\n',
      { ok: false, reason: "not-owned", address: "ceo@bank.example" },
    ],
    [
      "From: alice@example.com\r\nFrom: ceo@bank.example\r\n\r\n",
      { ok: false, reason: "not-owned", address: "ceo@bank.example" },
    ],
    ["From: alice@example.com (ceo@bank.example)\r\n\r\n", { ok: true }],
    ["From: undisclosed:;\r\n\r\n", { ok: false, reason: "missing" }],
    ["Subject: no from\r\n\r\nFrom: alice@example.com\r\n", { ok: false, reason: "missing" }],
    ["\r\nFrom: alice@example.com\r\n", { ok: false, reason: "missing" }],
  ])("checkHeaderSenders(%p)", (header, expected) => {
    expect(checkHeaderSenders(Buffer.from(header), own)).toEqual(expected as never);
  });
});

describe("sender rules", () => {
  test("MAIL FROM another user's address is refused with 553 5.7.1", async () => {
    const client = await session();
    const mail = await client.command("MAIL FROM:<bob@example.com>");
    expect(mail.code).toBe(553);
    expect(mail.text).toContain("5.7.1");
    await client.close();
  });

  test("MAIL FROM a foreign domain is refused with 553 5.7.1", async () => {
    const client = await session();
    const mail = await client.command("MAIL FROM:<ceo@bank.example>");
    expect(mail.code).toBe(553);
    expect(mail.text).toContain("5.7.1");
    await client.close();
  });

  test("MAIL FROM:<> (the null sender) from an authenticated user is refused with 553 5.7.1", async () => {
    const client = await session();
    const mail = await client.command("MAIL FROM:<>");
    expect(mail.code).toBe(553);
    expect(mail.text).toContain("5.7.1");
    await client.close();
  });

  test("the own address in another case and with a +tag is accepted as sender", async () => {
    const client = await session();
    expect((await client.command("MAIL FROM:<Alice+news@Example.COM>")).code).toBe(250);
    expect((await client.command("RCPT TO:<bob@example.com>")).code).toBe(250);
    const data = await client.data(
      message("Alice <ALICE+news@example.com>", "bob@example.com", "tagged sender"),
    );
    expect(data.code).toBe(250);
    await client.close();
  });

  test("an alias of the account may be the envelope sender and the From address", async () => {
    const client = await session();
    expect((await client.command("MAIL FROM:<sales@example.com>")).code).toBe(250);
    expect((await client.command("RCPT TO:<bob@example.com>")).code).toBe(250);
    const data = await client.data(message("Sales <sales@example.com>", "bob@example.com", "from the alias"));
    expect(data.code).toBe(250);
    const box = await mailboxContents(server, "bob@example.com");
    expect(box.some((m) => m.raw.includes("from the alias"))).toBe(true);
    await client.close();
  });

  // Issue 9, finding 9: RFC 5233 sub-addressing makes "alice+tag" alice's only when no account or
  // alias of that exact address exists; an account named "alice+boss" belongs to someone else.
  test("a +tag address that is itself another account is refused as sender, in MAIL FROM and From", async () => {
    await createAccounts(server, [{ address: "alice+boss@example.com", password: "boss-pw" }]);
    const client = await session();
    const mail = await client.command("MAIL FROM:<alice+boss@example.com>");
    expect(mail.code).toBe(553);
    expect(mail.text).toContain("5.7.1");
    expect((await client.command("MAIL FROM:<alice@example.com>")).code).toBe(250);
    expect((await client.command("RCPT TO:<bob@example.com>")).code).toBe(250);
    const data = await client.data(
      message("Boss <ALICE+Boss@example.com>", "bob@example.com", "as the boss"),
    );
    expect(data.code).toBe(553);
    expect(data.text.toLowerCase()).toContain("alice+boss@example.com");
    await client.close();
    // The owner of that account may use it.
    const boss = await session("alice+boss@example.com", "boss-pw");
    expect((await boss.command("MAIL FROM:<alice+boss@example.com>")).code).toBe(250);
    await boss.close();
  });

  test("a +tag address that is an alias of another account is refused as sender, even on an own alias", async () => {
    await server.store.write((w) => aliasCreate(w, "sales+vip@example.com", ["bob@example.com"]));
    const client = await session();
    expect((await client.command("MAIL FROM:<sales+vip@example.com>")).code).toBe(553);
    // Tags nobody has claimed stay the user's.
    expect((await client.command("MAIL FROM:<sales+q4@example.com>")).code).toBe(250);
    await client.close();
  });

  test("an alias of another account is refused as sender", async () => {
    const client = await session("bob@example.com", "bob-pw");
    const mail = await client.command("MAIL FROM:<sales@example.com>");
    expect(mail.code).toBe(553);
    await client.close();
  });

  test("a From header with someone else's address is refused at DATA with 553 5.7.1, nothing stored", async () => {
    const before = (await mailboxContents(server, "bob@example.com")).length;
    const client = await session();
    await client.command("MAIL FROM:<alice@example.com>");
    await client.command("RCPT TO:<bob@example.com>");
    const data = await client.data(
      message("The Boss <carol@example.com>", "bob@example.com", "spoofed from"),
    );
    expect(data.code).toBe(553);
    expect(data.text).toContain("5.7.1");
    expect(await mailboxContents(server, "bob@example.com")).toHaveLength(before);
    await client.close();
  });

  test("a second From address that is not the user's is refused too", async () => {
    const client = await session();
    await client.command("MAIL FROM:<alice@example.com>");
    await client.command("RCPT TO:<bob@example.com>");
    const data = await client.data(
      message(
        "alice@example.com, ceo@bank.example",
        "bob@example.com",
        "two froms",
        "Sender: alice@example.com\r\n",
      ),
    );
    expect(data.code).toBe(553);
    await client.close();
  });

  test("a Sender header naming someone else is refused", async () => {
    const client = await session();
    await client.command("MAIL FROM:<alice@example.com>");
    await client.command("RCPT TO:<bob@example.com>");
    const data = await client.data(
      message("alice@example.com", "bob@example.com", "other sender", "Sender: carol@example.com\r\n"),
    );
    expect(data.code).toBe(553);
    await client.close();
  });

  test("a message without a From header is refused with 550 5.6.0", async () => {
    const client = await session();
    await client.command("MAIL FROM:<alice@example.com>");
    await client.command("RCPT TO:<bob@example.com>");
    const data = await client.data("To: bob@example.com\r\nSubject: anonymous\r\n\r\nwho am I\r\n");
    expect(data.code).toBe(550);
    expect(data.text).toContain("5.6.0");
    await client.close();
  });
});

describe("what is stored and queued", () => {
  test("Date and Message-ID are added below the trace headers when the client left them out", async () => {
    const client = await session();
    await client.command("MAIL FROM:<alice@example.com>");
    await client.command("RCPT TO:<carol@example.com>");
    expect((await client.data(message("alice@example.com", "carol@example.com", "bare message"))).code).toBe(
      250,
    );
    await client.close();
    const stored = (await mailboxContents(server, "carol@example.com")).find((m) =>
      m.raw.includes("bare message"),
    )!;
    const text = stored.raw.toString();
    expect(text).toMatch(/^Return-Path: <alice@example\.com>\r\nReceived: from client\.test /);
    expect(text).toContain("with ESMTPA id");
    const header = text.slice(0, text.indexOf("\r\n\r\n"));
    expect(header).toMatch(
      /;\r\n\t[^\r]+\r\nDate: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000\r\nMessage-ID: <[^@>\s]+@mx\.test\.example>\r\nFrom: alice@example\.com\r\n/,
    );
    expect(header.match(/^Date:/gim)).toHaveLength(1);
    expect(header.match(/^Message-ID:/gim)).toHaveLength(1);
  });

  test("Date and Message-ID are not added again when present", async () => {
    const client = await session();
    await client.command("MAIL FROM:<alice@example.com>");
    await client.command("RCPT TO:<carol@example.com>");
    const extra = "Date: Mon, 1 Jan 2024 10:00:00 +0100\r\nmessage-id: <own-id@client.test>\r\n";
    expect(
      (await client.data(message("alice@example.com", "carol@example.com", "complete message", extra))).code,
    ).toBe(250);
    await client.close();
    const stored = (await mailboxContents(server, "carol@example.com")).find((m) =>
      m.raw.includes("complete message"),
    )!;
    const text = stored.raw.toString();
    const header = text.slice(0, text.indexOf("\r\n\r\n"));
    expect(header.match(/^Date:/gim)).toHaveLength(1);
    expect(header.match(/^Message-ID:/gim)).toHaveLength(1);
    expect(header).toContain("Date: Mon, 1 Jan 2024 10:00:00 +0100");
    expect(header).toContain("message-id: <own-id@client.test>");
  });

  test("a remote recipient is queued with sender, domain and the DSN parameters of MAIL and RCPT", async () => {
    const client = await session();
    expect((await client.command("MAIL FROM:<alice@example.com> RET=HDRS ENVID=abc")).code).toBe(250);
    const rcpt = await client.command(
      "RCPT TO:<Friend@Remote.Example> NOTIFY=FAILURE,DELAY ORCPT=rfc822;x@y",
    );
    expect(rcpt.code).toBe(250);
    const data = await client.data(message("alice@example.com", "friend@remote.example", "dsn params"));
    expect(data.code).toBe(250);
    await client.close();
    const alice = await accountGet(server.store.read, "alice@example.com");
    const item = (await queueItems()).find((q) => q.recipient === "Friend@Remote.Example");
    expect(item).toBeDefined();
    expect(item).toMatchObject({
      sender: "alice@example.com",
      domain: "remote.example",
      notify: "FAILURE,DELAY",
      orcpt: "rfc822;x@y",
      ret: "HDRS",
      envid: "abc",
      accountId: alice.id,
    });
  });

  test("without DSN parameters the queue row has none", async () => {
    const client = await session();
    await client.command("MAIL FROM:<alice@example.com>");
    await client.command("RCPT TO:<plain@remote.example>");
    expect((await client.data(message("alice@example.com", "plain@remote.example", "no dsn"))).code).toBe(
      250,
    );
    await client.close();
    const item = (await queueItems()).find((q) => q.recipient === "plain@remote.example");
    expect(item).toMatchObject({ notify: null, orcpt: null, ret: null, envid: null });
  });

  test("invalid DSN parameters are refused with 501", async () => {
    const client = await session();
    expect((await client.command("MAIL FROM:<alice@example.com> RET=EVERYTHING")).code).toBe(501);
    expect((await client.command("MAIL FROM:<alice@example.com>")).code).toBe(250);
    expect((await client.command("RCPT TO:<x@remote.example> NOTIFY=NEVER,FAILURE")).code).toBe(501);
    expect((await client.command("RCPT TO:<x@remote.example> NOTIFY=SOMETIMES")).code).toBe(501);
    await client.close();
  });

  test("local and remote recipients of one message: an INBOX copy and queue rows share one content", async () => {
    const client = await session();
    await client.command("MAIL FROM:<alice@example.com>");
    expect((await client.command("RCPT TO:<bob@example.com>")).code).toBe(250);
    expect((await client.command("RCPT TO:<one@remote.example>")).code).toBe(250);
    expect((await client.command("RCPT TO:<two@other.example>")).code).toBe(250);
    const data = await client.data(message("alice@example.com", "bob@example.com", "mixed recipients"));
    expect(data.code).toBe(250);
    await client.close();
    const local = (await mailboxContents(server, "bob@example.com")).find((m) =>
      m.raw.includes("mixed recipients"),
    )!;
    expect(local).toBeDefined();
    const rows = (await queueItems()).filter((q) => q.contentId === local.contentId);
    expect(rows.map((r) => [r.recipient, r.domain]).sort()).toEqual([
      ["one@remote.example", "remote.example"],
      ["two@other.example", "other.example"],
    ]);
    // No Bcc leak: with several recipients the Received line names none of them.
    expect(local.raw.toString()).not.toContain("\tfor <");
  });

  test("a message with only remote recipients is stored once, in no mailbox, with its queue row", async () => {
    const client = await session();
    await client.command("MAIL FROM:<alice@example.com>");
    await client.command("RCPT TO:<only@remote.example>");
    expect((await client.data(message("alice@example.com", "only@remote.example", "remote only"))).code).toBe(
      250,
    );
    await client.close();
    const item = (await queueItems()).find((q) => q.recipient === "only@remote.example")!;
    expect(item).toBeDefined();
    const rows = await server.store.execute(
      `SELECT (SELECT count(*) FROM messages WHERE content_id = ${item.contentId}) AS messages,
              (SELECT count(*) FROM contents WHERE id = ${item.contentId}) AS contents`,
    );
    expect(Number(rows[0]!.messages)).toBe(0);
    expect(Number(rows[0]!.contents)).toBe(1);
  });

  test("a looping message (more than 30 Received headers) is refused with 554 5.4.6 on submission too", async () => {
    const client = await session();
    await client.command("MAIL FROM:<alice@example.com>");
    await client.command("RCPT TO:<loop@remote.example>");
    const received = "Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n".repeat(31);
    const data = await client.data(
      `${received}${message("alice@example.com", "loop@remote.example", "loop")}`,
    );
    expect(data.code).toBe(554);
    expect(data.text).toContain("5.4.6");
    await client.close();
    expect((await queueItems()).some((q) => q.recipient === "loop@remote.example")).toBe(false);
  });

  test("RSET keeps the login; the next transaction starts without the earlier recipients", async () => {
    const client = await session();
    await client.command("MAIL FROM:<alice@example.com>");
    await client.command("RCPT TO:<dropped@remote.example>");
    expect((await client.command("RSET")).code).toBe(250);
    expect((await client.command("MAIL FROM:<alice@example.com>")).code).toBe(250);
    expect((await client.command("RCPT TO:<kept@remote.example>")).code).toBe(250);
    expect((await client.data(message("alice@example.com", "kept@remote.example", "after rset"))).code).toBe(
      250,
    );
    await client.close();
    const recipients = (await queueItems()).map((q) => q.recipient);
    expect(recipients).toContain("kept@remote.example");
    expect(recipients).not.toContain("dropped@remote.example");
  });
});
