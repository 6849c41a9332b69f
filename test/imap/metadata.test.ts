/**
 * METADATA and METADATA-SERVER (RFC 5464) over real sockets: server and mailbox annotations,
 * /private and /shared, MAXSIZE and DEPTH, the limits' response codes, bad arguments, and the
 * annotations' life with their mailbox (RENAME keeps them, DELETE removes them).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { METADATA_LIMITS } from "../../src/store/mod.ts";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

async function login(options: Parameters<typeof freshAccount>[1] = {}): Promise<ImapClient> {
  return ImapClient.login(server.ports.imap!, await freshAccount(server, options));
}

describe("METADATA", () => {
  test("METADATA and METADATA-SERVER are advertised after login", async () => {
    const client = await login();
    const caps = (await client.command("CAPABILITY")).untagged[0]!;
    expect(caps).toContain(" METADATA ");
    expect(caps).toContain(" METADATA-SERVER");
    await client.close();
  });

  test("a server annotation is set, read back and removed with NIL", async () => {
    const client = await login();
    expect((await client.command('SETMETADATA "" (/shared/comment "Shared comment")')).status).toBe("OK");
    const r = await client.command('GETMETADATA "" /shared/comment');
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual(['METADATA "" (/shared/comment "Shared comment")']);
    expect((await client.command('SETMETADATA "" (/shared/comment NIL)')).status).toBe("OK");
    expect((await client.command('GETMETADATA "" /shared/comment')).untagged).toEqual([
      'METADATA "" (/shared/comment NIL)',
    ]);
    await client.close();
  });

  test("mailbox annotations: /private and /shared are separate, names are case-insensitive", async () => {
    const client = await login();
    expect(
      (await client.command('SETMETADATA INBOX (/private/comment "mine" /Shared/Comment "everyone\'s")'))
        .status,
    ).toBe("OK");
    const r = await client.command("GETMETADATA INBOX (/private/comment /shared/comment /shared/nothing)");
    expect(r.untagged).toEqual([
      'METADATA INBOX (/private/comment "mine" /shared/comment "everyone\'s" /shared/nothing NIL)',
    ]);
    // Server annotations are apart from mailbox ones.
    expect((await client.command('GETMETADATA "" /private/comment')).untagged).toEqual([
      'METADATA "" (/private/comment NIL)',
    ]);
    await client.close();
  });

  test("a value is binary-safe: a literal8 with NUL comes back as literal8, CRLF as a literal", async () => {
    const client = await login();
    client.write("S1 SETMETADATA INBOX (/private/vendor/x/blob ~{5}\r\n");
    expect(await client.readResponseLine()).toStartWith("+");
    client.write(Buffer.from([0x61, 0x00, 0x62, 0x0d, 0x0a]));
    client.write(" /private/vendor/x/text {4}\r\n");
    expect(await client.readResponseLine()).toStartWith("+");
    client.write("a\r\nb)\r\n");
    expect((await client.readUntilTagged("S1")).status).toBe("OK");
    const r = await client.command("GETMETADATA INBOX (/private/vendor/x/blob /private/vendor/x/text)");
    expect(r.untagged).toEqual([
      "METADATA INBOX (/private/vendor/x/blob ~{5}\r\na\x00b\r\n /private/vendor/x/text {4}\r\na\r\nb)",
    ]);
    await client.close();
  });

  test("DEPTH 0, 1 and infinity reach the entry, its children, or everything below it", async () => {
    const client = await login();
    await client.command(
      'SETMETADATA "" (/private/a "1" /private/a/b "2" /private/a/b/c "3" /private/a/d "4" /private/ab "5")',
    );
    expect((await client.command('GETMETADATA "" /private/a')).untagged).toEqual([
      'METADATA "" (/private/a "1")',
    ]);
    expect((await client.command('GETMETADATA (DEPTH 1) "" /private/a')).untagged).toEqual([
      'METADATA "" (/private/a "1" /private/a/b "2" /private/a/d "4")',
    ]);
    expect((await client.command('GETMETADATA (DEPTH infinity) "" /private/a')).untagged).toEqual([
      'METADATA "" (/private/a "1" /private/a/b "2" /private/a/b/c "3" /private/a/d "4")',
    ]);
    // The root itself is no entry, but names what is below it.
    expect((await client.command('GETMETADATA (DEPTH infinity) "" /private')).untagged[0]).toBe(
      'METADATA "" (/private NIL /private/a "1" /private/a/b "2" /private/a/b/c "3" /private/a/d "4" /private/ab "5")',
    );
    await client.close();
  });

  test("MAXSIZE leaves out larger values and reports the largest in [METADATA LONGENTRIES n]", async () => {
    const client = await login();
    await client.command(`SETMETADATA "" (/private/small "abc" /private/big "${"x".repeat(200)}")`);
    const r = await client.command('GETMETADATA (MAXSIZE 100 DEPTH 1) "" /private');
    expect(r.status).toBe("OK");
    expect(r.text).toStartWith("[METADATA LONGENTRIES 200]");
    expect(r.untagged).toEqual(['METADATA "" (/private NIL /private/small "abc")']);
    const all = await client.command('GETMETADATA (MAXSIZE 1000) "" /private/big');
    expect(all.text).not.toContain("LONGENTRIES");
    await client.close();
  });

  test("a value over the limit is NO [METADATA MAXSIZE n] and nothing of the command is set", async () => {
    const client = await login();
    const big = "y".repeat(METADATA_LIMITS.maxValueBytes + 1);
    client.write(`S1 SETMETADATA "" (/private/ok "fine" /private/huge {${big.length}+}\r\n${big})\r\n`);
    const r = await client.readUntilTagged("S1");
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith(`[METADATA MAXSIZE ${METADATA_LIMITS.maxValueBytes}]`);
    expect((await client.command('GETMETADATA "" /private/ok')).untagged).toEqual([
      'METADATA "" (/private/ok NIL)',
    ]);
    await client.close();
  });

  test("more annotations than an account may hold is NO [METADATA TOOMANY]; removing makes room", async () => {
    const client = await login();
    const batch = 100;
    for (let start = 0; start < METADATA_LIMITS.maxEntriesPerAccount; start += batch) {
      const entries = Array.from({ length: batch }, (_, i) => `/private/n${start + i} "v"`).join(" ");
      expect((await client.command(`SETMETADATA "" (${entries})`)).status).toBe("OK");
    }
    const over = await client.command('SETMETADATA INBOX (/private/one-more "v")');
    expect(over.status).toBe("NO");
    expect(over.text).toStartWith("[METADATA TOOMANY]");
    // Replacing an existing value is no new entry.
    expect((await client.command('SETMETADATA "" (/private/n0 "w")')).status).toBe("OK");
    expect((await client.command('SETMETADATA "" (/private/n1 NIL)')).status).toBe("OK");
    expect((await client.command('SETMETADATA INBOX (/private/one-more "v")')).status).toBe("OK");
    await client.close();
  });

  test("a mailbox that does not exist is NO [NONEXISTENT]", async () => {
    const client = await login();
    expect((await client.command("GETMETADATA Nowhere /private/comment")).text).toStartWith("[NONEXISTENT]");
    expect((await client.command('SETMETADATA Nowhere (/private/comment "x")')).text).toStartWith(
      "[NONEXISTENT]",
    );
    await client.close();
  });

  test("RENAME keeps a mailbox's annotations; DELETE removes them and a new mailbox of the name has none", async () => {
    const client = await login({ mailboxes: ["Projects", "Projects/Old"] });
    await client.command('SETMETADATA Projects (/private/comment "p")');
    await client.command('SETMETADATA Projects/Old (/private/comment "o")');
    expect((await client.command("RENAME Projects Work")).status).toBe("OK");
    expect((await client.command("GETMETADATA Work /private/comment")).untagged).toEqual([
      'METADATA Work (/private/comment "p")',
    ]);
    expect((await client.command("GETMETADATA Work/Old /private/comment")).untagged).toEqual([
      'METADATA Work/Old (/private/comment "o")',
    ]);
    expect((await client.command("DELETE Work/Old")).status).toBe("OK");
    expect((await client.command("CREATE Work/Old")).status).toBe("OK");
    expect((await client.command("GETMETADATA Work/Old /private/comment")).untagged).toEqual([
      "METADATA Work/Old (/private/comment NIL)",
    ]);
    await client.close();
  });

  test("annotations are the account's own: another account sees none of them", async () => {
    const a = await login();
    await a.command('SETMETADATA "" (/shared/comment "a\'s")');
    const b = await login();
    expect((await b.command('GETMETADATA "" /shared/comment')).untagged).toEqual([
      'METADATA "" (/shared/comment NIL)',
    ]);
    await a.close();
    await b.close();
  });

  test.each([
    ['GETMETADATA "" comment', "a name outside /private and /shared"],
    ['GETMETADATA "" /public/comment', "another root"],
    ['GETMETADATA "" /private//comment', "an empty component"],
    ['GETMETADATA "" /private/comment/', "a trailing slash"],
    ['GETMETADATA "" "/private/*"', "a wildcard"],
    ['GETMETADATA "" "/private/a%"', "a percent sign"],
    ['GETMETADATA (DEPTH 2) "" /private/comment', "DEPTH 2"],
    ['GETMETADATA (MAXSIZE -1) "" /private/comment', "a negative MAXSIZE"],
    ['GETMETADATA (COLOUR red) "" /private/comment', "an unknown option"],
    ['GETMETADATA ""', "no entries"],
    ['GETMETADATA "" ()', "an empty list of entries"],
    ['GETMETADATA "" /private/comment extra', "an extra argument"],
    ['SETMETADATA "" /private/comment "x"', "entry-values without parentheses"],
    ['SETMETADATA "" (/private/comment)', "an entry without value"],
    ['SETMETADATA "" ()', "an empty list"],
    ['SETMETADATA "" (/private "x")', "the /private root"],
    ['SETMETADATA "" (/private/comment x)', "an atom as value"],
    [`GETMETADATA "" /private/${"n".repeat(300)}`, "a name over 256 octets"],
  ])("%s is BAD (%s)", async (command) => {
    const client = await login();
    const r = await client.command(command);
    expect(r.status).toBe("BAD");
    expect((await client.command("NOOP")).status).toBe("OK");
    await client.close();
  });

  test("GETMETADATA and SETMETADATA work in the selected state too", async () => {
    const client = await login();
    await client.command("SELECT INBOX");
    expect((await client.command('SETMETADATA INBOX (/private/comment "sel")')).status).toBe("OK");
    expect((await client.command("GETMETADATA INBOX /private/comment")).untagged).toEqual([
      'METADATA INBOX (/private/comment "sel")',
    ]);
    await client.close();
  });
});
