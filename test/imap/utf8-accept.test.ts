/**
 * UTF8=ACCEPT (RFC 6855) over real sockets: ENABLE UTF8=ACCEPT (authenticated state only) turns on
 * UTF-8 mailbox names and quoted strings, the UTF8 APPEND data item and 8-bit headers; SEARCH with a
 * CHARSET is BAD then.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.imap!;
});

afterAll(async () => {
  await server.close();
});

const latin1 = (s: string) => Buffer.from(s).toString("latin1");

async function utf8Client(address: string): Promise<ImapClient> {
  const client = await ImapClient.login(port, address);
  expect((await client.command("ENABLE UTF8=ACCEPT")).untagged).toEqual(["ENABLED UTF8=ACCEPT"]);
  return client;
}

describe("UTF8=ACCEPT", () => {
  test("UTF8=ACCEPT is advertised after login", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    expect((await client.command("CAPABILITY")).untagged[0]).toContain(" UTF8=ACCEPT ");
    await client.close();
  });

  test("ENABLE UTF8=ACCEPT in the selected state is BAD (RFC 6855 §3)", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    await client.command("SELECT INBOX");
    expect((await client.command("ENABLE UTF8=ACCEPT")).status).toBe("BAD");
    await client.close();
  });

  test("mailbox names are UTF-8 in CREATE, LIST, LSUB, STATUS and SELECT", async () => {
    const address = await freshAccount(server);
    const client = await utf8Client(address);
    expect((await client.command('CREATE "Überweisungen"')).status).toBe("OK");
    await client.command('SUBSCRIBE "Überweisungen"');
    const name = `"${latin1("Überweisungen")}"`;
    expect((await client.command('LIST "" "Ü*"')).untagged).toEqual([`LIST (\\HasNoChildren) "/" ${name}`]);
    expect((await client.command('LSUB "" "Ü*"')).untagged).toEqual([`LSUB () "/" ${name}`]);
    expect((await client.command('STATUS "Überweisungen" (MESSAGES)')).untagged).toEqual([
      `STATUS ${name} (MESSAGES 0)`,
    ]);
    expect((await client.command('SELECT "Überweisungen"')).status).toBe("OK");
    await client.close();
    // A session without it still speaks modified UTF-7 about the same mailbox.
    const legacy = await ImapClient.login(port, address);
    expect((await legacy.command('LIST "" "&ANw-*"')).untagged).toEqual([
      'LIST (\\HasNoChildren) "/" &ANw-berweisungen',
    ]);
    await legacy.close();
  });

  test("a name that looks like modified UTF-7 is taken literally once UTF-8 is on", async () => {
    const client = await utf8Client(await freshAccount(server));
    expect((await client.command('CREATE "R&D"')).status).toBe("OK");
    expect((await client.command('LIST "" "R&D"')).untagged).toEqual(['LIST (\\HasNoChildren) "/" R&D']);
    await client.close();
  });

  test("SEARCH with a CHARSET is BAD after ENABLE UTF8=ACCEPT; without one it matches UTF-8", async () => {
    const address = await freshAccount(server);
    const client = await utf8Client(address);
    await client.append("INBOX", Buffer.from("Subject: Grüße\r\n\r\nbody\r\n"));
    await client.command("SELECT INBOX");
    expect((await client.command("SEARCH CHARSET UTF-8 ALL")).status).toBe("BAD");
    expect((await client.command('SEARCH SUBJECT "grüße"')).untagged).toEqual(["SEARCH 1"]);
    await client.close();
  });

  test("APPEND UTF8 (~{n}) stores the message with its 8-bit header", async () => {
    const address = await freshAccount(server);
    const client = await utf8Client(address);
    const raw = Buffer.from("Subject: Grüße\r\nFrom: jörg@bücher.example\r\n\r\nhallo\r\n");
    const r = await client.command(
      Buffer.concat([Buffer.from(`APPEND INBOX UTF8 (~{${raw.length}+}\r\n`), raw, Buffer.from(")")]),
    );
    expect(r.status).toBe("OK");
    const [stored] = await mailboxContents(server, address);
    expect(stored!.raw.equals(raw)).toBe(true);
    await client.close();
  });

  test("APPEND UTF8 (...) before ENABLE UTF8=ACCEPT is BAD and stores nothing", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const raw = Buffer.from("Subject: s\r\n\r\nx\r\n");
    const r = await client.command(
      Buffer.concat([Buffer.from(`APPEND INBOX UTF8 (~{${raw.length}+}\r\n`), raw, Buffer.from(")")]),
    );
    expect(r.status).toBe("BAD");
    expect(await mailboxContents(server, address)).toEqual([]);
    await client.close();
  });

  test("APPEND UTF8 without the literal8 or the parentheses is BAD", async () => {
    const client = await utf8Client(await freshAccount(server));
    const raw = "Subject: s\r\n\r\nx\r\n";
    expect((await client.command(Buffer.from(`APPEND INBOX UTF8 ({${raw.length}+}\r\n${raw})`))).status).toBe(
      "BAD",
    );
    expect((await client.command(Buffer.from(`APPEND INBOX UTF8 ~{${raw.length}+}\r\n${raw}`))).status).toBe(
      "BAD",
    );
    await client.close();
  });
});
