/** The IMAP session core over real sockets: greeting, states, login, SELECT, IDLE, limits. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ImapClient } from "../harness/imap-client.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.imap!;
  await createAccounts(server, [{ address: "alice@example.com" }, { address: "bob@example.com" }]);
  for (let i = 1; i <= 3; i++) {
    await sendMail(
      server.ports.smtp!,
      "x@remote.example",
      ["alice@example.com"],
      `Subject: m${i}\r\n\r\nbody ${i}\r\n`,
    );
  }
});

afterAll(async () => {
  await server.close();
});

describe("greeting and capabilities", () => {
  test("the greeting is an untagged OK with capabilities and the host name", async () => {
    const { client, greeting } = await ImapClient.connect(port);
    expect(greeting).toMatch(/^\* OK \[CAPABILITY IMAP4rev1 .*AUTH=PLAIN.*\] mx\.test\.example /);
    await client.close();
  });

  test("CAPABILITY after login lists the extensions", async () => {
    const client = await ImapClient.login(port, "alice@example.com");
    const r = await client.command("CAPABILITY");
    expect(r.status).toBe("OK");
    for (const cap of [
      "IDLE",
      "UIDPLUS",
      "MOVE",
      "NAMESPACE",
      "LITERAL+",
      "SPECIAL-USE",
      "ENABLE",
      "CONDSTORE",
      "QRESYNC",
      "ESEARCH",
    ]) {
      expect(r.untagged[0]).toContain(` ${cap}`);
    }
    await client.close();
  });
});

describe("states", () => {
  test("SELECT before LOGIN is BAD and the session continues", async () => {
    const { client } = await ImapClient.connect(port);
    expect((await client.command("SELECT INBOX")).status).toBe("BAD");
    expect((await client.command("NOOP")).status).toBe("OK");
    await client.close();
  });

  test("FETCH in the authenticated state is BAD", async () => {
    const client = await ImapClient.login(port, "alice@example.com");
    expect((await client.command("FETCH 1 FLAGS")).status).toBe("BAD");
    await client.close();
  });

  test("an unknown command is BAD and a missing tag is an untagged BAD", async () => {
    const { client } = await ImapClient.connect(port);
    expect((await client.command("FROBNICATE")).status).toBe("BAD");
    client.write("\r\n");
    expect(await client.readResponseLine()).toStartWith("* BAD");
    await client.close();
  });

  test("LOGOUT says BYE then OK and closes", async () => {
    const { client } = await ImapClient.connect(port);
    const r = await client.command("LOGOUT");
    expect(r.untagged[0]).toStartWith("BYE");
    expect(r.status).toBe("OK");
    await client.close();
  });
});

describe("authentication", () => {
  test("LOGIN with a wrong password is NO [AUTHENTICATIONFAILED]", async () => {
    const { client } = await ImapClient.connect(port);
    const r = await client.command('LOGIN "alice@example.com" "wrong"');
    expect(r.status).toBe("NO");
    expect(r.text).toContain("[AUTHENTICATIONFAILED]");
    await client.close();
  });

  test("LOGIN with the bare local part works for the primary domain", async () => {
    const client = await ImapClient.login(port, "alice");
    expect((await client.command("SELECT INBOX")).status).toBe("OK");
    await client.close();
  });

  test("AUTHENTICATE PLAIN with an initial response (SASL-IR) logs in", async () => {
    const { client } = await ImapClient.connect(port);
    const token = Buffer.from("\u0000alice@example.com\u0000secret").toString("base64");
    const r = await client.command(`AUTHENTICATE PLAIN ${token}`);
    expect(r.status).toBe("OK");
    await client.close();
  });

  test("AUTHENTICATE LOGIN asks for the user name and password", async () => {
    const { client } = await ImapClient.connect(port);
    client.write("a1 AUTHENTICATE LOGIN\r\n");
    expect(await client.readResponseLine()).toBe(`+ ${Buffer.from("Username:").toString("base64")}`);
    client.write(`${Buffer.from("alice@example.com").toString("base64")}\r\n`);
    expect(await client.readResponseLine()).toBe(`+ ${Buffer.from("Password:").toString("base64")}`);
    client.write(`${Buffer.from("secret").toString("base64")}\r\n`);
    expect((await client.readUntilTagged("a1")).status).toBe("OK");
    await client.close();
  });
});

describe("SELECT", () => {
  test("SELECT reports EXISTS, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and READ-WRITE", async () => {
    const client = await ImapClient.login(port, "alice@example.com");
    const r = await client.command("SELECT INBOX");
    expect(r.status).toBe("OK");
    expect(r.text).toStartWith("[READ-WRITE]");
    expect(r.untagged).toContain("3 EXISTS");
    expect(r.untagged.some((l) => /^OK \[UIDVALIDITY \d+\]/.test(l))).toBe(true);
    expect(r.untagged.some((l) => l.startsWith("OK [UIDNEXT 4]"))).toBe(true);
    expect(r.untagged.some((l) => l.startsWith("OK [UNSEEN 1]"))).toBe(true);
    expect(r.untagged.some((l) => /^OK \[HIGHESTMODSEQ \d+\]/.test(l))).toBe(true);
    await client.close();
  });

  test("EXAMINE is READ-ONLY and a missing mailbox is NO [NONEXISTENT]", async () => {
    const client = await ImapClient.login(port, "alice@example.com");
    expect((await client.command("EXAMINE INBOX")).text).toStartWith("[READ-ONLY]");
    const r = await client.command("SELECT Nowhere");
    expect(r.status).toBe("NO");
    expect(r.text).toContain("[NONEXISTENT]");
    await client.close();
  });
});

describe("notifications", () => {
  test("a message delivered during IDLE is reported as EXISTS within a second", async () => {
    const client = await ImapClient.login(port, "bob@example.com");
    await client.command("SELECT INBOX");
    client.write("i1 IDLE\r\n");
    expect(await client.readResponseLine()).toStartWith("+");
    const started = performance.now();
    await sendMail(
      server.ports.smtp!,
      "x@remote.example",
      ["bob@example.com"],
      "Subject: ping\r\n\r\nhi\r\n",
    );
    expect(await client.readResponseLine()).toBe("* 1 EXISTS");
    expect(performance.now() - started).toBeLessThan(1000);
    client.write("DONE\r\n");
    expect((await client.readUntilTagged("i1")).status).toBe("OK");
    await client.close();
  });

  test("NOOP reports a message delivered since the last command", async () => {
    const client = await ImapClient.login(port, "bob@example.com");
    const before = await client.command("SELECT INBOX");
    const exists = Number(/^(\d+) EXISTS$/.exec(before.untagged.find((l) => l.endsWith("EXISTS"))!)![1]);
    await sendMail(
      server.ports.smtp!,
      "x@remote.example",
      ["bob@example.com"],
      "Subject: pong\r\n\r\nhi\r\n",
    );
    const r = await client.command("NOOP");
    expect(r.untagged).toContain(`${exists + 1} EXISTS`);
    await client.close();
  });
});

describe("limits", () => {
  test("a literal over the limit outside APPEND is refused with BAD [TOOBIG] and the session goes on", async () => {
    const client = await ImapClient.login(port, "alice@example.com");
    client.write("t1 SELECT {100000000}\r\n");
    expect(await client.readResponseLine()).toStartWith("t1 BAD [TOOBIG]");
    expect((await client.command("NOOP")).status).toBe("OK");
    await client.close();
  });

  test("a command line over 64 KB is answered BYE and the connection closed", async () => {
    const { client } = await ImapClient.connect(port);
    client.write(`a1 LOGIN ${"x".repeat(70_000)}`);
    expect(await client.readResponseLine()).toStartWith("* BYE");
    await client.close();
  });
});

describe("command prefix", () => {
  test("a tag containing ] is accepted (RFC 3501 tag grammar)", async () => {
    const { client } = await ImapClient.connect(port);
    expect((await client.command("NOOP", "A]1")).status).toBe("OK");
    await client.close();
  });

  test("two spaces between tag and command are a tagged BAD, not a dropped connection", async () => {
    const { client } = await ImapClient.connect(port);
    const r = await client.command(" NOOP", "A1");
    expect(r.status).toBe("BAD");
    expect((await client.command("NOOP")).status).toBe("OK");
    await client.close();
  });
});

describe("CLOSE", () => {
  test("CLOSE removes \\Deleted messages silently; after EXAMINE it removes nothing", async () => {
    await createAccounts(server, [{ address: "closer@example.com" }]);
    for (let i = 1; i <= 3; i++) {
      await sendMail(
        server.ports.smtp!,
        "x@remote.example",
        ["closer@example.com"],
        `Subject: c${i}\r\n\r\nbody\r\n`,
      );
    }
    const client = await ImapClient.login(port, "closer@example.com");
    await client.command("SELECT INBOX");
    expect((await client.command("STORE 1:2 +FLAGS.SILENT (\\Deleted)")).status).toBe("OK");
    await client.command("EXAMINE INBOX");
    const closeReadOnly = await client.command("CLOSE");
    expect(closeReadOnly.untagged).toEqual([]);
    expect((await client.command("SELECT INBOX")).untagged).toContain("3 EXISTS");
    const close = await client.command("CLOSE");
    expect(close.status).toBe("OK");
    // RFC 3501 §6.4.2: no untagged EXPUNGE responses are sent.
    expect(close.untagged).toEqual([]);
    expect((await client.command("SELECT INBOX")).untagged).toContain("1 EXISTS");
    await client.close();
  });
});
