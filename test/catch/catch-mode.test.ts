/**
 * Catch mode (issue 16, MAILROOM_CATCH / --catch), driven by stock clients over real sockets:
 * Python's smtplib, swaks and nodemailer take mail for any address at any domain, the first message
 * creating the account; submitted mail also lands in the sender's Sent; nothing is relayed (the
 * queue's route points at a real SMTP peer that must hear nothing); imaplib and poplib log in with
 * any password. Releasing a caught message sends it to a real server.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nodemailer from "nodemailer";
import { loadConfig, parseArgs } from "../../src/config.ts";
import { accountFind, queueList } from "../../src/store/mod.ts";
import { startChildServer } from "../harness/child-server.ts";
import { hasCommand, run } from "../harness/run.ts";
import { mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient, sendMail } from "../harness/smtp-client.ts";
import { type Peer, smtpError, startPeer } from "../smtp/peer.ts";

let server: TestServer;
let relay: Peer;

beforeAll(async () => {
  relay = await startPeer();
  server = await startTestServer({
    catch: true,
    // Were anything relayed, it would go here: the peer counts every RCPT it is sent.
    routes: [{ domain: "*", host: "127.0.0.1", port: relay.port }],
  });
});

afterAll(async () => {
  await server.close();
  await relay.close();
});

const message = (from: string, to: string, subject: string) =>
  `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nHello from ${subject}.\r\n`;

describe("configuration", () => {
  test("--catch alone turns catch mode on, --catch=false and the default leave it off", () => {
    const on = parseArgs(["serve", "--catch", "--smtp-port", "2525"]);
    expect(loadConfig(on.flags, {}).catch).toBe(true);
    expect(loadConfig(on.flags, {}).smtpPort).toBe(2525);
    expect(loadConfig(parseArgs(["serve", "--catch=false"]).flags, { MAILROOM_CATCH: "true" }).catch).toBe(
      false,
    );
    expect(loadConfig(new Map(), { MAILROOM_CATCH: "true" }).catch).toBe(true);
    expect(loadConfig(new Map(), {}).catch).toBe(false);
  });

  test("the start-up output and the SMTP greeting say that catch mode is on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mailroom-catch-"));
    const child = await startChildServer({
      env: { MAILROOM_DATA_DIR: dir, MAILROOM_CATCH: "true", MAILROOM_LOG_LEVEL: "error" },
    });
    try {
      expect(child.stderr()).toContain("catch mode is on");
      const { client, greeting } = await SmtpClient.connect(child.smtpPort);
      expect(greeting.text).toContain("catch mode");
      await client.close();
    } finally {
      child.process.kill("SIGTERM");
      await child.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SMTP", () => {
  test("smtplib delivers to new addresses at any domain; the first message creates each account with INBOX", async () => {
    const script = `
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", ${server.ports.smtp})
refused = s.sendmail("app@shop.test", ["New.User@Far.Example", "other@elsewhere.test"],
  b"From: app@shop.test\\r\\nTo: new.user@far.example\\r\\nSubject: smtplib catch\\r\\n\\r\\nHi\\r\\n")
s.quit()
print("refused", refused)
`;
    const r = await run("python3", ["-c", script]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("refused {}");
    // The 250 came after the commit: account, domain and message are there when sendmail returns.
    for (const address of ["new.user@far.example", "other@elsewhere.test"]) {
      const account = await accountFind(server.store.read, address);
      expect(account?.address).toBe(address);
      const inbox = await mailboxContents(server, address);
      expect(inbox.map((m) => m.raw.toString())).toEqual([expect.stringContaining("Subject: smtplib catch")]);
    }
    const domains = (await (await server.api("/api/v1/domains")).json()) as {
      items: Array<{ name: string }>;
    };
    expect(domains.items.map((d) => d.name)).toEqual(
      expect.arrayContaining(["far.example", "elsewhere.test"]),
    );
  });

  test("a second message to the same address goes to the same account", async () => {
    expect(
      (
        await sendMail(
          server.ports.smtp!,
          "a@b.test",
          ["again@far.example"],
          message("a@b.test", "again@far.example", "one"),
        )
      ).code,
    ).toBe(250);
    expect(
      (
        await sendMail(
          server.ports.smtp!,
          "a@b.test",
          ["Again@far.example"],
          message("a@b.test", "again@far.example", "two"),
        )
      ).code,
    ).toBe(250);
    const inbox = await mailboxContents(server, "again@far.example");
    expect(inbox.map((m) => m.uid)).toEqual([1, 2]);
  });

  test("20 concurrent first messages to one new address create one account holding all 20", async () => {
    const to = "race@concurrent.test";
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sendMail(server.ports.smtp!, "x@y.test", [to], message("x@y.test", to, `race ${i}`)),
      ),
    );
    expect(replies.map((r) => r.code)).toEqual(Array(20).fill(250));
    expect((await mailboxContents(server, to)).length).toBe(20);
  });

  test("swaks submits on 587 with any credentials: stored for the recipients and in the sender's Sent, nothing relayed", async () => {
    if (!(await hasCommand("swaks"))) {
      console.warn("swaks is not installed (apt-get install -y swaks): skipped");
      return;
    }
    const r = await run("swaks", [
      ...["--server", "127.0.0.1", "--port", String(server.ports.submission)],
      ...["--auth", "PLAIN", "--auth-user", "whoever", "--auth-password", "not-checked"],
      ...["--from", "noreply@app.test", "--to", "customer@gmail.example,second@yahoo.example"],
      ...["--header", "Subject: order shipped"],
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("235 2.7.0");
    expect(r.stdout).toMatch(/250 2\.6\.0 Ok: delivered/);
    for (const address of ["customer@gmail.example", "second@yahoo.example"]) {
      const inbox = await mailboxContents(server, address);
      expect(inbox.map((m) => m.raw.toString())).toEqual([expect.stringContaining("Subject: order shipped")]);
    }
    const sent = await mailboxContents(server, "noreply@app.test", "Sent");
    expect(sent.length).toBe(1);
    expect(sent[0]!.raw.toString()).toContain("Subject: order shipped");
    // The Sent copy is the sender's own: already read.
    expect(sent[0]!.flags & 1).toBe(1);
    expect(await queueList(server.store.read, { limit: 10 })).toEqual([]);
    expect(relay.rcptCount()).toBe(0);
  });

  test("nodemailer submits on 587 without AUTH, and on 465 with implicit TLS", async () => {
    for (const [port, secure] of [
      [server.ports.submission!, false],
      [server.ports.smtps!, true],
    ] as const) {
      const transport = nodemailer.createTransport({
        host: "127.0.0.1",
        port,
        secure,
        tls: { rejectUnauthorized: false },
      });
      const to = `node-${port}@nodemailer.example`;
      const info = await transport.sendMail({
        from: "app@app.test",
        to,
        subject: `nodemailer ${port}`,
        text: "hi",
      });
      expect(info.accepted).toEqual([to]);
      transport.close();
      expect((await mailboxContents(server, to)).length).toBe(1);
    }
    expect(relay.rcptCount()).toBe(0);
  });

  test("an RCPT TO that is no address is still refused with a 5xx, catch mode or not", async () => {
    const { client } = await SmtpClient.connect(server.ports.smtp!);
    await client.command("EHLO client.test");
    await client.command("MAIL FROM:<a@b.test>");
    const reply = await client.command("RCPT TO:<no-domain@>");
    expect(reply.code).toBeGreaterThanOrEqual(500);
    await client.close();
  });
});

describe("IMAP and POP3", () => {
  test("imaplib and poplib log in with any password to an address that exists, and not to one that does not", async () => {
    await sendMail(
      server.ports.smtp!,
      "a@b.test",
      ["reader@mail.example"],
      message("a@b.test", "reader@mail.example", "read me"),
    );
    const script = `
import imaplib, poplib
c = imaplib.IMAP4("127.0.0.1", ${server.ports.imap})
c.login("reader@mail.example", "any password at all")
typ, data = c.select("INBOX")
assert typ == "OK" and data[0] == b"1", data
typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
assert b"read me" in data[0][1], data
c.logout()
p = poplib.POP3("127.0.0.1", ${server.ports.pop3})
p.user("reader@mail.example"); p.pass_("something else")
assert p.stat()[0] == 1
p.quit()
try:
    imaplib.IMAP4("127.0.0.1", ${server.ports.imap}).login("nobody@mail.example", "x")
    print("unknown address logged in")
except imaplib.IMAP4.error as e:
    print("refused", e)
`;
    const r = await run("python3", ["-c", script]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toStartWith("refused");
  });
});

describe("release", () => {
  let target: Peer;

  beforeAll(async () => {
    target = await startPeer({
      onRcpt: (address) =>
        address.startsWith("refused@") ? smtpError(550, "5.1.1 no such user") : undefined,
    });
  });

  afterAll(async () => {
    await target.close();
  });

  test("POST /messages/{id}/release sends the caught message to the route and reports each recipient", async () => {
    const raw = message("shop@store.test", "buyer@customer.test", "release me");
    expect((await sendMail(server.ports.smtp!, "bounce@store.test", ["buyer@customer.test"], raw)).code).toBe(
      250,
    );
    const res = await server.api("/api/v1/messages/latest/release", {
      method: "POST",
      json: { to: ["qa@real.example", "refused@real.example"], route: `smtp://127.0.0.1:${target.port}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      sender: string;
      recipients: Array<{ address: string; accepted: boolean; code: number | null }>;
    };
    expect(body.sender).toBe("bounce@store.test");
    expect(body.recipients).toEqual([
      expect.objectContaining({ address: "qa@real.example", accepted: true, code: 250 }),
      expect.objectContaining({ address: "refused@real.example", accepted: false, code: 550 }),
    ]);
    const got = await target.next();
    expect(got.from).toBe("bounce@store.test");
    expect(got.to).toEqual(["qa@real.example"]);
    // Our Return-Path stays behind (RFC 5321 §4.4); the rest goes as stored.
    expect(got.raw.toString()).not.toContain("Return-Path:");
    expect(got.raw.toString()).toContain("Subject: release me");
    // The release is the one way out: the queue's route heard nothing.
    expect(relay.rcptCount()).toBe(0);
  });

  test("release to a port where nothing listens is a 502 problem, and a malformed route a 422", async () => {
    const closed = await startPeer();
    const port = closed.port;
    await closed.close();
    const unreachable = await server.api("/api/v1/messages/latest/release", {
      method: "POST",
      json: { to: ["qa@real.example"], route: `127.0.0.1:${port}` },
    });
    expect(unreachable.status).toBe(502);
    expect(unreachable.headers.get("content-type")).toBe("application/problem+json");
    const bad = await server.api("/api/v1/messages/latest/release", {
      method: "POST",
      json: { to: ["qa@real.example"], route: "http://user:secret@x" },
    });
    expect(bad.status).toBe(422);
    expect(await bad.text()).not.toContain("secret");
  });
});
