/**
 * The checks of port 25 that need no DNS: early talkers (postscreen's pregreet), per-address rate
 * limits on connections and messages, and greylisting (RFC 6647) with a clock the test moves.
 * Source addresses 127.0.0.x play remote clients; 127.0.0.1 is a trusted network and exempt.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { closedWith } from "../abuse/helpers.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";
import { deliver, testMessage } from "./helpers.ts";

const ALICE = "alice@example.com";
const BOB = "bob@example.com";
let early: TestServer;
let limited: TestServer;
let greylisting: TestServer;
let now = Date.UTC(2026, 0, 1);

beforeAll(async () => {
  early = await startTestServer({ greetDelay: 400 });
  limited = await startTestServer({ rateConnections: 3, rateMessages: 2 });
  greylisting = await startTestServer({ greylist: true, spamClock: () => now });
  for (const s of [early, limited, greylisting])
    await createAccounts(s, [{ address: ALICE }, { address: BOB }]);
});

afterAll(async () => {
  for (const s of [early, limited, greylisting]) await s?.close();
});

describe("early talkers (MAILROOM_GREET_DELAY)", () => {
  test("a client that sends before the greeting gets 554 5.5.1 and is disconnected", async () => {
    const socket = connect({ port: early.ports.smtp!, host: "127.0.0.1", localAddress: "127.0.0.2" });
    socket.on("error", () => {});
    socket.once("connect", () => socket.write("EHLO bot.example\r\n"));
    const received = await closedWith(socket);
    expect(received).toBe("554 5.5.1 Protocol error: command sent before the greeting\r\n");
  });

  test("a client that waits for the greeting is served", async () => {
    const reply = await deliver(early.ports.smtp!, { to: [ALICE], message: testMessage("patient", "hi") });
    expect(reply.code).toBe(250);
  });
});

describe("rate limits per client address (MAILROOM_RATE_CONNECTIONS, MAILROOM_RATE_MESSAGES)", () => {
  test("the connection past the limit in a minute gets 421 4.7.0; other addresses and trusted ones do not", async () => {
    const greetings: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { client, greeting } = await SmtpClient.connect(limited.ports.smtp!, "127.0.0.1", {
        localAddress: "127.0.0.20",
      });
      greetings.push(greeting.text);
      await client.close();
    }
    expect(greetings.slice(0, 3).every((g) => g.startsWith("220 "))).toBe(true);
    expect(greetings[3]).toBe("421 4.7.0 Too many connections per minute from your address, try again later");
    const other = await SmtpClient.connect(limited.ports.smtp!, "127.0.0.1", { localAddress: "127.0.0.21" });
    expect(other.greeting.code).toBe(220);
    await other.client.close();
    for (let i = 0; i < 5; i++) {
      const trusted = await SmtpClient.connect(limited.ports.smtp!, "127.0.0.1");
      expect(trusted.greeting.code).toBe(220);
      await trusted.client.close();
    }
  });

  test("the message past the limit in a minute gets 421 4.7.0 at MAIL FROM", async () => {
    const { client } = await SmtpClient.connect(limited.ports.smtp!, "127.0.0.1", {
      localAddress: "127.0.0.22",
    });
    await client.command("EHLO client.remote.example");
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const mail = await client.command("MAIL FROM:<sender@remote.example>");
      codes.push(mail.code);
      if (mail.code !== 250) {
        expect(mail.text).toBe("421 4.7.0 Too many messages per minute from your address, try again later");
        break;
      }
      await client.command(`RCPT TO:<${ALICE}>`);
      expect((await client.data(testMessage(`rate ${i}`, "hi"))).code).toBe(250);
    }
    expect(codes).toEqual([250, 250, 421]);
    await client.close();
  });
});

describe("greylisting (MAILROOM_GREYLIST=true)", () => {
  const send = (to: string[], localAddress = "127.0.0.30", from = "newcomer@remote.example") =>
    deliver(greylisting.ports.smtp!, { to, from, localAddress, message: testMessage("greylisted", "hello") });

  test("a new triplet is deferred with 451 4.7.1 until 5 minutes have passed, then accepted", async () => {
    const first = await send([ALICE]);
    expect(first.text).toBe("451 4.7.1 Greylisted, please try again later");
    now += 60_000;
    expect((await send([ALICE])).code).toBe(451);
    now += 4 * 60_000;
    const retried = await send([ALICE]);
    expect(retried.code).toBe(250);
    expect((await mailboxContents(greylisting, ALICE)).length).toBe(1);
    const rows = await greylisting.store.execute(
      "SELECT client_net, sender, recipient, passed_at FROM greylist",
    );
    expect(rows).toContainEqual({
      client_net: "127.0.0.0/24",
      sender: "newcomer@remote.example",
      recipient: ALICE,
      passed_at: now,
    });
  });

  test("a sender that passed once is let through from its network at once, to anyone, from any address of the /24", async () => {
    expect((await send([BOB], "127.0.0.31")).code).toBe(250);
  });

  test("the same sender from another network is greylisted again", async () => {
    expect((await send([ALICE], "127.0.1.30")).code).toBe(451);
  });

  test("a passed sender is forgotten after 36 days without mail", async () => {
    now += 37 * 86_400_000;
    expect((await send([ALICE])).code).toBe(451);
  });
});
