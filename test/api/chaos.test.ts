/**
 * Fault injection (issue 16): PUT/GET/DELETE /api/v1/chaos, 403 unless MAILROOM_CHAOS=true; rules
 * applied in SMTP (connect, mail, rcpt, data, auth), IMAP and POP3 (connect, auth, command) and
 * outgoing delivery, each seen by a stock client (python3 smtplib/imaplib/poplib, swaks) or by the
 * queue's own record of a delivery to a real SMTP peer.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { queueList } from "../../src/store/mod.ts";
import { freshAccount } from "../harness/accounts.ts";
import { eventually } from "../harness/eventually.ts";
import { run } from "../harness/run.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";
import { submit } from "../smtp/outbound-helpers.ts";
import { type Peer, startPeer } from "../smtp/peer.ts";
import { expectProblem } from "./helpers.ts";

let server: TestServer;
let off: TestServer;
let peer: Peer;

beforeAll(async () => {
  peer = await startPeer();
  server = await startTestServer({
    chaos: true,
    routes: [{ domain: "remote.example", host: "127.0.0.1", port: peer.port }],
  });
  off = await startTestServer();
});

afterAll(async () => {
  await server?.close();
  await off?.close();
  await peer?.close();
});

afterEach(async () => {
  await server.api("/api/v1/chaos", { method: "DELETE" });
});

const setRules = async (rules: unknown[]) => {
  const res = await server.api("/api/v1/chaos", { method: "PUT", json: { rules } });
  expect(res.status).toBe(200);
  return (await res.json()) as { rules: Array<Record<string, unknown>> };
};

async function python(script: string): Promise<string> {
  const r = await run("python3", ["-c", script]);
  if (r.stderr) throw new Error(r.stderr);
  return r.stdout.trim();
}

describe("the chaos resource", () => {
  test("without MAILROOM_CHAOS, GET, PUT and DELETE are 403 and nothing is injected", async () => {
    await expectProblem(await off.api("/api/v1/chaos"), 403);
    const put = await off.api("/api/v1/chaos", {
      method: "PUT",
      json: { rules: [{ protocol: "smtp", stage: "connect", reply: "421 4.3.2 no" }] },
    });
    const problem = await expectProblem(put, 403);
    expect(problem.detail).toContain("MAILROOM_CHAOS=true");
    await expectProblem(await off.api("/api/v1/chaos", { method: "DELETE" }), 403);
  });

  test("PUT replaces the rules, GET shows them as given with how often each applied, DELETE clears them", async () => {
    const rule = {
      protocol: "smtp",
      stage: "rcpt",
      match: { to: "x@" },
      reply: "451 4.3.0 later",
      delay: "10ms",
    };
    expect((await setRules([rule])).rules).toEqual([{ ...rule, applied: 0 }]);
    expect(((await (await server.api("/api/v1/chaos")).json()) as { rules: unknown[] }).rules).toHaveLength(
      1,
    );
    expect((await server.api("/api/v1/chaos", { method: "DELETE" })).status).toBe(204);
    expect(await (await server.api("/api/v1/chaos")).json()).toEqual({ rules: [] });
  });

  test("a stage the protocol lacks, a rule without an action, a bad delay or an unknown field is a 422", async () => {
    const put = (rules: unknown[]) => server.api("/api/v1/chaos", { method: "PUT", json: { rules } });
    await expectProblem(await put([{ protocol: "imap", stage: "rcpt", reply: "NO x" }]), 422);
    await expectProblem(await put([{ protocol: "smtp", stage: "mail" }]), 422);
    await expectProblem(await put([{ protocol: "smtp", stage: "mail", delay: "forever" }]), 422);
    await expectProblem(await put([{ protocol: "smtp", stage: "mail", delay: "1h" }]), 422);
    await expectProblem(await put([{ protocol: "smtp", stage: "mail", reply: "451 x", colour: "red" }]), 422);
    await expectProblem(
      await put([{ protocol: "smtp", stage: "mail", reply: "451 x", probability: 2 }]),
      422,
    );
  });
});

describe("SMTP", () => {
  test("smtplib sees the injected 451 at RCPT for the matching address only, and the next try succeeds (times: 1)", async () => {
    const good = await freshAccount(server);
    const flaky = await freshAccount(server);
    await setRules([
      { protocol: "smtp", stage: "rcpt", match: { to: flaky }, reply: "451 4.3.0 try again later", times: 1 },
    ]);
    const out = await python(`
import smtplib
s = smtplib.SMTP("127.0.0.1", ${server.ports.smtp})
s.ehlo("client.test")
s.mail("app@remote.example")
print(s.rcpt("${good}"))
print(s.rcpt("${flaky}"))
print(s.rcpt("${flaky}"))
s.quit()
`);
    expect(out.split("\n")).toEqual([
      expect.stringMatching(/^\(250, /),
      "(451, b'4.3.0 try again later')",
      expect.stringMatching(/^\(250, /),
    ]);
    const rules = (
      (await (await server.api("/api/v1/chaos")).json()) as { rules: Array<{ applied: number }> }
    ).rules;
    expect(rules[0]!.applied).toBe(1);
  });

  test("swaks gets the injected 421 as its greeting and the connection closes", async () => {
    await setRules([{ protocol: "smtp", stage: "connect", reply: "421 4.3.2 chaos says no" }]);
    const r = await run("swaks", [
      "--server",
      "127.0.0.1",
      "--port",
      String(server.ports.smtp),
      "--to",
      "x@example.com",
      "--quit-after",
      "EHLO",
    ]);
    expect(r.stdout).toContain("<** 421 4.3.2 chaos says no");
    expect(r.code).not.toBe(0);
  });

  test("a delay at MAIL holds the reply; a disconnect at DATA drops the line (smtplib: SMTPServerDisconnected)", async () => {
    const address = await freshAccount(server);
    await setRules([
      { protocol: "smtp", stage: "mail", delay: "600ms" },
      { protocol: "smtp", stage: "data", disconnect: true },
    ]);
    const out = await python(`
import smtplib, time
s = smtplib.SMTP("127.0.0.1", ${server.ports.smtp})
s.ehlo("client.test")
t = time.time()
print(s.mail("app@remote.example")[0], time.time() - t >= 0.55)
s.rcpt("${address}")
try:
    s.data(b"Subject: never\\r\\n\\r\\nhi\\r\\n")
    print("sent")
except smtplib.SMTPServerDisconnected:
    print("disconnected")
`);
    expect(out.split("\n")).toEqual(["250 True", "disconnected"]);
  });

  test("at DATA a reply comes after the message was read: smtplib gets the 554 and nothing is stored", async () => {
    const address = await freshAccount(server);
    await setRules([{ protocol: "smtp", stage: "data", reply: "554 5.6.0 chaos refuses the content" }]);
    const out = await python(`
import smtplib
s = smtplib.SMTP("127.0.0.1", ${server.ports.smtp})
try:
    s.sendmail("app@remote.example", ["${address}"], b"Subject: refused\\r\\n\\r\\n" + b"x" * 100000 + b"\\r\\n")
except smtplib.SMTPDataError as e:
    print(e.smtp_code, e.smtp_error.decode())
s.quit()
`);
    expect(out).toBe("554 5.6.0 chaos refuses the content");
    const found = (await (await server.api(`/api/v1/messages?to=${encodeURIComponent(address)}`)).json()) as {
      items: unknown[];
    };
    expect(found.items).toEqual([]);
  });

  test("at AUTH, for one login: smtplib gets the injected 454", async () => {
    const address = await freshAccount(server);
    await setRules([
      {
        protocol: "smtp",
        stage: "auth",
        match: { login: address },
        reply: "454 4.7.0 chaos: auth unavailable",
      },
    ]);
    const out = await python(`
import smtplib
s = smtplib.SMTP("127.0.0.1", ${server.ports.submission})
s.ehlo("client.test")
try:
    s.login("${address}", "secret")
    print("logged in")
except smtplib.SMTPAuthenticationError as e:
    print(e.smtp_code, e.smtp_error.decode())
`);
    expect(out).toBe("454 4.7.0 chaos: auth unavailable");
  });
});

describe("IMAP and POP3", () => {
  test("imaplib: NO at LOGIN for one login, NO at SELECT, and a BYE at connect", async () => {
    const address = await freshAccount(server);
    await setRules([
      {
        protocol: "imap",
        stage: "auth",
        match: { login: address },
        reply: "NO [UNAVAILABLE] chaos: try later",
        times: 1,
      },
      {
        protocol: "imap",
        stage: "command",
        match: { command: "select" },
        reply: "NO [UNAVAILABLE] chaos: not now",
        times: 1,
      },
    ]);
    const out = await python(`
import imaplib
c = imaplib.IMAP4("127.0.0.1", ${server.ports.imap})
try:
    c.login("${address}", "secret")
except imaplib.IMAP4.error as e:
    print("login refused:", e)
print(c.login("${address}", "secret")[0])
print(c.select("INBOX"))
print(c.select("INBOX")[0])
c.logout()
`);
    expect(out.split("\n")).toEqual([
      "login refused: b'[UNAVAILABLE] chaos: try later'",
      "OK",
      "('NO', [b'[UNAVAILABLE] chaos: not now'])",
      "OK",
    ]);
    await setRules([{ protocol: "imap", stage: "connect", reply: "BYE chaos: closed for testing" }]);
    const bye = await python(`
import imaplib
try:
    imaplib.IMAP4("127.0.0.1", ${server.ports.imap})
    print("connected")
except imaplib.IMAP4.error as e:
    print("refused", e)
`);
    expect(bye).toContain("refused");
    expect(bye).toContain("chaos: closed for testing");
  });

  test("poplib: the greeting replaced by -ERR, -ERR at STAT, and a dropped line at PASS", async () => {
    const address = await freshAccount(server);
    await setRules([{ protocol: "pop3", stage: "connect", reply: "-ERR [SYS/TEMP] chaos: busy" }]);
    const refused = await python(`
import poplib
try:
    poplib.POP3("127.0.0.1", ${server.ports.pop3})
    print("connected")
except poplib.error_proto as e:
    print(e)
`);
    expect(refused).toBe("b'-ERR [SYS/TEMP] chaos: busy'");
    await setRules([
      {
        protocol: "pop3",
        stage: "command",
        match: { command: "STAT" },
        reply: "-ERR [SYS/TEMP] chaos: stat failed",
        times: 1,
      },
      { protocol: "pop3", stage: "auth", match: { command: "PASS" }, disconnect: true, times: 1 },
    ]);
    const out = await python(`
import poplib
p = poplib.POP3("127.0.0.1", ${server.ports.pop3})
p.user("${address}")
try:
    p.pass_("secret")
except Exception as e:
    print("dropped", type(e).__name__)
p = poplib.POP3("127.0.0.1", ${server.ports.pop3})
p.user("${address}")
p.pass_("secret")
try:
    p.stat()
except poplib.error_proto as e:
    print(e)
print(p.stat())
p.quit()
`);
    expect(out.split("\n")).toEqual([
      expect.stringMatching(/^dropped /),
      "b'-ERR [SYS/TEMP] chaos: stat failed'",
      "(0, 0)",
    ]);
  });
});

describe("outgoing delivery", () => {
  test("a 451 injected for one remote recipient defers it; the other is delivered to the real peer", async () => {
    const address = await freshAccount(server);
    await setRules([
      { protocol: "delivery", stage: "rcpt", match: { to: "slow@" }, reply: "451 4.4.2 chaos: remote busy" },
    ]);
    const sent = await submit(server, {
      user: address,
      to: ["fast@remote.example", "slow@remote.example"],
      raw: `From: ${address}\r\nTo: fast@remote.example\r\nSubject: chaos out\r\n\r\nHello.\r\n`,
    });
    expect(sent.ok).toBe(true);
    const delivered = await peer.next();
    expect(delivered.to).toEqual(["fast@remote.example"]);
    const deferred = await eventually(async () => {
      const items = await queueList(server.store.read, { limit: 100 });
      return items.find((i) => i.recipient === "slow@remote.example" && i.attempts > 0);
    }, "the deferral to be recorded");
    expect(deferred.lastError).toContain("451 4.4.2 chaos: remote busy");
  });

  test("a disconnect at connect defers every recipient as a dropped connection", async () => {
    const address = await freshAccount(server);
    await setRules([
      { protocol: "delivery", stage: "connect", match: { domain: "remote.example" }, disconnect: true },
    ]);
    await submit(server, {
      user: address,
      to: ["dropped@remote.example"],
      raw: `From: ${address}\r\nTo: dropped@remote.example\r\nSubject: chaos drop\r\n\r\nHello.\r\n`,
    });
    const deferred = await eventually(async () => {
      const items = await queueList(server.store.read, { limit: 100 });
      return items.find((i) => i.recipient === "dropped@remote.example" && i.attempts > 0);
    }, "the deferral to be recorded");
    expect(deferred.lastError).toContain("connection dropped");
  });
});
