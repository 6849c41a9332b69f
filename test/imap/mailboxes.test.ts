/**
 * CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE and STATUS over real sockets: every success and
 * failure path, INBOX's case-insensitivity, modified UTF-7 names, and a second connection watching.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseMessage } from "../../src/mime/mod.ts";
import { accountGet, FLAG_BITS, mailboxFind, mailboxList, messageIngest } from "../../src/store/mod.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let port: number;
let accounts = 0;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.imap!;
});

afterAll(async () => {
  await server.close();
});

/** A new account (with the default mailboxes) and a logged-in client for it. */
async function fresh(): Promise<{ address: string; client: ImapClient }> {
  const address = `mb${++accounts}@example.com`;
  await createAccounts(server, [{ address }]);
  return { address, client: await ImapClient.login(port, address) };
}

/** Delivers messages through the store's one ingest path into a mailbox of the account. */
async function deliver(address: string, mailbox: string, bodies: string[], flags = 0): Promise<void> {
  const account = await accountGet(server.store.read, address);
  for (const body of bodies) {
    const raw = Buffer.from(`Subject: t\r\n\r\n${body}\r\n`);
    await server.store.write((w) =>
      messageIngest(w, {
        raw,
        parsed: parseMessage(raw),
        targets: [{ accountId: account.id, mailboxName: mailbox, flags }],
      }),
    );
  }
}

async function storedNames(address: string): Promise<string[]> {
  const account = await accountGet(server.store.read, address);
  return (await mailboxList(server.store.read, account.id)).map((m) => m.name);
}

/** Parses `STATUS name (K V ...)` into its values. */
function statusValues(line: string): Record<string, number> {
  const items = /\(([^)]*)\)$/.exec(line)![1]!.split(" ");
  const out: Record<string, number> = {};
  for (let i = 0; i < items.length; i += 2) out[items[i]!] = Number(items[i + 1]);
  return out;
}

describe("states", () => {
  const commands = [
    'CREATE "x"',
    'DELETE "x"',
    'RENAME "x" "y"',
    'SUBSCRIBE "x"',
    'UNSUBSCRIBE "x"',
    'LIST "" "*"',
    'LSUB "" "*"',
    'STATUS "INBOX" (MESSAGES)',
  ];
  for (const command of commands) {
    test(`${command.split(" ")[0]} before LOGIN is BAD`, async () => {
      const { client } = await ImapClient.connect(port);
      expect((await client.command(command)).status).toBe("BAD");
      await client.close();
    });
  }

  test("every mailbox command works in the selected state too", async () => {
    const { client } = await fresh();
    expect((await client.command("SELECT INBOX")).status).toBe("OK");
    for (const command of [
      'CREATE "x"',
      'RENAME "x" "y"',
      'SUBSCRIBE "y"',
      'UNSUBSCRIBE "y"',
      'LIST "" "*"',
      'LSUB "" "*"',
      'STATUS "INBOX" (MESSAGES)',
      'DELETE "y"',
    ]) {
      expect({ command, status: (await client.command(command)).status }).toEqual({ command, status: "OK" });
    }
    await client.close();
  });

  test("missing or extra arguments are BAD", async () => {
    const { client } = await fresh();
    for (const command of [
      "CREATE",
      "CREATE a b",
      "DELETE",
      "RENAME a",
      "SUBSCRIBE",
      "STATUS INBOX",
      "STATUS INBOX MESSAGES",
      "STATUS INBOX ()",
      "STATUS INBOX (FROB)",
      "UNSUBSCRIBE a b",
    ]) {
      expect({ command, status: (await client.command(command)).status }).toEqual({ command, status: "BAD" });
    }
    await client.close();
  });
});

describe("CREATE", () => {
  test("CREATE makes a selectable mailbox, which the client may then subscribe", async () => {
    const { address, client } = await fresh();
    const r = await client.command('CREATE "Projects"');
    expect(r.status).toBe("OK");
    // RFC 8474 §4.1: the tagged OK carries the new MAILBOXID.
    expect(r.text).toMatch(/^\[MAILBOXID \(F\d+\)\] CREATE completed$/);
    expect(await storedNames(address)).toContain("Projects");
    expect((await client.command("SELECT Projects")).status).toBe("OK");
    // RFC 3501 §6.3.3: CREATE does not subscribe; the client does if it wants to.
    expect((await client.command('LSUB "" Projects')).untagged).toEqual([]);
    expect((await client.command("SUBSCRIBE Projects")).status).toBe("OK");
    expect((await client.command('LSUB "" Projects')).untagged).toEqual(['LSUB () "/" Projects']);
    await client.close();
  });

  test("CREATE of an existing name is NO [ALREADYEXISTS], INBOX in any case included", async () => {
    const { client } = await fresh();
    expect((await client.command("CREATE Twice")).status).toBe("OK");
    for (const name of ["Twice", "INBOX", "inbox", "InBoX", "Sent"]) {
      const r = await client.command(`CREATE "${name}"`);
      expect({ name, status: r.status, text: r.text }).toMatchObject({ name, status: "NO" });
      expect(r.text).toStartWith("[ALREADYEXISTS]");
    }
    await client.close();
  });

  test("CREATE makes the missing superior levels too (RFC 3501 §6.3.3)", async () => {
    const { address, client } = await fresh();
    expect((await client.command('CREATE "a/b/c"')).status).toBe("OK");
    expect((await storedNames(address)).filter((n) => n.startsWith("a"))).toEqual(["a", "a/b", "a/b/c"]);
    expect((await client.command('SELECT "a/b"')).status).toBe("OK");
    // A parent that already exists is left as it is.
    expect((await client.command('CREATE "a/d"')).status).toBe("OK");
    await client.close();
  });

  test("CREATE drops one trailing delimiter", async () => {
    const { address, client } = await fresh();
    expect((await client.command('CREATE "Folder/"')).status).toBe("OK");
    expect(await storedNames(address)).toContain("Folder");
    expect((await client.command('CREATE "Folder/"')).text).toStartWith("[ALREADYEXISTS]");
    await client.close();
  });

  test("CREATE below INBOX in any case files the child under INBOX", async () => {
    const { address, client } = await fresh();
    expect((await client.command('CREATE "inbox/Child"')).status).toBe("OK");
    expect(await storedNames(address)).toContain("INBOX/Child");
    expect((await client.command('LIST "" "INBOX/*"')).untagged).toEqual([
      'LIST (\\HasNoChildren) "/" INBOX/Child',
    ]);
    await client.close();
  });

  const invalid: Array<[string, string]> = [
    ["an empty level", '"a//b"'],
    ["a leading delimiter", '"/INBOX"'],
    ["a .. level", '"../x"'],
    ["a . level", '"a/./b"'],
    ["a * wildcard", '"a*b"'],
    ["a % wildcard", '"a%b"'],
    ["an empty name", '""'],
    ["only a delimiter", '"/"'],
    ["a name over 1024 characters", `"${"x".repeat(1025)}"`],
    ["non-canonical modified UTF-7 for ASCII", '"&AGE-"'],
    ["an encoded .. level", '"&AC4ALg-"'],
    ["an encoded delimiter", '"a&AC8-b"'],
  ];
  for (const [what, arg] of invalid) {
    test(`CREATE of a name with ${what} is NO [CANNOT]`, async () => {
      const { address, client } = await fresh();
      const before = await storedNames(address);
      const r = await client.command(`CREATE ${arg}`);
      expect(r.status).toBe("NO");
      expect(r.text).toStartWith("[CANNOT]");
      expect(await storedNames(address)).toEqual(before);
      await client.close();
    });
  }

  test("CREATE of control characters or NUL sent in a literal is NO [CANNOT]", async () => {
    const { client } = await fresh();
    for (const name of ["a\u0000b", "a\r\nb", "tab\there", "del\u007f"]) {
      const bytes = Buffer.from(name);
      const r = await client.command(Buffer.concat([Buffer.from(`CREATE {${bytes.length}+}\r\n`), bytes]));
      expect({ name, status: r.status }).toEqual({ name, status: "NO" });
      expect(r.text).toStartWith("[CANNOT]");
    }
    await client.close();
  });

  test("CREATE with an unquoted wildcard is BAD (not an astring)", async () => {
    const { client } = await fresh();
    expect((await client.command("CREATE a*b")).status).toBe("BAD");
    expect((await client.command("CREATE a%b")).status).toBe("BAD");
    await client.close();
  });

  test("CREATE (USE (\\Attr)) sets the special use, case-insensitively (RFC 6154 §3)", async () => {
    const { client } = await fresh();
    expect((await client.command('CREATE "Old mail" (USE (\\Archive))')).status).toBe("OK");
    expect((await client.command('CREATE "Outbox" (use (\\sent))')).status).toBe("OK");
    expect((await client.command('CREATE "Plain" (USE ())')).status).toBe("OK");
    const r = await client.command('LIST "" "*"');
    expect(r.untagged).toContain('LIST (\\HasNoChildren \\Archive) "/" "Old mail"');
    expect(r.untagged).toContain('LIST (\\HasNoChildren \\Sent) "/" Outbox');
    expect(r.untagged).toContain('LIST (\\HasNoChildren) "/" Plain');
    await client.close();
  });

  test("CREATE with an unsupported special use is NO [USEATTR] and creates nothing", async () => {
    const { address, client } = await fresh();
    for (const use of ["\\Important", "\\All", "\\Flagged", "\\Sent \\Trash", "keyword"]) {
      const r = await client.command(`CREATE "U" (USE (${use}))`);
      expect({ use, status: r.status }).toEqual({ use, status: "NO" });
      expect(r.text).toStartWith("[USEATTR]");
    }
    expect(await storedNames(address)).not.toContain("U");
    await client.close();
  });

  test("CREATE with an unknown parameter is BAD", async () => {
    const { client } = await fresh();
    expect((await client.command('CREATE "P" (FROB 1)')).status).toBe("BAD");
    expect((await client.command('CREATE "P" (USE \\Sent)')).status).toBe("BAD");
    // Syntax is checked before the name: a bad command with a bad name is BAD, not NO.
    expect((await client.command('CREATE "&AGE-" extra')).status).toBe("BAD");
    expect((await client.command('RENAME Sent "&AGE-" extra')).status).toBe("BAD");
    await client.close();
  });
});

describe("modified UTF-7 names", () => {
  const names: Array<[string, string]> = [
    ["Entwürfe", "Entw&APw-rfe"],
    ["日本語", "&ZeVnLIqe-"],
    ["A&B", "A&-B"],
    ["Ünïcödé/子", "&ANw-n&AO8-c&APY-d&AOk-/&W1A-"],
  ];
  for (const [name, wire] of names) {
    test(`"${name}" round-trips as ${wire}`, async () => {
      const { address, client } = await fresh();
      expect((await client.command(`CREATE "${wire}"`)).status).toBe("OK");
      expect(await storedNames(address)).toContain(name);
      const list = await client.command(`LIST "" "${wire}"`);
      expect(list.untagged).toEqual([`LIST (\\HasNoChildren) "/" ${wire}`]);
      const status = await client.command(`STATUS "${wire}" (MESSAGES)`);
      expect(status.untagged).toEqual([`STATUS ${wire} (MESSAGES 0)`]);
      expect((await client.command(`SELECT "${wire}"`)).status).toBe("OK");
      await client.close();
    });
  }

  test("a raw UTF-8 name in a literal is stored as Unicode and listed in modified UTF-7", async () => {
    const { address, client } = await fresh();
    const bytes = Buffer.from("Grüße");
    expect(
      (await client.command(Buffer.concat([Buffer.from(`CREATE {${bytes.length}+}\r\n`), bytes]))).status,
    ).toBe("OK");
    expect(await storedNames(address)).toContain("Grüße");
    expect((await client.command('LIST "" "Gr*"')).untagged).toEqual([
      'LIST (\\HasNoChildren) "/" Gr&APwA3w-e',
    ]);
    await client.close();
  });
});

describe("DELETE", () => {
  test("DELETE removes the mailbox and its messages", async () => {
    const { address, client } = await fresh();
    await client.command("CREATE Gone");
    await deliver(address, "Gone", ["one", "two"]);
    const before = statusValues((await client.command("STATUS Gone (MESSAGES UIDVALIDITY)")).untagged[0]!);
    expect(before.MESSAGES).toBe(2);
    expect(await client.command("DELETE Gone")).toMatchObject({ status: "OK", text: "DELETE completed" });
    expect(await storedNames(address)).not.toContain("Gone");
    expect((await client.command("STATUS Gone (MESSAGES)")).text).toStartWith("[NONEXISTENT]");
    // A new incarnation of the name is empty and has a new UIDVALIDITY (RFC 3501 §2.3.1.1).
    await client.command("CREATE Gone");
    const after = statusValues((await client.command("STATUS Gone (MESSAGES UIDVALIDITY)")).untagged[0]!);
    expect(after.MESSAGES).toBe(0);
    expect(after.UIDVALIDITY).not.toBe(before.UIDVALIDITY);
    await client.close();
  });

  test("DELETE of a missing mailbox is NO [NONEXISTENT]", async () => {
    const { client } = await fresh();
    const r = await client.command('DELETE "Nowhere"');
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[NONEXISTENT]");
    await client.close();
  });

  test("DELETE of INBOX in any case is NO [CANNOT]", async () => {
    const { address, client } = await fresh();
    for (const name of ["INBOX", "inbox", "InBoX"]) {
      const r = await client.command(`DELETE ${name}`);
      expect({ name, status: r.status }).toEqual({ name, status: "NO" });
      expect(r.text).toStartWith("[CANNOT]");
    }
    expect(await storedNames(address)).toContain("INBOX");
    await client.close();
  });

  test("DELETE of a mailbox with children is NO [INUSE] until the children are gone", async () => {
    const { address, client } = await fresh();
    await client.command('CREATE "Parent/Child"');
    const r = await client.command("DELETE Parent");
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[INUSE]");
    expect(await storedNames(address)).toContain("Parent");
    expect((await client.command('DELETE "Parent/Child"')).status).toBe("OK");
    expect((await client.command("DELETE Parent")).status).toBe("OK");
    await client.close();
  });

  test("DELETE of the selected mailbox deselects it with [CLOSED]", async () => {
    const { address, client } = await fresh();
    await client.command("CREATE Current");
    await deliver(address, "Current", ["x"]);
    expect((await client.command("SELECT Current")).status).toBe("OK");
    const r = await client.command("DELETE Current");
    expect(r.status).toBe("OK");
    expect(r.untagged).toEqual(["OK [CLOSED] Mailbox deleted; no mailbox is selected"]);
    // Back in the authenticated state: selected-state commands are BAD, SELECT works.
    expect((await client.command("FETCH 1 FLAGS")).status).toBe("BAD");
    expect((await client.command("SELECT INBOX")).status).toBe("OK");
    await client.close();
  });

  test("DELETE of another mailbox keeps the selected one selected", async () => {
    const { client } = await fresh();
    await client.command("CREATE Other");
    await client.command("SELECT INBOX");
    const r = await client.command("DELETE Other");
    expect(r).toMatchObject({ status: "OK", untagged: [] });
    expect((await client.command("CHECK")).status).toBe("OK");
    await client.close();
  });
});

describe("RENAME", () => {
  test("RENAME moves a mailbox with its children, messages and UIDVALIDITY", async () => {
    const { address, client } = await fresh();
    await client.command('CREATE "a/b/c"');
    await deliver(address, "a/b", ["m1", "m2"]);
    const before = statusValues(
      (await client.command('STATUS "a/b" (MESSAGES UIDVALIDITY UIDNEXT)')).untagged[0]!,
    );
    expect(await client.command('RENAME "a" "z"')).toMatchObject({ status: "OK", text: "RENAME completed" });
    const names = await storedNames(address);
    expect(names.filter((n) => /^[az](\/|$)/.test(n))).toEqual(["z", "z/b", "z/b/c"]);
    const after = statusValues(
      (await client.command('STATUS "z/b" (MESSAGES UIDVALIDITY UIDNEXT)')).untagged[0]!,
    );
    expect(after).toEqual(before);
    await client.close();
  });

  test("RENAME creates the superior levels of the new name", async () => {
    const { address, client } = await fresh();
    await client.command("CREATE Lone");
    expect((await client.command('RENAME Lone "p/q/Lone"')).status).toBe("OK");
    const names = await storedNames(address);
    expect(names).toContain("p");
    expect(names).toContain("p/q");
    expect(names).toContain("p/q/Lone");
    expect(names).not.toContain("Lone");
    await client.close();
  });

  test("RENAME failures: missing source, existing target, own child, invalid target", async () => {
    const { address, client } = await fresh();
    await client.command('CREATE "r/s"');
    const cases: Array<[string, string]> = [
      ["RENAME Missing Else", "[NONEXISTENT]"],
      ["RENAME r Sent", "[ALREADYEXISTS]"],
      ["RENAME r INBOX", "[ALREADYEXISTS]"],
      ["RENAME r r", "[ALREADYEXISTS]"],
      ['RENAME r "r/s/t"', "[CANNOT]"],
      ['RENAME r "a//b"', "[CANNOT]"],
      ['RENAME r "x*"', "[CANNOT]"],
      ['RENAME r "&AGE-"', "[CANNOT]"],
    ];
    const before = await storedNames(address);
    for (const [command, code] of cases) {
      const r = await client.command(command);
      expect({ command, status: r.status, code: r.text.split(" ")[0] }).toEqual({
        command,
        status: "NO",
        code,
      });
    }
    expect(await storedNames(address)).toEqual(before);
    await client.close();
  });

  test("RENAME INBOX moves its messages to the new mailbox and leaves INBOX empty", async () => {
    const { address, client } = await fresh();
    await deliver(address, "INBOX", ["1", "2", "3"]);
    expect((await client.command("RENAME inbox Saved")).status).toBe("OK");
    expect(statusValues((await client.command("STATUS INBOX (MESSAGES)")).untagged[0]!).MESSAGES).toBe(0);
    expect(statusValues((await client.command("STATUS Saved (MESSAGES)")).untagged[0]!).MESSAGES).toBe(3);
    expect(await storedNames(address)).toContain("INBOX");
    await client.close();
  });

  test("RENAME INBOX to a child of INBOX archives its messages there", async () => {
    const { address, client } = await fresh();
    await deliver(address, "INBOX", ["1", "2"]);
    expect((await client.command('RENAME INBOX "inbox/2024"')).status).toBe("OK");
    expect(await storedNames(address)).toContain("INBOX/2024");
    expect(statusValues((await client.command("STATUS INBOX (MESSAGES)")).untagged[0]!).MESSAGES).toBe(0);
    expect(
      statusValues((await client.command('STATUS "INBOX/2024" (MESSAGES UIDNEXT)')).untagged[0]!),
    ).toEqual({
      MESSAGES: 2,
      UIDNEXT: 3,
    });
    await client.close();
  });

  test("RENAME INBOX is seen as EXPUNGEs by a session that has INBOX selected", async () => {
    const { address, client } = await fresh();
    await deliver(address, "INBOX", ["1", "2"]);
    const watcher = await ImapClient.login(port, address);
    expect((await watcher.command("SELECT INBOX")).untagged).toContain("2 EXISTS");
    expect((await client.command("RENAME INBOX Moved")).status).toBe("OK");
    const noop = await watcher.command("NOOP");
    expect(noop.untagged.filter((l) => l.endsWith("EXPUNGE"))).toEqual(["2 EXPUNGE", "1 EXPUNGE"]);
    await watcher.close();
    await client.close();
  });
});

describe("SUBSCRIBE and UNSUBSCRIBE", () => {
  test("UNSUBSCRIBE removes a mailbox from LSUB and SUBSCRIBE brings it back", async () => {
    const { client } = await fresh();
    await client.command("CREATE Sub");
    expect(await client.command("UNSUBSCRIBE Sub")).toMatchObject({
      status: "OK",
      text: "UNSUBSCRIBE completed",
    });
    expect((await client.command('LSUB "" Sub')).untagged).toEqual([]);
    expect(await client.command("SUBSCRIBE Sub")).toMatchObject({
      status: "OK",
      text: "SUBSCRIBE completed",
    });
    expect((await client.command('LSUB "" Sub')).untagged).toEqual(['LSUB () "/" Sub']);
    await client.close();
  });

  test("SUBSCRIBE and UNSUBSCRIBE of a missing mailbox are NO [NONEXISTENT]", async () => {
    const { client } = await fresh();
    for (const command of ["SUBSCRIBE Ghost", "UNSUBSCRIBE Ghost", 'SUBSCRIBE "a//b"']) {
      const r = await client.command(command);
      expect({ command, status: r.status }).toEqual({ command, status: "NO" });
      expect(r.text).toStartWith("[NONEXISTENT]");
    }
    await client.close();
  });

  test("SUBSCRIBE inbox is INBOX", async () => {
    const { client } = await fresh();
    await client.command("UNSUBSCRIBE InBoX");
    expect((await client.command('LSUB "" INBOX')).untagged).toEqual([]);
    await client.command("SUBSCRIBE inbox");
    expect((await client.command('LSUB "" inbox')).untagged).toEqual(['LSUB () "/" INBOX']);
    await client.close();
  });
});

describe("STATUS", () => {
  test("STATUS reports every item in the order asked", async () => {
    const { address, client } = await fresh();
    await client.command("CREATE Counts");
    await deliver(address, "Counts", ["one"], FLAG_BITS["\\Seen"]);
    await deliver(address, "Counts", ["two", "three"]);
    const account = await accountGet(server.store.read, address);
    const box = (await mailboxFind(server.store.read, account.id, "Counts"))!;
    const r = await client.command(
      "STATUS Counts (UIDNEXT MESSAGES UNSEEN RECENT UIDVALIDITY SIZE HIGHESTMODSEQ)",
    );
    expect(r).toMatchObject({ status: "OK", text: "STATUS completed" });
    const size = ["one", "two", "three"].reduce(
      (sum, b) => sum + Buffer.byteLength(`Subject: t\r\n\r\n${b}\r\n`),
      0,
    );
    expect(r.untagged).toEqual([
      // RECENT 3: no session has selected Counts since the messages arrived (RFC 3501 §2.3.2).
      `STATUS Counts (UIDNEXT 4 MESSAGES 3 UNSEEN 2 RECENT 3 UIDVALIDITY ${box.uidValidity} SIZE ${size} HIGHESTMODSEQ ${box.highestModseq})`,
    ]);
    await client.close();
  });

  test("STATUS of an empty mailbox is all zeros with UIDNEXT 1", async () => {
    const { client } = await fresh();
    const r = await client.command("STATUS Trash (MESSAGES UNSEEN SIZE UIDNEXT)");
    expect(r.untagged).toEqual(["STATUS Trash (MESSAGES 0 UNSEEN 0 SIZE 0 UIDNEXT 1)"]);
    await client.close();
  });

  test("STATUS inbox answers for INBOX, spelled INBOX", async () => {
    const { address, client } = await fresh();
    await deliver(address, "INBOX", ["a"]);
    expect((await client.command("STATUS inbox (MESSAGES)")).untagged).toEqual(["STATUS INBOX (MESSAGES 1)"]);
    expect((await client.command('STATUS "InBoX" (MESSAGES)')).untagged).toEqual([
      "STATUS INBOX (MESSAGES 1)",
    ]);
    await client.close();
  });

  test("STATUS of the selected mailbox is allowed", async () => {
    const { address, client } = await fresh();
    await deliver(address, "INBOX", ["a", "b"]);
    await client.command("SELECT INBOX");
    const r = await client.command("STATUS INBOX (MESSAGES)");
    expect(r.status).toBe("OK");
    expect(r.untagged).toContain("STATUS INBOX (MESSAGES 2)");
    await client.close();
  });

  test("STATUS of a missing or invalid name is NO [NONEXISTENT]", async () => {
    const { client } = await fresh();
    for (const name of ['"Nope"', '"a//b"', '"../INBOX"', '"/INBOX"']) {
      const r = await client.command(`STATUS ${name} (MESSAGES)`);
      expect({ name, status: r.status }).toEqual({ name, status: "NO" });
      expect(r.text).toStartWith("[NONEXISTENT]");
    }
    await client.close();
  });

  test("STATUS follows new deliveries and flag changes", async () => {
    const { address, client } = await fresh();
    await deliver(address, "INBOX", ["a"]);
    const first = statusValues(
      (await client.command("STATUS INBOX (MESSAGES UNSEEN HIGHESTMODSEQ)")).untagged[0]!,
    );
    await deliver(address, "INBOX", ["b"]);
    const second = statusValues(
      (await client.command("STATUS INBOX (MESSAGES UNSEEN HIGHESTMODSEQ)")).untagged[0]!,
    );
    expect(second.MESSAGES).toBe(first.MESSAGES! + 1);
    expect(second.UNSEEN).toBe(first.UNSEEN! + 1);
    expect(second.HIGHESTMODSEQ).toBeGreaterThan(first.HIGHESTMODSEQ!);
    await client.close();
  });
});
