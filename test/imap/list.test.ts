/**
 * LIST and LSUB: wildcards, references, CHILDREN, SPECIAL-USE, LIST-EXTENDED selection and return
 * options, LIST-STATUS, modified UTF-7 names, and Python imaplib parsing our output.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { globMatch, listPattern } from "../../src/imap/commands/mailbox/list-pattern.ts";
import { parseMessage } from "../../src/mime/mod.ts";
import { accountGet, FLAG_BITS, mailboxCreate, messageIngest } from "../../src/store/mod.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { hasCommand, run } from "../harness/run.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";

const USER = "lister@example.com";
let server: TestServer;
let port: number;
let client: ImapClient;

/**
 * lister's mailboxes: the defaults (INBOX, Sent, Drafts, Trash, Junk, Archive), a three-level
 * hierarchy, Unicode names, and "orphan/child" made through the store without its parent "orphan"
 * (as the REST API may), so "orphan" is a level of hierarchy that is no mailbox.
 * Subscribed: the defaults but Junk, and the leaves created here (CREATE subscribes nothing, RFC
 * 3501 §6.3.3); so unsubscribed: Junk, work, work/projects, orphan.
 */
beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.imap!;
  await createAccounts(server, [{ address: USER }, { address: "inboxkid@example.com" }]);
  const account = await accountGet(server.store.read, USER);
  await server.store.write((w) => mailboxCreate(w, account.id, "orphan/child"));
  client = await ImapClient.login(port, USER);
  for (const command of [
    'CREATE "work/projects/2024"',
    'CREATE "Entw&APw-rfe"',
    'CREATE "&ZeVnLIqe-"',
    'CREATE "A&-B"',
    "UNSUBSCRIBE Junk",
    'SUBSCRIBE "work/projects/2024"',
    'SUBSCRIBE "Entw&APw-rfe"',
    'SUBSCRIBE "&ZeVnLIqe-"',
    'SUBSCRIBE "A&-B"',
    'SUBSCRIBE "orphan/child"',
  ]) {
    expect((await client.command(command)).status).toBe("OK");
  }
  for (const [body, flags] of [
    ["one", FLAG_BITS["\\Seen"]],
    ["two", 0],
  ] as const) {
    const raw = Buffer.from(`Subject: s\r\n\r\n${body}\r\n`);
    await server.store.write((w) =>
      messageIngest(w, {
        raw,
        parsed: parseMessage(raw),
        targets: [{ accountId: account.id, mailboxName: "work/projects", flags }],
      }),
    );
  }
});

afterAll(async () => {
  await client.close();
  await server.close();
});

async function lines(command: string): Promise<string[]> {
  const r = await client.command(command);
  expect({ command, status: r.status, text: r.text }).toEqual({ command, status: "OK", text: r.text });
  return r.untagged;
}

const ALL = [
  'LIST (\\HasNoChildren) "/" INBOX',
  'LIST (\\HasNoChildren) "/" A&-B',
  'LIST (\\HasNoChildren \\Archive) "/" Archive',
  'LIST (\\HasNoChildren \\Drafts) "/" Drafts',
  'LIST (\\HasNoChildren) "/" Entw&APw-rfe',
  'LIST (\\HasNoChildren \\Junk) "/" Junk',
  'LIST (\\HasNoChildren \\Sent) "/" Sent',
  'LIST (\\HasNoChildren \\Trash) "/" Trash',
  'LIST (\\HasNoChildren) "/" orphan/child',
  'LIST (\\HasChildren) "/" work',
  'LIST (\\HasChildren) "/" work/projects',
  'LIST (\\HasNoChildren) "/" work/projects/2024',
  'LIST (\\HasNoChildren) "/" &ZeVnLIqe-',
];

describe("list patterns (unit)", () => {
  const table: Array<[string, string, boolean]> = [
    ["*", "a/b/c", true],
    ["%", "a", true],
    ["%", "a/b", false],
    ["a/%", "a/b", true],
    ["a/%", "a/b/c", false],
    ["a/*", "a/b/c", true],
    ["a*", "a", true],
    ["%/%", "a/b", true],
    ["*/c", "a/b/c", true],
    ["a%c", "abc", true],
    ["a%c", "a/c", false],
    ["*x%y", "x/xy", true],
    ["a", "A", false],
    ["", "", true],
    ["Entwü*", "Entwürfe", true],
  ];
  for (const [pattern, name, expected] of table) {
    test(`globMatch("${pattern}", "${name}") is ${expected}`, () => {
      expect(globMatch(pattern, name)).toBe(expected);
    });
  }

  test("listPattern() treats INBOX case-insensitively, and only INBOX", () => {
    expect(listPattern("", "inbox").matches("INBOX")).toBe(true);
    expect(listPattern("", "InBoX/%").matches("INBOX/sub")).toBe(true);
    expect(listPattern("", "inbox*").matches("INBOX/sub")).toBe(true);
    expect(listPattern("", "inboxes").matches("INBOX")).toBe(false);
    expect(listPattern("", "sent").matches("Sent")).toBe(false);
  });

  test("listPattern() joins reference and pattern and collapses wildcard runs", () => {
    expect(listPattern("work/", "%").text).toBe("work/%");
    expect(listPattern("", "a**%*b%%").text).toBe("a*b%");
    expect(listPattern("", "a%").percentLast).toBe(true);
  });

  test("globMatch() of a pathological pattern against a long name ends quickly", () => {
    const name = "a".repeat(1000);
    expect(globMatch(`${"*a".repeat(200)}b`, name)).toBe(false);
    expect(globMatch(`${"%a".repeat(200)}%`, name)).toBe(true);
    expect(listPattern("", `${"x".repeat(1025)}*`).matches("x".repeat(1024))).toBe(false);
  }, 5000);
});

describe("LIST", () => {
  test('LIST "" "*" lists every mailbox with children and special-use attributes', async () => {
    expect(await lines('LIST "" "*"')).toEqual(ALL);
  });

  test('LIST "" "%" lists the top level, an absent level as \\Noselect', async () => {
    expect(await lines('LIST "" "%"')).toEqual([
      'LIST (\\HasNoChildren) "/" INBOX',
      'LIST (\\HasNoChildren) "/" A&-B',
      'LIST (\\HasNoChildren \\Archive) "/" Archive',
      'LIST (\\HasNoChildren \\Drafts) "/" Drafts',
      'LIST (\\HasNoChildren) "/" Entw&APw-rfe',
      'LIST (\\HasNoChildren \\Junk) "/" Junk',
      'LIST (\\HasNoChildren \\Sent) "/" Sent',
      'LIST (\\HasNoChildren \\Trash) "/" Trash',
      'LIST (\\Noselect \\HasChildren) "/" orphan',
      'LIST (\\HasChildren) "/" work',
      'LIST (\\HasNoChildren) "/" &ZeVnLIqe-',
    ]);
  });

  const cases: Array<[string, string[]]> = [
    ['LIST "" "work/%"', ['LIST (\\HasChildren) "/" work/projects']],
    [
      'LIST "" "work/*"',
      ['LIST (\\HasChildren) "/" work/projects', 'LIST (\\HasNoChildren) "/" work/projects/2024'],
    ],
    ['LIST "work/" "%"', ['LIST (\\HasChildren) "/" work/projects']],
    ['LIST "work" "/%"', ['LIST (\\HasChildren) "/" work/projects']],
    ['LIST "" "%/%"', ['LIST (\\HasNoChildren) "/" orphan/child', 'LIST (\\HasChildren) "/" work/projects']],
    ['LIST "" "*/2024"', ['LIST (\\HasNoChildren) "/" work/projects/2024']],
    ['LIST "" "w*s"', ['LIST (\\HasChildren) "/" work/projects']],
    ['LIST "" "w%s"', []],
    ['LIST "" "nothing*"', []],
    ['LIST "" inbox', ['LIST (\\HasNoChildren) "/" INBOX']],
    ['LIST "" "InBoX"', ['LIST (\\HasNoChildren) "/" INBOX']],
    ['LIST "" "INB*"', ['LIST (\\HasNoChildren) "/" INBOX']],
    ['LIST "" "Entw&APw-*"', ['LIST (\\HasNoChildren) "/" Entw&APw-rfe']],
    ['LIST "" "A&-B"', ['LIST (\\HasNoChildren) "/" A&-B']],
    ['LIST "" ""', ['LIST (\\Noselect) "/" ""']],
    ['LIST "work/" ""', ['LIST (\\Noselect) "/" ""']],
    ['LIST "" "orphan"', []],
  ];
  for (const [command, expected] of cases) {
    test(`${command} returns ${expected.length} line(s)`, async () => {
      expect(await lines(command)).toEqual(expected);
    });
  }

  test('LIST "" "inbox/%" lists INBOX\'s children, and "*" lists them right after INBOX', async () => {
    const kid = await ImapClient.login(port, "inboxkid@example.com");
    expect((await kid.command('CREATE "INBOX/sub"')).status).toBe("OK");
    expect((await kid.command('LIST "" "inbox/%"')).untagged).toEqual([
      'LIST (\\HasNoChildren) "/" INBOX/sub',
    ]);
    expect((await kid.command('LIST "" "INBOX"')).untagged).toEqual(['LIST (\\HasChildren) "/" INBOX']);
    expect((await kid.command('LIST "" "*"')).untagged.slice(0, 3)).toEqual([
      'LIST (\\HasChildren) "/" INBOX',
      'LIST (\\HasNoChildren) "/" INBOX/sub',
      'LIST (\\HasNoChildren \\Archive) "/" Archive',
    ]);
    await kid.close();
  });

  const bad = [
    'LIST ""',
    'LIST "" "*" extra',
    'LIST (RECURSIVEMATCH) "" "*"',
    'LIST (REMOTE RECURSIVEMATCH) "" "*"',
    'LIST (FROB) "" "*"',
    'LIST "" "*" RETURN (FROB)',
    'LIST "" "*" RETURN (STATUS (FROB))',
    'LIST "" "*" RETURN (STATUS ())',
    'LIST "" "*" RETURN STATUS',
    'LIST "" ()',
    'LIST ("" "*")',
  ];
  for (const command of bad) {
    test(`${command} is BAD`, async () => {
      expect((await client.command(command)).status).toBe("BAD");
    });
  }
});

describe("LIST-EXTENDED", () => {
  test('LIST () "" "%" reports the absent level as \\NonExistent', async () => {
    expect(await lines('LIST () "" "%"')).toContain('LIST (\\NonExistent \\HasChildren) "/" orphan');
  });

  test("LIST (SUBSCRIBED) returns only subscribed mailboxes, marked \\Subscribed", async () => {
    expect(await lines('LIST (SUBSCRIBED) "" "*"')).toEqual([
      'LIST (\\HasNoChildren \\Subscribed) "/" INBOX',
      'LIST (\\HasNoChildren \\Subscribed) "/" A&-B',
      'LIST (\\HasNoChildren \\Subscribed \\Archive) "/" Archive',
      'LIST (\\HasNoChildren \\Subscribed \\Drafts) "/" Drafts',
      'LIST (\\HasNoChildren \\Subscribed) "/" Entw&APw-rfe',
      'LIST (\\HasNoChildren \\Subscribed \\Sent) "/" Sent',
      'LIST (\\HasNoChildren \\Subscribed \\Trash) "/" Trash',
      'LIST (\\HasNoChildren \\Subscribed) "/" orphan/child',
      'LIST (\\HasNoChildren \\Subscribed) "/" work/projects/2024',
      'LIST (\\HasNoChildren \\Subscribed) "/" &ZeVnLIqe-',
    ]);
  });

  test("LIST (SUBSCRIBED RECURSIVEMATCH) adds parents of subscribed mailboxes with CHILDINFO", async () => {
    const got = await lines('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"');
    expect(got).toContain('LIST (\\HasChildren) "/" work ("CHILDINFO" ("SUBSCRIBED"))');
    expect(got).toContain('LIST (\\NonExistent \\HasChildren) "/" orphan ("CHILDINFO" ("SUBSCRIBED"))');
    expect(got).toContain('LIST (\\HasNoChildren \\Subscribed \\Sent) "/" Sent');
    expect(got.some((l) => l.endsWith(" Junk"))).toBe(false);
    // With "*" every subscribed descendant matches itself: no parent needs CHILDINFO.
    expect(
      (await lines('LIST (SUBSCRIBED RECURSIVEMATCH) "" "*"')).some((l) => l.includes("CHILDINFO")),
    ).toBe(false);
  });

  test("LIST (SPECIAL-USE) returns only special-use mailboxes (RFC 6154 §3)", async () => {
    expect(await lines('LIST (SPECIAL-USE) "" "*"')).toEqual([
      'LIST (\\HasNoChildren \\Archive) "/" Archive',
      'LIST (\\HasNoChildren \\Drafts) "/" Drafts',
      'LIST (\\HasNoChildren \\Junk) "/" Junk',
      'LIST (\\HasNoChildren \\Sent) "/" Sent',
      'LIST (\\HasNoChildren \\Trash) "/" Trash',
    ]);
  });

  test("RETURN (SUBSCRIBED CHILDREN SPECIAL-USE) marks subscribed mailboxes without filtering", async () => {
    const got = await lines('LIST "" "*" RETURN (SUBSCRIBED CHILDREN SPECIAL-USE)');
    expect(got).toHaveLength(ALL.length);
    expect(got).toContain('LIST (\\HasNoChildren \\Junk) "/" Junk');
    expect(got).toContain('LIST (\\HasNoChildren \\Subscribed \\Sent) "/" Sent');
    expect(got).toContain('LIST (\\HasChildren) "/" work');
  });

  test("REMOTE is accepted and changes nothing", async () => {
    expect(await lines('LIST (REMOTE) "" "*"')).toEqual(ALL);
  });

  test("several patterns return each mailbox once, in name order", async () => {
    expect(await lines('LIST "" ("Sent" "INBOX" "inbox" "S*")')).toEqual([
      'LIST (\\HasNoChildren) "/" INBOX',
      'LIST (\\HasNoChildren \\Sent) "/" Sent',
    ]);
  });
});

describe("LIST-STATUS (RFC 5819)", () => {
  test("RETURN (STATUS ...) puts a STATUS after each selectable mailbox's LIST line", async () => {
    expect(await lines('LIST "" "work*" RETURN (STATUS (MESSAGES UNSEEN))')).toEqual([
      'LIST (\\HasChildren) "/" work',
      "STATUS work (MESSAGES 0 UNSEEN 0)",
      'LIST (\\HasChildren) "/" work/projects',
      "STATUS work/projects (MESSAGES 2 UNSEEN 1)",
      'LIST (\\HasNoChildren) "/" work/projects/2024',
      "STATUS work/projects/2024 (MESSAGES 0 UNSEEN 0)",
    ]);
  });

  test("no STATUS follows an absent level", async () => {
    const got = await lines('LIST () "" "o%" RETURN (STATUS (MESSAGES))');
    expect(got).toEqual(['LIST (\\NonExistent \\HasChildren) "/" orphan']);
  });

  test("STATUS names are encoded like LIST names", async () => {
    expect(await lines('LIST "" "Entw*" RETURN (STATUS (UIDNEXT))')).toEqual([
      'LIST (\\HasNoChildren) "/" Entw&APw-rfe',
      "STATUS Entw&APw-rfe (UIDNEXT 1)",
    ]);
  });
});

describe("LSUB", () => {
  test('LSUB "" "*" lists the subscribed mailboxes', async () => {
    const got = await lines('LSUB "" "*"');
    expect(got).toContain('LSUB () "/" INBOX');
    expect(got).toContain('LSUB () "/" work/projects/2024');
    expect(got.some((l) => l.endsWith(" Junk") || l.endsWith(" work") || l.endsWith(" work/projects"))).toBe(
      false,
    );
  });

  test('LSUB "" "%" shows unsubscribed levels above subscribed ones as \\Noselect', async () => {
    const got = await lines('LSUB "" "%"');
    expect(got).toContain('LSUB (\\Noselect) "/" work');
    expect(got).toContain('LSUB (\\Noselect) "/" orphan');
    expect(got).toContain('LSUB () "/" Sent');
  });

  test("LSUB with a reference, INBOX in any case, and the empty pattern", async () => {
    expect(await lines('LSUB "work/projects/" "%"')).toEqual(['LSUB () "/" work/projects/2024']);
    expect(await lines('LSUB "" "inbox"')).toEqual(['LSUB () "/" INBOX']);
    expect(await lines('LSUB "" ""')).toEqual(['LSUB (\\Noselect) "/" ""']);
  });

  test("LSUB with bad arguments is BAD", async () => {
    expect((await client.command('LSUB ""')).status).toBe("BAD");
    expect((await client.command('LSUB "" ("*")')).status).toBe("BAD");
  });
});

describe("Python imaplib", () => {
  test("imaplib list(), lsub() and status() parse our responses", async () => {
    if (!(await hasCommand("python3"))) throw new Error("python3 is needed for this interop test");
    const script = `
import imaplib, json, re, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login(${JSON.stringify(USER)}, "secret")
pat = re.compile(rb'\\((?P<flags>[^)]*)\\) "(?P<delim>[^"]*)" (?P<name>.+)')
def parse(data):
    out = []
    for line in data:
        g = pat.match(line)
        out.append([g.group("flags").decode(), g.group("delim").decode(), g.group("name").decode().strip('"')])
    return out
typ, listed = m.list()
typ2, pct = m.list('""', "%")
typ3, subs = m.lsub()
typ4, status = m.status("work/projects", "(MESSAGES UNSEEN)")
m.logout()
print(json.dumps({"types": [typ, typ2, typ3, typ4], "list": parse(listed), "pct": parse(pct), "lsub": parse(subs), "status": status[0].decode()}))
`;
    const r = await run("python3", ["-c", script, String(port)]);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out.types).toEqual(["OK", "OK", "OK", "OK"]);
    expect(out.list.map((e: string[]) => e[2])).toEqual(ALL.map((l) => l.split('"/" ')[1]));
    expect(out.list.every((e: string[]) => e[1] === "/")).toBe(true);
    expect(out.list).toContainEqual(["\\HasNoChildren \\Sent", "/", "Sent"]);
    expect(out.pct).toContainEqual(["\\Noselect \\HasChildren", "/", "orphan"]);
    expect(out.lsub.map((e: string[]) => e[2])).toContain("work/projects/2024");
    expect(out.status).toBe("work/projects (MESSAGES 2 UNSEEN 1)");
  });
});
