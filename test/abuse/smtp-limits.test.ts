/** SMTP's own abuse limits: connections per client address, and address guessing in one session. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { MAX_REFUSED_RECIPIENTS } from "../../src/smtp/rcpt-to.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ maxConnectionsPerIp: 3 });
  await createAccounts(server, [{ address: "real@example.com" }]);
});

afterAll(async () => {
  await server.close();
});

test("past the per-address limit an SMTP connection is greeted 421 4.7.0 and closed, and a slot frees on close", async () => {
  const held = await Promise.all([1, 2, 3].map(() => SmtpClient.connect(server.ports.smtp!)));
  for (const { greeting } of held) expect(greeting.code).toBe(220);
  const refused = await SmtpClient.connect(server.ports.smtp!);
  expect(refused.greeting.code).toBe(421);
  expect(refused.greeting.text).toContain("4.7.0");
  await refused.client.close();
  await held[0]!.client.close();
  // The closed connection gave its slot back.
  const again = await SmtpClient.connect(server.ports.smtp!);
  expect(again.greeting.code).toBe(220);
  await again.client.close();
  await Promise.all(held.slice(1).map(({ client }) => client.close()));
});

test("a session that collects too many refused recipients is answered 421 and closed (address guessing)", async () => {
  const { client } = await SmtpClient.connect(server.ports.smtp!);
  await client.command("EHLO guesser.test");
  await client.command("MAIL FROM:<x@remote.example>");
  for (let i = 0; i < MAX_REFUSED_RECIPIENTS; i++) {
    expect((await client.command(`RCPT TO:<guess${i}@example.com>`)).code).toBe(550);
  }
  const last = await client.command("RCPT TO:<one-more@example.com>");
  expect(last.code).toBe(421);
  await expect(client.command("NOOP")).rejects.toThrow("connection closed");
  await client.close();
});

test("a client pipelining 150 RCPTs gets 100 accepted and 50 refused with 452 4.5.3, and its transaction completes", async () => {
  // RFC 5321 §4.5.3.1.10: 452 for too many recipients is a "try the rest later", not an invalid
  // address: it must not count toward the address-guessing disconnect.
  const { client } = await SmtpClient.connect(server.ports.smtp!);
  await client.command("EHLO bulk.test");
  expect((await client.command("MAIL FROM:<list@remote.example>")).code).toBe(250);
  // One write for the whole batch (RFC 2920 pipelining), then read every reply in order.
  client.write(Array.from({ length: 150 }, (_, i) => `RCPT TO:<real+${i}@example.com>\r\n`).join(""));
  const codes: number[] = [];
  const texts: string[] = [];
  for (let i = 0; i < 150; i++) {
    const r = await client.read();
    codes.push(r.code);
    texts.push(r.text);
  }
  expect(codes.filter((c) => c === 250)).toHaveLength(100);
  expect(codes.slice(100).every((c) => c === 452)).toBe(true);
  expect(texts[120]).toContain("4.5.3");
  const done = await client.data("From: list@remote.example\r\nSubject: bulk\r\n\r\nHello.\r\n");
  expect(done.code).toBe(250);
  await client.command("QUIT");
  await client.close();
});
