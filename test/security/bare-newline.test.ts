/**
 * Bare CR and bare LF in SMTP DATA (issue 9, finding 1), over real sockets. An authenticated user
 * hid a second header block behind bare CRs: the sender check saw one From, the next hop (whose
 * client turned each bare CR into CRLF) and Python's parser saw another. Mailroom refuses such a
 * message with 554 5.6.0 on every port (MAILROOM_BARE_NEWLINE=reject, the default), or with
 * "normalize" turns each bare CR and LF into CRLF before anything looks at it, so the bytes checked,
 * stored and relayed are the same bytes. A scripted peer on loopback is the next hop.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { queueList } from "../../src/store/mod.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";
import { type Peer, startPeer } from "../smtp/peer.ts";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** The reproduction from the issue, byte for byte. */
const SPOOF =
  "X-Hdr: y\rFrom: CEO <ceo@bank.example>\rSubject: wire the money\r\r\n" +
  "From: a@example.test\r\nSubject: harmless\r\n\r\nbody\r\n";

const legit = (subject: string, body = "hello\r\n") =>
  `From: a@example.test\r\nTo: victim@remote.example\r\nSubject: ${subject}\r\n\r\n${body}`;

/** Whether `raw` holds a CR or LF that is not part of a CRLF. */
function hasBare(raw: Buffer): boolean {
  return /\r(?!\n)|(?<!\r)\n/.test(raw.toString("latin1"));
}

/** The header block of `raw` (up to the first CRLF CRLF) as text. */
function headerOf(raw: Buffer): string {
  const text = raw.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  return end === -1 ? text : text.slice(0, end + 2);
}

async function start(overrides: Parameters<typeof startTestServer>[0], peer: Peer): Promise<TestServer> {
  const server = await startTestServer({
    ...overrides,
    routes: [{ domain: "*", host: "127.0.0.1", port: peer.port }],
    queueRetry: [200],
  });
  await createAccounts(server, [
    { address: "a@example.test", password: "a-pw" },
    { address: "b@example.test", password: "b-pw" },
  ]);
  return server;
}

/** An authenticated submission session on 587, MAIL FROM given, with these recipients accepted. */
async function submission(server: TestServer, to: string[]): Promise<SmtpClient> {
  const { client } = await SmtpClient.connect(server.ports.submission!);
  await client.command("EHLO client.test");
  expect((await client.command(`AUTH PLAIN ${b64("\0a@example.test\0a-pw")}`)).code).toBe(235);
  expect((await client.command("MAIL FROM:<a@example.test>")).code).toBe(250);
  for (const rcpt of to) expect((await client.command(`RCPT TO:<${rcpt}>`)).code).toBe(250);
  return client;
}

/** Raw DATA: the bytes exactly as given (dot-stuffed by the harness), then the terminator. */
async function rawData(client: SmtpClient, message: string | Buffer) {
  return client.data(typeof message === "string" ? Buffer.from(message, "latin1") : message);
}

describe("MAILROOM_BARE_NEWLINE=reject (the default)", () => {
  let peer: Peer;
  let server: TestServer;

  beforeAll(async () => {
    peer = await startPeer();
    server = await start({}, peer);
  });

  afterAll(async () => {
    await server.close();
    await peer.close();
  });

  test("the issue's bare-CR From spoof is refused on 587 with 554 5.6.0; nothing is stored, queued or relayed", async () => {
    const client = await submission(server, ["victim@remote.example", "b@example.test"]);
    const refused = await rawData(client, SPOOF);
    expect(refused.code).toBe(554);
    expect(refused.text).toContain("5.6.0");
    expect(await queueList(server.store.read, { limit: 10 })).toHaveLength(0);
    // The same session goes on: a clean message after the refused one is delivered, and it is the
    // only thing the next hop and the local recipient ever get.
    expect((await client.command("MAIL FROM:<a@example.test>")).code).toBe(250);
    expect((await client.command("RCPT TO:<victim@remote.example>")).code).toBe(250);
    expect((await client.command("RCPT TO:<b@example.test>")).code).toBe(250);
    expect((await rawData(client, legit("after the refusal"))).code).toBe(250);
    await client.close();
    const relayed = await peer.next();
    expect(relayed.raw.toString("latin1")).toContain("Subject: after the refusal");
    expect(peer.messages).toHaveLength(1);
    expect(relayed.raw.toString("latin1")).not.toContain("ceo@bank.example");
    const stored = await mailboxContents(server, "b@example.test");
    expect(stored).toHaveLength(1);
    expect(stored[0]!.raw.toString("latin1")).not.toContain("ceo@bank.example");
  });

  test.each([
    ["a bare LF ending a header line", "From: x@remote.example\nSubject: s\r\n\r\nbody\r\n"],
    ["a bare CR inside a header line", "From: x@remote.example\rBcc: y\r\n\r\nbody\r\n"],
    ["a bare LF in the body", "From: x@remote.example\r\n\r\nline\nline\r\n"],
    ["a bare CR in the body", "From: x@remote.example\r\n\r\nline\rline\r\n"],
    ["a CR before the final CRLF", "From: x@remote.example\r\n\r\nbody\r\r\n"],
    ["LF CR instead of CRLF", "From: x@remote.example\r\n\r\nbody\n\r\n"],
  ])("DATA with %s is refused on port 25 with 554 5.6.0 and not stored", async (_name, message) => {
    const { client } = await SmtpClient.connect(server.ports.smtp!);
    await client.command("EHLO client.test");
    await client.command("MAIL FROM:<x@remote.example>");
    expect((await client.command("RCPT TO:<b@example.test>")).code).toBe(250);
    const before = (await mailboxContents(server, "b@example.test")).length;
    const r = await rawData(client, message);
    expect(r.code).toBe(554);
    expect(r.text).toContain("5.6.0");
    expect(await mailboxContents(server, "b@example.test")).toHaveLength(before);
    await client.close();
  });

  test("a CRLF split across two writes is a line end; a CR followed by anything else is refused", async () => {
    const { client } = await SmtpClient.connect(server.ports.smtp!);
    await client.command("EHLO client.test");
    for (const [second, code] of [
      ["\nafter\r\n.\r\n", 250],
      ["after\r\n.\r\n", 554],
    ] as const) {
      await client.command("MAIL FROM:<x@remote.example>");
      await client.command("RCPT TO:<b@example.test>");
      expect((await client.command("DATA")).code).toBe(354);
      // Two writes, usually two segments; the unit tests of LineEndings pin every split exactly.
      client.write("From: x@remote.example\r\n\r\nbefore\r");
      client.write(second);
      expect((await client.read()).code).toBe(code);
    }
    await client.close();
  });
});

describe("MAILROOM_BARE_NEWLINE=normalize", () => {
  let peer: Peer;
  let server: TestServer;

  beforeAll(async () => {
    peer = await startPeer();
    server = await start({ bareNewline: "normalize" }, peer);
  });

  afterAll(async () => {
    await server.close();
    await peer.close();
  });

  test("the issue's spoof, normalised first, shows its real From to the sender check: 553 5.7.1", async () => {
    const client = await submission(server, ["victim@remote.example"]);
    const r = await rawData(client, SPOOF);
    expect(r.code).toBe(553);
    expect(r.text).toContain("5.7.1");
    expect(r.text).toContain("ceo@bank.example");
    await client.close();
    expect(await queueList(server.store.read, { limit: 10 })).toHaveLength(0);
  });

  test("a spoofed From after a bare CR in a later header is refused the same way", async () => {
    const client = await submission(server, ["victim@remote.example"]);
    const r = await rawData(
      client,
      "From: a@example.test\r\nX-Hdr: y\rFrom: ceo@bank.example\r\n\r\nbody\r\n",
    );
    expect(r.code).toBe(553);
    await client.close();
  });

  test("an accepted message is stored and relayed in CRLF, the same bytes everywhere, and read alike by Python", async () => {
    const client = await submission(server, ["victim@remote.example", "b@example.test"]);
    // The last line ends in CRLF: only CRLF.CRLF ends DATA (RFC 5321 §4.1.1.4).
    const message =
      "From: a@example.test\nTo: victim@remote.example\rSubject: unix\n\nline one\rline two\n.dot\r\n";
    expect((await rawData(client, message)).code).toBe(250);
    await client.close();
    const relayed = await peer.next();
    const [stored] = await mailboxContents(server, "b@example.test");
    for (const raw of [relayed.raw, stored!.raw]) {
      expect(hasBare(raw)).toBe(false);
      expect(raw.toString("latin1")).toEndWith(
        "From: a@example.test\r\nTo: victim@remote.example\r\nSubject: unix\r\n\r\nline one\r\nline two\r\n.dot\r\n",
      );
    }
    // The relayed copy is the stored one, less the Return-Path only a final delivery carries.
    expect(stored!.raw.toString("latin1")).toEndWith(relayed.raw.toString("latin1"));
    const python = spawnSync(
      "python3",
      [
        "-c",
        "import sys,email; m=email.message_from_bytes(sys.stdin.buffer.read()); print(m.get_all('From'))",
      ],
      { input: stored!.raw },
    );
    expect(python.stdout.toString().trim()).toBe("['a@example.test']");
    expect(headerOf(relayed.raw).match(/^From:/gm)).toHaveLength(1);
  });
});
