/**
 * Every POP3 command over a real socket, one exchange per line: the replies RFC 1939, RFC 2449 and
 * RFC 5034 prescribe, and the errors for bad arguments.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "../../src/log.ts";
import type { Pop3Listener } from "../../src/pop3/server.ts";
import { freshAccount } from "../harness/accounts.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { b64, deliver, extraPop3, simpleMessage, storedMessages } from "./fixtures.ts";

let server: TestServer;
let port: number;
/** Failed logins go here: a tiny failure delay keeps them fast and apart from the main listener. */
let failing: Pop3Listener;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.pop3!;
  failing = await extraPop3(server, { authFailureBaseDelayMs: 1, authFailureMaxDelayMs: 5 });
});

afterAll(async () => {
  await failing.close();
  await server.close();
});

/** An account with `count` messages "m1".."mN"; returns its address. */
async function mailbox(count: number): Promise<string> {
  const address = await freshAccount(server);
  for (let i = 1; i <= count; i++) await deliver(server, address, simpleMessage(`m${i}`, `body ${i}\r\n`));
  return address;
}

describe("greeting", () => {
  test("the greeting is +OK with the host name", async () => {
    const { client, greeting } = await Pop3Client.connect(port);
    expect(greeting.ok).toBe(true);
    expect(greeting.text).toContain("mx.test.example");
    await client.quit();
  });
});

describe("CAPA", () => {
  const required = ["TOP", "USER", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "SASL PLAIN LOGIN"];

  test("CAPA lists TOP, USER, UIDL, RESP-CODES, AUTH-RESP-CODE, PIPELINING, SASL, STLS and IMPLEMENTATION", async () => {
    const { client } = await Pop3Client.connect(port);
    const capa = await client.multi("CAPA");
    expect(capa.ok).toBe(true);
    for (const c of required) expect(capa.lines).toContain(c);
    expect(capa.lines.some((l) => l.startsWith("IMPLEMENTATION "))).toBe(true);
    expect(capa.lines).toContain("STLS"); // RFC 2595 §4: a certificate exists (self-signed in tests)
    await client.quit();
  });

  test("CAPA gives the same list after login", async () => {
    const address = await mailbox(0);
    const client = await Pop3Client.login(port, address);
    const capa = await client.multi("CAPA");
    for (const c of required) expect(capa.lines).toContain(c);
    await client.quit();
  });
});

describe("USER and PASS", () => {
  test("USER and PASS with the full address log in", async () => {
    const address = await mailbox(2);
    const { client } = await Pop3Client.connect(port);
    expect((await client.command(`USER ${address}`)).ok).toBe(true);
    const pass = await client.command("PASS secret");
    expect(pass.ok).toBe(true);
    expect(pass.text).toContain("2 messages");
    await client.quit();
  });

  test("USER with the bare local part logs in for the primary domain", async () => {
    const address = await mailbox(1);
    const client = await Pop3Client.login(port, address.split("@")[0]!);
    expect((await client.command("STAT")).text).toMatch(/^1 \d+$/);
    await client.quit();
  });

  test("USER accepts any name, so the reply does not reveal which accounts exist", async () => {
    const { client } = await Pop3Client.connect(failing.port);
    expect((await client.command("USER nobody@example.com")).ok).toBe(true);
    const pass = await client.command("PASS secret");
    expect(pass.ok).toBe(false);
    expect(pass.code).toBe("AUTH");
    await client.quit();
  });

  test("PASS with a wrong password is -ERR [AUTH] and the session stays in AUTHORIZATION", async () => {
    const address = await mailbox(0);
    const { client } = await Pop3Client.connect(failing.port);
    await client.command(`USER ${address}`);
    const bad = await client.command("PASS wrong");
    expect(bad.line).toStartWith("-ERR [AUTH] ");
    expect((await client.command("STAT")).ok).toBe(false);
    await client.command(`USER ${address}`);
    expect((await client.command("PASS secret")).ok).toBe(true);
    await client.quit();
  });

  test("PASS without USER is refused", async () => {
    const { client } = await Pop3Client.connect(port);
    const r = await client.command("PASS secret");
    expect(r.ok).toBe(false);
    expect(r.code).toBeUndefined();
    await client.quit();
  });

  test("PASS takes the rest of the line, so passwords may contain spaces", async () => {
    const address = `spaces-${Date.now()}@example.com`;
    await createAccounts(server, [{ address, password: "correct horse  battery" }]);
    const { client } = await Pop3Client.connect(port);
    await client.command(`USER ${address}`);
    expect((await client.command("PASS correct horse  battery")).ok).toBe(true);
    await client.quit();
  });

  test("USER without a name is refused", async () => {
    const { client } = await Pop3Client.connect(port);
    expect((await client.command("USER")).ok).toBe(false);
    await client.quit();
  });
});

describe("AUTH", () => {
  test("AUTH without a mechanism lists PLAIN and LOGIN", async () => {
    const { client } = await Pop3Client.connect(port);
    const r = await client.multi("AUTH");
    expect(r.ok).toBe(true);
    expect(r.lines).toEqual(["PLAIN", "LOGIN"]);
    await client.quit();
  });

  test("AUTH PLAIN with an initial response logs in", async () => {
    const address = await mailbox(1);
    const { client } = await Pop3Client.connect(port);
    const r = await client.command(`AUTH PLAIN ${b64(`\0${address}\0secret`)}`);
    expect(r.ok).toBe(true);
    expect((await client.command("STAT")).ok).toBe(true);
    await client.quit();
  });

  test("AUTH PLAIN without an initial response sends an empty challenge, then logs in", async () => {
    const address = await mailbox(1);
    const { client } = await Pop3Client.connect(port);
    const challenge = await client.command("AUTH PLAIN");
    expect(challenge.line).toBe("+ ");
    expect((await client.command(b64(`${address}\0${address}\0secret`))).line).toStartWith("+OK");
    await client.quit();
  });

  test("AUTH PLAIN with the bare local part logs in", async () => {
    const address = await mailbox(0);
    const { client } = await Pop3Client.connect(port);
    const r = await client.command(`AUTH PLAIN ${b64(`\0${address.split("@")[0]}\0secret`)}`);
    expect(r.ok).toBe(true);
    await client.quit();
  });

  test('AUTH PLAIN "=" is an empty initial response and fails', async () => {
    const { client } = await Pop3Client.connect(port);
    const r = await client.command("AUTH PLAIN =");
    expect(r.ok).toBe(false);
    expect((await client.command("NOOP")).ok).toBe(false); // still AUTHORIZATION, not a SASL exchange
    await client.quit();
  });

  test("AUTH PLAIN with a wrong password is -ERR [AUTH]", async () => {
    const address = await mailbox(0);
    const { client } = await Pop3Client.connect(failing.port);
    const r = await client.command(`AUTH PLAIN ${b64(`\0${address}\0nope`)}`);
    expect(r.line).toStartWith("-ERR [AUTH] ");
    await client.quit();
  });

  test("AUTH PLAIN refuses to authorize as another user", async () => {
    const address = await mailbox(0);
    const { client } = await Pop3Client.connect(port);
    const r = await client.command(`AUTH PLAIN ${b64(`admin@example.com\0${address}\0secret`)}`);
    expect(r.ok).toBe(false);
    await client.quit();
  });

  test("AUTH LOGIN asks for the user name and password in base64", async () => {
    const address = await mailbox(1);
    const { client } = await Pop3Client.connect(port);
    const user = await client.command("AUTH LOGIN");
    expect(user.line).toBe(`+ ${b64("Username:")}`);
    const pass = await client.command(b64(address));
    expect(pass.line).toBe(`+ ${b64("Password:")}`);
    expect((await client.command(b64("secret"))).ok).toBe(true);
    expect((await client.command("STAT")).ok).toBe(true);
    await client.quit();
  });

  test("AUTH LOGIN with the user name as initial response asks only for the password", async () => {
    const address = await mailbox(0);
    const { client } = await Pop3Client.connect(port);
    expect((await client.command(`AUTH LOGIN ${b64(address)}`)).line).toBe(`+ ${b64("Password:")}`);
    expect((await client.command(b64("secret"))).ok).toBe(true);
    await client.quit();
  });

  test("AUTH LOGIN with a wrong password is -ERR [AUTH]", async () => {
    const address = await mailbox(0);
    const { client } = await Pop3Client.connect(failing.port);
    await client.command("AUTH LOGIN");
    await client.command(b64(address));
    expect((await client.command(b64("wrong"))).line).toStartWith("-ERR [AUTH] ");
    await client.quit();
  });

  test('"*" cancels an AUTH exchange with -ERR', async () => {
    const { client } = await Pop3Client.connect(port);
    await client.command("AUTH LOGIN");
    const r = await client.command("*");
    expect(r.ok).toBe(false);
    expect((await client.multi("CAPA")).ok).toBe(true); // back to commands
    await client.quit();
  });

  test("AUTH with a response that is not base64 fails", async () => {
    const { client } = await Pop3Client.connect(port);
    await client.command("AUTH PLAIN");
    expect((await client.command("not base64!")).ok).toBe(false);
    await client.quit();
  });

  test("AUTH with an unknown mechanism is refused", async () => {
    const { client } = await Pop3Client.connect(port);
    const r = await client.command("AUTH CRAM-MD5");
    expect(r.ok).toBe(false);
    await client.quit();
  });
});

describe("STAT, LIST and UIDL", () => {
  test("STAT is exactly +OK count octets", async () => {
    const address = await mailbox(3);
    const sizes = (await storedMessages(server, address)).map((m) => m.length);
    const client = await Pop3Client.login(port, address);
    expect((await client.command("STAT")).line).toBe(`+OK 3 ${sizes.reduce((a, b) => a + b, 0)}`);
    await client.quit();
  });

  test("LIST gives every message's number and stored size", async () => {
    const address = await mailbox(3);
    const sizes = (await storedMessages(server, address)).map((m) => m.length);
    const client = await Pop3Client.login(port, address);
    const list = await client.multi("LIST");
    expect(list.ok).toBe(true);
    expect(list.lines).toEqual(sizes.map((s, i) => `${i + 1} ${s}`));
    await client.quit();
  });

  test("LIST n gives one message; a missing or malformed number is -ERR", async () => {
    const address = await mailbox(2);
    const sizes = (await storedMessages(server, address)).map((m) => m.length);
    const client = await Pop3Client.login(port, address);
    expect((await client.command("LIST 2")).line).toBe(`+OK 2 ${sizes[1]}`);
    for (const bad of ["LIST 3", "LIST 0", "LIST -1", "LIST x", "LIST 01", "LIST 1 2"])
      expect((await client.command(bad)).ok).toBe(false);
    await client.quit();
  });

  test("LIST and STAT on an empty maildrop", async () => {
    const address = await mailbox(0);
    const client = await Pop3Client.login(port, address);
    expect((await client.command("STAT")).line).toBe("+OK 0 0");
    const list = await client.multi("LIST");
    expect(list.ok).toBe(true);
    expect(list.lines).toEqual([]);
    await client.quit();
  });

  test("UIDL lists printable unique ids of at most 70 characters", async () => {
    const address = await mailbox(3);
    const client = await Pop3Client.login(port, address);
    const uidl = await client.multi("UIDL");
    expect(uidl.lines.length).toBe(3);
    const ids = uidl.lines.map((line, i) => {
      const [n, id] = line.split(" ");
      expect(n).toBe(String(i + 1));
      expect(id).toMatch(/^[\x21-\x7e]{1,70}$/);
      return id;
    });
    expect(new Set(ids).size).toBe(3);
    expect((await client.command("UIDL 2")).line).toBe(`+OK 2 ${ids[1]}`);
    expect((await client.command("UIDL 4")).ok).toBe(false);
    await client.quit();
  });
});

describe("RETR, TOP, DELE, RSET, NOOP", () => {
  test("RETR returns the exact stored bytes, announced with their size", async () => {
    const address = await mailbox(2);
    const stored = await storedMessages(server, address);
    const client = await Pop3Client.login(port, address);
    const r = await client.multi("RETR 2");
    expect(r.line).toBe(`+OK ${stored[1]!.length} octets`);
    expect(r.body.equals(stored[1]!)).toBe(true);
    expect((await client.command("RETR 3")).ok).toBe(false);
    expect((await client.command("RETR")).ok).toBe(false);
    await client.quit();
  });

  test("TOP n 0 returns the header and the blank line only", async () => {
    const address = await mailbox(1);
    const stored = (await storedMessages(server, address))[0]!;
    const client = await Pop3Client.login(port, address);
    const r = await client.multi("TOP 1 0");
    expect(r.ok).toBe(true);
    const headerEnd = stored.indexOf("\r\n\r\n") + 4;
    expect(r.body.equals(stored.subarray(0, headerEnd))).toBe(true);
    for (const bad of ["TOP 1", "TOP 2 0", "TOP 1 -1", "TOP 1 x"])
      expect((await client.command(bad)).ok).toBe(false);
    await client.quit();
  });

  test("DELE marks a message; RSET unmarks it", async () => {
    const address = await mailbox(2);
    const client = await Pop3Client.login(port, address);
    expect((await client.command("DELE 1")).ok).toBe(true);
    expect((await client.command("DELE 1")).ok).toBe(false);
    expect((await client.command("STAT")).text).toMatch(/^1 /);
    const rset = await client.command("RSET");
    expect(rset.ok).toBe(true);
    expect((await client.command("STAT")).text).toMatch(/^2 /);
    expect((await client.command("DELE 9")).ok).toBe(false);
    await client.quit();
  });

  test("NOOP answers +OK", async () => {
    const address = await mailbox(0);
    const client = await Pop3Client.login(port, address);
    expect((await client.command("NOOP")).line).toBe("+OK");
    await client.quit();
  });

  test("commands are case-insensitive", async () => {
    const address = await mailbox(1);
    const { client } = await Pop3Client.connect(port);
    await client.command(`user ${address}`);
    expect((await client.command("pass secret")).ok).toBe(true);
    expect((await client.command("stat")).ok).toBe(true);
    expect((await client.command("Noop")).ok).toBe(true);
    await client.quit();
  });
});

describe("unknown commands and QUIT", () => {
  test("an unknown command gets -ERR and the session continues", async () => {
    const address = await mailbox(0);
    const { client } = await Pop3Client.connect(port);
    expect((await client.command("XYZZY")).ok).toBe(false);
    expect((await client.command("")).ok).toBe(false);
    expect((await client.command("APOP user digest")).ok).toBe(false);
    expect((await client.command(`USER ${address}`)).ok).toBe(true);
    expect((await client.command("PASS secret")).ok).toBe(true);
    expect((await client.command("STLS")).ok).toBe(false);
    expect((await client.command("NOOP")).ok).toBe(true);
    await client.quit();
  });

  test("QUIT in AUTHORIZATION answers +OK and closes the connection", async () => {
    const { client } = await Pop3Client.connect(port);
    const r = await client.command("QUIT");
    expect(r.ok).toBe(true);
    await client.closed;
    expect(client.isClosed).toBe(true);
  });

  test("QUIT in TRANSACTION answers +OK and closes the connection", async () => {
    const address = await mailbox(1);
    const client = await Pop3Client.login(port, address);
    const r = await client.quit();
    expect(r.line).toStartWith("+OK");
    expect(client.isClosed).toBe(true);
  });
});

describe("logging", () => {
  test("the log records connections, logins and failed logins, and never a password", async () => {
    const lines: string[] = [];
    const log = createLogger({ level: "debug", pretty: false, write: (line) => lines.push(line) });
    const listener = await extraPop3(server, { authFailureBaseDelayMs: 1 }, { log });
    try {
      const address = await mailbox(0);
      const { client } = await Pop3Client.connect(listener.port);
      await client.command(`USER ${address}`);
      await client.command("PASS not-the-password-1234");
      await client.command(`AUTH PLAIN ${b64(`\0${address}\0another-wrong-5678`)}`);
      await client.command(`USER ${address}`);
      await client.command("PASS secret");
      await client.quit();
      await listener.close(); // waits for the session to finish, close log line included
      const events = lines.map(
        (line) => JSON.parse(line) as { event: string; login?: string; account?: string },
      );
      const names = events.map((e) => e.event);
      expect(names).toContain("pop3.connect");
      expect(names).toContain("pop3.close");
      expect(events.filter((e) => e.event === "pop3.login_failed").map((e) => e.login)).toEqual([
        address,
        address,
      ]);
      expect(events.find((e) => e.event === "pop3.login")?.account).toBe(address);
      const all = lines.join("\n");
      for (const secret of ["not-the-password-1234", "another-wrong-5678", 'secret"'])
        expect(all).not.toContain(secret);
    } finally {
      await listener.close();
    }
  });
});
