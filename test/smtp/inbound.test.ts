/**
 * Inbound SMTP over real sockets: reply codes for every refusal the foundation promises, and what
 * gets stored for each accepted message.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accountGet, accountUpdate, aliasCreate } from "../../src/store/mod.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient, sendMail } from "../harness/smtp-client.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer({ maxMessageSize: 12 * 1024 * 1024 });
  port = server.ports.smtp!;
  await createAccounts(server, [
    { address: "alice@example.com" },
    { address: "bob@example.com" },
    { address: "carol@example.com" },
    { address: "dave@example.com" },
    { address: "full@example.com", quota: 2048 },
    { address: "off@example.com" },
  ]);
  await server.store.write((w) =>
    aliasCreate(w, "team@example.com", ["alice@example.com", "bob@example.com"]),
  );
  await server.store.write((w) => accountUpdate(w, "off@example.com", { disabled: true }));
});

afterAll(async () => {
  await server.close();
});

const simple = (subject: string, body = "hello") =>
  `From: sender@remote.example\r\nTo: alice@example.com\r\nSubject: ${subject}\r\n\r\n${body}\r\n`;

describe("EHLO", () => {
  test("EHLO advertises PIPELINING, 8BITMIME, SMTPUTF8, SIZE, ENHANCEDSTATUSCODES, AUTH and STARTTLS", async () => {
    const { client, greeting } = await SmtpClient.connect(port);
    expect(greeting.code).toBe(220);
    expect(greeting.text).toContain("mx.test.example");
    const ehlo = await client.command("EHLO client.test");
    expect(ehlo.code).toBe(250);
    const lines = ehlo.lines.map((l) => l.slice(4));
    expect(lines).toContain("PIPELINING");
    expect(lines).toContain("8BITMIME");
    expect(lines).toContain("SMTPUTF8");
    expect(lines).toContain("ENHANCEDSTATUSCODES");
    expect(lines).toContain(`SIZE ${12 * 1024 * 1024}`);
    expect(lines).toContain("AUTH PLAIN LOGIN");
    expect(lines).toContain("STARTTLS");
    await client.close();
  });
});

describe("RCPT TO", () => {
  test("RCPT TO an unknown local address is refused with 550 5.1.1", async () => {
    const { client } = await SmtpClient.connect(port);
    await client.command("EHLO client.test");
    await client.command("MAIL FROM:<a@remote.example>");
    const r = await client.command("RCPT TO:<nobody@example.com>");
    expect(r.code).toBe(550);
    expect(r.text).toContain("5.1.1");
    await client.close();
  });

  test("RCPT TO a non-local domain without authentication is refused with 554 5.7.1 (no open relay)", async () => {
    const { client } = await SmtpClient.connect(port);
    await client.command("EHLO client.test");
    await client.command("MAIL FROM:<a@remote.example>");
    const r = await client.command("RCPT TO:<victim@elsewhere.example>");
    expect(r.code).toBe(554);
    expect(r.text).toContain("5.7.1");
    await client.close();
  });

  test("RCPT TO a disabled account is refused with 550 5.2.1", async () => {
    const { client } = await SmtpClient.connect(port);
    await client.command("EHLO client.test");
    await client.command("MAIL FROM:<a@remote.example>");
    const r = await client.command("RCPT TO:<off@example.com>");
    expect(r.code).toBe(550);
    expect(r.text).toContain("5.2.1");
    await client.close();
  });

  test("the 101st RCPT TO is refused with 452 4.5.3 and the first 100 are kept", async () => {
    const { client } = await SmtpClient.connect(port);
    await client.command("EHLO client.test");
    await client.command("MAIL FROM:<a@remote.example>");
    for (let i = 0; i < 100; i++) {
      const r = await client.command(`RCPT TO:<alice+${i}@example.com>`);
      expect(r.code).toBe(250);
    }
    const over = await client.command("RCPT TO:<bob@example.com>");
    expect(over.code).toBe(452);
    expect(over.text).toContain("4.5.3");
    await client.command("RSET");
    await client.close();
  });

  test("RCPT TO an account over its quota is deferred with 452 4.2.2", async () => {
    expect(
      (await sendMail(port, "a@remote.example", ["full@example.com"], simple("fill", "x".repeat(1000)))).code,
    ).toBe(250);
    const { client } = await SmtpClient.connect(port);
    await client.command("EHLO client.test");
    await client.command("MAIL FROM:<a@remote.example> SIZE=1000");
    const r = await client.command("RCPT TO:<full@example.com>");
    expect(r.code).toBe(452);
    expect(r.text).toContain("4.2.2");
    await client.close();
  });
});

describe("quota at the end of DATA", () => {
  const MiB = 1024 * 1024;

  /** Sends `count` messages of `bytes` each to `to` at once, none declaring SIZE; returns the reply codes. */
  async function parallel(to: string, count: number, bytes: number) {
    const body = "q"
      .repeat(76)
      .concat("\r\n")
      .repeat(Math.ceil(bytes / 78));
    return Promise.all(
      Array.from({ length: count }, (_, i) =>
        sendMail(port, "a@remote.example", [to], simple(`p${i}`, body)),
      ),
    );
  }

  async function usedBytes(address: string): Promise<{ used: number; quota: number | null }> {
    const account = await accountGet(server.store.read, address);
    return { used: account.usedBytes, quota: account.quota };
  }

  // Issue 9, finding 7: without SIZE= the RCPT check sees a size of 0, so every parallel message
  // passed it and all were stored. The check at the end of DATA runs inside the ingest transaction.
  test("20 parallel 5 MB messages without SIZE= to a 1 MiB quota are all refused with 452 4.2.2", async () => {
    await createAccounts(server, [{ address: "tight@example.com", quota: MiB }]);
    const replies = await parallel("tight@example.com", 20, 5_000_000);
    for (const r of replies) {
      expect(r.code).toBe(452);
      expect(r.text).toContain("4.2.2");
    }
    expect(await mailboxContents(server, "tight@example.com")).toHaveLength(0);
    expect((await usedBytes("tight@example.com")).used).toBe(0);
  }, 60_000);

  test("20 parallel 300 KB messages to a 1 MiB quota: exactly as many as fit are stored, the rest get 452 4.2.2", async () => {
    await createAccounts(server, [{ address: "some@example.com", quota: MiB }]);
    const replies = await parallel("some@example.com", 20, 300_000);
    const accepted = replies.filter((r) => r.code === 250).length;
    for (const r of replies.filter((r) => r.code !== 250)) {
      expect(r.code).toBe(452);
      expect(r.text).toContain("4.2.2");
    }
    const stored = await mailboxContents(server, "some@example.com");
    expect(stored).toHaveLength(accepted);
    const total = stored.reduce((sum, m) => sum + m.raw.length, 0);
    const smallest = Math.min(...stored.map((m) => m.raw.length));
    // As many as fit, and not one more.
    expect(total).toBeLessThanOrEqual(MiB);
    expect(total + smallest).toBeGreaterThan(MiB);
    expect(await usedBytes("some@example.com")).toEqual({ used: total, quota: MiB });
  }, 60_000);
});

describe("DATA", () => {
  test("a message over the size limit is refused with 552 5.3.4 and nothing is stored", async () => {
    const small = await startTestServer({ maxMessageSize: 64 * 1024 });
    try {
      await createAccounts(small, [{ address: "alice@example.com" }]);
      const r = await sendMail(
        small.ports.smtp!,
        "a@remote.example",
        ["alice@example.com"],
        simple("big", "y".repeat(100 * 1024)),
      );
      expect(r.code).toBe(552);
      expect(r.text).toContain("5.3.4");
      expect(await mailboxContents(small, "alice@example.com")).toHaveLength(0);
    } finally {
      await small.close();
    }
  });

  test("MAIL FROM with a declared SIZE over the limit is refused with 552", async () => {
    const { client } = await SmtpClient.connect(port);
    await client.command("EHLO client.test");
    const r = await client.command(`MAIL FROM:<a@remote.example> SIZE=${13 * 1024 * 1024}`);
    expect(r.code).toBe(552);
    await client.close();
  });

  test("delivery prepends Return-Path, Authentication-Results and Received and stores the received bytes unchanged", async () => {
    const body = simple("trace test");
    const r = await sendMail(port, "sender@remote.example", ["carol@example.com"], body);
    expect(r.code).toBe(250);
    expect(r.text).toContain("2.6.0");
    const [stored] = await mailboxContents(server, "carol@example.com");
    const text = stored!.raw.toString("utf8");
    // RFC 8601: our Authentication-Results (a trace field) sits between Return-Path and our Received.
    expect(text).toMatch(
      /^Return-Path: <sender@remote\.example>\r\nAuthentication-Results: mx\.test\.example;\r\n(\t[^\r\n]*\r\n| [^\r\n]*\r\n)+Received: from client\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.test\.example \(Mailroom\) with ESMTP id /,
    );
    expect(text).toContain("\r\n\tfor <carol@example.com>;");
    expect(text.endsWith(body)).toBe(true);
  });

  test("a message to several recipients is stored once and appears in every INBOX", async () => {
    const r = await sendMail(
      port,
      "a@remote.example",
      ["dave@example.com", "carol@example.com"],
      simple("shared copy"),
    );
    expect(r.code).toBe(250);
    const dave = await mailboxContents(server, "dave@example.com");
    const carol = await mailboxContents(server, "carol@example.com");
    const d = dave.find((m) => m.raw.includes("shared copy"))!;
    const c = carol.find((m) => m.raw.includes("shared copy"))!;
    expect(d.contentId).toBe(c.contentId);
    // Two recipients: no "for" clause, which would reveal the other (possibly Bcc) recipient.
    expect(d.raw.toString()).not.toContain("\tfor <");
  });

  test("an alias delivers to each of its accounts", async () => {
    expect((await sendMail(port, "a@remote.example", ["team@example.com"], simple("to the team"))).code).toBe(
      250,
    );
    for (const who of ["alice@example.com", "bob@example.com"]) {
      const box = await mailboxContents(server, who);
      expect(box.some((m) => m.raw.includes("to the team"))).toBe(true);
    }
  });

  test("user+tag@domain delivers to user@domain, once per account even when named twice", async () => {
    expect(
      (
        await sendMail(
          port,
          "a@remote.example",
          ["bob+lists@example.com", "BOB@example.com"],
          simple("plus addressing"),
        )
      ).code,
    ).toBe(250);
    const box = await mailboxContents(server, "bob@example.com");
    expect(box.filter((m) => m.raw.includes("plus addressing"))).toHaveLength(1);
  });

  test("8-bit bytes and lines starting with a dot round-trip byte-exact", async () => {
    const bytes = Buffer.concat([
      Buffer.from(
        "From: x@remote.example\r\nSubject: 8bit\r\nContent-Type: text/plain; charset=latin1\r\n\r\n",
      ),
      Buffer.from([0xe9, 0xe8, 0xff, 0x80, 0x0d, 0x0a]),
      Buffer.from(".leading dot\r\n..two dots\r\n.\tdot tab\r\nend\r\n"),
    ]);
    const r = await sendMail(port, "x@remote.example", ["alice@example.com"], bytes);
    expect(r.code).toBe(250);
    const box = await mailboxContents(server, "alice@example.com");
    const stored = box.find((m) => m.raw.includes("Subject: 8bit"))!;
    expect(stored.raw.subarray(stored.raw.length - bytes.length).equals(bytes)).toBe(true);
  });

  test("a 10 MB message round-trips byte-exact", async () => {
    const line = `${"0123456789abcdefghijklmnopqrstuvwxyz".repeat(2)}\r\n`;
    const body = line.repeat(Math.ceil((10 * 1024 * 1024) / line.length));
    const message = Buffer.from(`From: big@remote.example\r\nSubject: ten megabytes\r\n\r\n${body}`);
    const r = await sendMail(port, "big@remote.example", ["dave@example.com"], message);
    expect(r.code).toBe(250);
    const box = await mailboxContents(server, "dave@example.com");
    const stored = box.find((m) => m.raw.includes("Subject: ten megabytes"))!;
    expect(stored.raw.length).toBeGreaterThan(message.length);
    expect(stored.raw.subarray(stored.raw.length - message.length).equals(message)).toBe(true);
  });

  test("a message with more than 30 Received headers is refused with 554 5.4.6 (mail loop)", async () => {
    const hops = Array.from(
      { length: 31 },
      (_, i) => `Received: from hop${i}.example by hop${i + 1}.example; Thu, 1 Jan 2026 00:00:00 +0000\r\n`,
    ).join("");
    const r = await sendMail(
      port,
      "loop@remote.example",
      ["alice@example.com"],
      `${hops}Subject: loop\r\n\r\nround and round\r\n`,
    );
    expect(r.code).toBe(554);
    expect(r.text).toContain("5.4.6");
  });

  test("pipelined MAIL, RCPT and DATA are answered in order", async () => {
    const { client } = await SmtpClient.connect(port);
    await client.command("EHLO client.test");
    client.write(
      "MAIL FROM:<p@remote.example>\r\nRCPT TO:<alice@example.com>\r\nRCPT TO:<nobody@example.com>\r\nDATA\r\n",
    );
    expect((await client.read()).code).toBe(250);
    expect((await client.read()).code).toBe(250);
    expect((await client.read()).code).toBe(550);
    expect((await client.read()).code).toBe(354);
    client.write("Subject: pipelined\r\n\r\nbody\r\n.\r\n");
    expect((await client.read()).code).toBe(250);
    await client.close();
  });
});
