/**
 * Who may relay, on both listeners: never an unauthenticated client (no open relay, on port 25 or
 * 587); always an authenticated one (port 587, and port 25 with AUTH), under the same sender rules.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { type QueueItem, queueList } from "../../src/store/mod.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";

let server: TestServer;

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
  await createAccounts(server, [
    { address: "alice@example.com", password: "alice-pw" },
    { address: "bob@example.com", password: "bob-pw" },
  ]);
});

afterAll(async () => {
  await server.close();
});

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

async function connect(port: number, login?: { user: string; password: string }): Promise<SmtpClient> {
  const { client } = await SmtpClient.connect(port);
  await client.command("EHLO client.test");
  if (login) {
    const auth = await client.command(`AUTH PLAIN ${b64(`\0${login.user}\0${login.password}`)}`);
    expect(auth.code).toBe(235);
  }
  return client;
}

const alice = { user: "alice@example.com", password: "alice-pw" };

async function queueItems(): Promise<QueueItem[]> {
  return queueList(server.store.read, { limit: 1000 });
}

const message = (from: string, to: string, subject: string) =>
  `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n`;

describe("unauthenticated clients", () => {
  test("port 25: RCPT TO a remote domain is refused with 554 5.7.1 and nothing is queued", async () => {
    const client = await connect(server.ports.smtp!);
    expect((await client.command("MAIL FROM:<alice@example.com>")).code).toBe(250);
    const rcpt = await client.command("RCPT TO:<victim@elsewhere.example>");
    expect(rcpt.code).toBe(554);
    expect(rcpt.text).toContain("5.7.1");
    await client.close();
    expect((await queueItems()).some((q) => q.domain === "elsewhere.example")).toBe(false);
  });

  test("port 25: mail for a local account is still accepted from anyone, without AUTH", async () => {
    const client = await connect(server.ports.smtp!);
    expect((await client.command("MAIL FROM:<stranger@remote.example>")).code).toBe(250);
    expect((await client.command("RCPT TO:<bob@example.com>")).code).toBe(250);
    const data = await client.data(
      message("stranger@remote.example", "bob@example.com", "inbound as before"),
    );
    expect(data.code).toBe(250);
    await client.close();
    const stored = (await mailboxContents(server, "bob@example.com")).find((m) =>
      m.raw.includes("inbound as before"),
    )!;
    expect(stored.raw.toString()).toContain("with ESMTP id");
    // Inbound mail is not completed the way submissions are.
    expect(stored.raw.toString()).not.toMatch(/^Message-ID:/im);
  });

  test("port 25 offers AUTH PLAIN LOGIN on EHLO", async () => {
    const { client } = await SmtpClient.connect(server.ports.smtp!);
    const ehlo = await client.command("EHLO client.test");
    expect(ehlo.lines.map((l) => l.slice(4))).toContain("AUTH PLAIN LOGIN");
    await client.close();
  });

  test("port 587: MAIL FROM without AUTH is refused with 530 5.7.0, RCPT TO a remote domain too", async () => {
    const client = await connect(server.ports.submission!);
    const mail = await client.command("MAIL FROM:<alice@example.com>");
    expect(mail.code).toBe(530);
    expect(mail.text).toContain("5.7.0");
    const rcpt = await client.command("RCPT TO:<victim@elsewhere.example>");
    expect(rcpt.code).toBe(530);
    await client.close();
  });

  test("port 587: not even local delivery works without AUTH", async () => {
    const client = await connect(server.ports.submission!);
    expect((await client.command("MAIL FROM:<stranger@remote.example>")).code).toBe(530);
    expect((await client.command("RCPT TO:<bob@example.com>")).code).toBe(530);
    await client.close();
  });
});

describe("authenticated clients", () => {
  for (const [name, portOf] of [
    ["port 25", () => server.ports.smtp!],
    ["port 587", () => server.ports.submission!],
  ] as const) {
    test(`${name}: relaying to a remote domain is accepted and queued`, async () => {
      const recipient = `friend-${name.replace(" ", "")}@remote.example`;
      const client = await connect(portOf(), alice);
      expect((await client.command("MAIL FROM:<alice@example.com> ENVID=e1")).code).toBe(250);
      expect((await client.command(`RCPT TO:<${recipient}> NOTIFY=SUCCESS,FAILURE`)).code).toBe(250);
      const data = await client.data(message("alice@example.com", recipient, `relay via ${name}`));
      expect(data.code).toBe(250);
      await client.close();
      const item = (await queueItems()).find((q) => q.recipient === recipient);
      expect(item).toMatchObject({
        sender: "alice@example.com",
        domain: "remote.example",
        notify: "SUCCESS,FAILURE",
        envid: "e1",
      });
    });

    test(`${name}: a spoofed envelope sender is refused with 553 5.7.1`, async () => {
      const client = await connect(portOf(), alice);
      const mail = await client.command("MAIL FROM:<bob@example.com>");
      expect(mail.code).toBe(553);
      expect(mail.text).toContain("5.7.1");
      await client.close();
    });

    test(`${name}: a spoofed From header is refused with 553 5.7.1 and nothing is queued`, async () => {
      const recipient = `spoof-${name.replace(" ", "")}@remote.example`;
      const client = await connect(portOf(), alice);
      expect((await client.command("MAIL FROM:<alice@example.com>")).code).toBe(250);
      expect((await client.command(`RCPT TO:<${recipient}>`)).code).toBe(250);
      const data = await client.data(message("bob@example.com", recipient, "spoofed"));
      expect(data.code).toBe(553);
      expect(data.text).toContain("5.7.1");
      await client.close();
      expect((await queueItems()).some((q) => q.recipient === recipient)).toBe(false);
    });
  }

  test("port 25: an authenticated message gets Received ... with ESMTPA", async () => {
    const client = await connect(server.ports.smtp!, alice);
    await client.command("MAIL FROM:<alice@example.com>");
    await client.command("RCPT TO:<bob@example.com>");
    expect((await client.data(message("alice@example.com", "bob@example.com", "esmtpa on 25"))).code).toBe(
      250,
    );
    await client.close();
    const stored = (await mailboxContents(server, "bob@example.com")).find((m) =>
      m.raw.includes("esmtpa on 25"),
    )!;
    expect(stored.raw.toString()).toContain("with ESMTPA id");
  });

  test("an unknown local recipient is still refused with 550 5.1.1 when authenticated", async () => {
    const client = await connect(server.ports.submission!, alice);
    await client.command("MAIL FROM:<alice@example.com>");
    const rcpt = await client.command("RCPT TO:<nobody@example.com>");
    expect(rcpt.code).toBe(550);
    expect(rcpt.text).toContain("5.1.1");
    await client.close();
  });

  test("the 100-recipient limit counts local and remote recipients together (452 4.5.3)", async () => {
    const client = await connect(server.ports.submission!, alice);
    await client.command("MAIL FROM:<alice@example.com>");
    expect((await client.command("RCPT TO:<bob@example.com>")).code).toBe(250);
    for (let i = 0; i < 99; i++) {
      const r = await client.command(`RCPT TO:<many${i}@remote.example>`);
      expect(r.code).toBe(250);
    }
    // Naming an accepted recipient again is not another recipient.
    expect((await client.command("RCPT TO:<many0@remote.example>")).code).toBe(250);
    const over = await client.command("RCPT TO:<one-too-many@remote.example>");
    expect(over.code).toBe(452);
    expect(over.text).toContain("4.5.3");
    expect((await client.command("RCPT TO:<alice@example.com>")).code).toBe(452);
    expect((await client.data(message("alice@example.com", "list@remote.example", "hundred"))).code).toBe(
      250,
    );
    await client.close();
    const items = (await queueItems()).filter((q) => q.recipient.startsWith("many"));
    expect(items).toHaveLength(99);
  });
});
