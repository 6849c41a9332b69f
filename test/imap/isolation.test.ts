/**
 * Account isolation through the mailbox commands: whatever name a client sends (paths, other
 * accounts' addresses, encoded dots, wildcards, control characters, huge names), it either gets NO
 * or a mailbox inside its own account; LIST, LSUB, STATUS and SELECT never show another account's data.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseMessage } from "../../src/mime/mod.ts";
import { accountGet, type Mailbox, mailboxList, messageIngest } from "../../src/store/mod.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";

const ALICE = "alice@example.com";
const BOB = "bob@example.com";
let server: TestServer;
let port: number;
let alice: ImapClient;
let bob: ImapClient;

async function mailboxesOf(address: string): Promise<Mailbox[]> {
  const account = await accountGet(server.store.read, address);
  return mailboxList(server.store.read, account.id);
}

async function deliver(address: string, mailbox: string, count: number): Promise<void> {
  const account = await accountGet(server.store.read, address);
  for (let i = 0; i < count; i++) {
    const raw = Buffer.from(`Subject: secret ${i}\r\n\r\nfor ${address} only\r\n`);
    await server.store.write((w) =>
      messageIngest(w, {
        raw,
        parsed: parseMessage(raw),
        targets: [{ accountId: account.id, mailboxName: mailbox }],
      }),
    );
  }
}

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.imap!;
  await createAccounts(server, [{ address: ALICE }, { address: BOB }, { address: "bob@other.example" }]);
  bob = await ImapClient.login(port, BOB);
  for (const name of ["Secret", "Secret/Deeper"])
    expect((await bob.command(`CREATE "${name}"`)).status).toBe("OK");
  expect((await bob.command("SUBSCRIBE Secret")).status).toBe("OK");
  await deliver(BOB, "Secret", 3);
  await deliver(BOB, "INBOX", 2);
  alice = await ImapClient.login(port, ALICE);
});

afterAll(async () => {
  await alice.close();
  await bob.close();
  await server.close();
});

/** Names that try to step out of the account, each sent as a quoted string. */
const HOSTILE = [
  "../bob@example.com/INBOX",
  "../../bob@example.com/Secret",
  "/INBOX",
  "//bob@example.com/Secret",
  "#shared/x",
  "#users/bob/Secret",
  "~bob/Secret",
  "bob@example.com/INBOX",
  "bob@example.com/Secret",
  "bob@other.example",
  "&AC4ALg-",
  "&AC4ALg-/bob@example.com/INBOX",
  "a&AC8-..&AC8-b",
  "Secret/..",
  "./Secret",
  "INBOX/../Secret",
  "x".repeat(1025),
  `${"level/".repeat(40)}leaf`,
  "a*",
  "%",
  "*",
];

/** Names with bytes that cannot be quoted, sent as literals. */
const HOSTILE_LITERALS = [
  "Secret\u0000",
  "\u0000bob@example.com/INBOX",
  "a\r\nb",
  "a\nb",
  "esc\u001b[0m",
  "\u007f",
];

describe("hostile names", () => {
  test("CREATE of a hostile name is NO or creates a mailbox in the caller's own account", async () => {
    const bobBefore = await mailboxesOf(BOB);
    for (const name of HOSTILE) {
      const r = await alice.command(`CREATE "${name}"`);
      expect({ name, status: r.status }).toMatchObject({ name, status: expect.stringMatching(/^(OK|NO)$/) });
    }
    for (const name of HOSTILE_LITERALS) {
      const bytes = Buffer.from(name);
      const r = await alice.command(Buffer.concat([Buffer.from(`CREATE {${bytes.length}+}\r\n`), bytes]));
      expect({ name, status: r.status }).toEqual({ name, status: "NO" });
    }
    // Bob's account is exactly as it was, and everything Alice got lives in Alice's account.
    expect(await mailboxesOf(BOB)).toEqual(bobBefore);
    const aliceAccount = await accountGet(server.store.read, ALICE);
    const aliceBoxes = await mailboxesOf(ALICE);
    expect(aliceBoxes.every((m) => m.accountId === aliceAccount.id)).toBe(true);
    // What was created is what a plain name would be: no empty, "." or ".." level, no control character.
    for (const m of aliceBoxes) {
      expect(m.name.split("/").every((level) => level !== "" && level !== "." && level !== "..")).toBe(true);
      expect(/[\u0000-\u001f\u007f*%]/.test(m.name)).toBe(false);
    }
    expect(aliceBoxes.map((m) => m.name)).toContain("bob@example.com/Secret");
  });

  test("Alice's mailbox named after Bob's path holds Alice's data, not Bob's", async () => {
    const r = await alice.command('STATUS "bob@example.com/Secret" (MESSAGES)');
    expect(r.untagged).toEqual(["STATUS bob@example.com/Secret (MESSAGES 0)"]);
    expect((await bob.command("STATUS Secret (MESSAGES)")).untagged).toEqual(["STATUS Secret (MESSAGES 3)"]);
  });

  test("SELECT, EXAMINE, STATUS, DELETE, RENAME and SUBSCRIBE cannot reach Bob's Secret", async () => {
    for (const command of [
      "SELECT Secret",
      "EXAMINE Secret",
      'SELECT "../bob@example.com/Secret"',
      'SELECT "/Secret"',
      "STATUS Secret (MESSAGES)",
      'STATUS "Secret/Deeper" (MESSAGES)',
      "DELETE Secret",
      'DELETE "Secret/Deeper"',
      "RENAME Secret Mine",
      "SUBSCRIBE Secret",
      "UNSUBSCRIBE Secret",
    ]) {
      const r = await alice.command(command);
      expect({ command, status: r.status }).toEqual({ command, status: "NO" });
      expect(r.untagged.some((l) => l.includes("Secret") && !l.includes("bob@example.com/Secret"))).toBe(
        false,
      );
    }
    expect((await mailboxesOf(BOB)).map((m) => m.name)).toContain("Secret/Deeper");
    expect((await bob.command('LSUB "" Secret')).untagged).toEqual(['LSUB () "/" Secret']);
  });

  test("LIST and LSUB with any reference or pattern show only the caller's mailboxes", async () => {
    const aliceNames = new Set((await mailboxesOf(ALICE)).map((m) => m.name));
    for (const [reference, pattern] of [
      ["", "*"],
      ["", "%"],
      ["../", "*"],
      ["bob@example.com/", "*"],
      ["", "Secret*"],
      ["", "*Secret*"],
      ["#shared/", "*"],
      ["/", "*"],
      ["~bob/", "*"],
    ] as const) {
      for (const command of [`LIST "${reference}" "${pattern}"`, `LSUB "${reference}" "${pattern}"`]) {
        const r = await alice.command(command);
        expect({ command, status: r.status }).toEqual({ command, status: "OK" });
        for (const line of r.untagged) {
          const name = /"\/" "?([^"]*)"?$/.exec(line)![1]!;
          // Every name shown is Alice's (or a level above one of hers).
          const ok = aliceNames.has(name) || [...aliceNames].some((n) => n.startsWith(`${name}/`));
          expect({ command, name, ok }).toEqual({ command, name, ok: true });
        }
      }
    }
    const secretLines = (await alice.command('LIST "" "*Secret*"')).untagged;
    // Alice's own look-alikes, made by the CREATE attempts above; never Bob's Secret or Secret/Deeper.
    expect(secretLines).toEqual([
      'LIST (\\HasNoChildren) "/" #users/bob/Secret',
      'LIST (\\HasNoChildren) "/" bob@example.com/Secret',
      'LIST (\\HasNoChildren) "/" ~bob/Secret',
    ]);
  });

  test("LIST-STATUS counts only the caller's messages", async () => {
    const r = await alice.command('LIST "" "INBOX" RETURN (STATUS (MESSAGES))');
    expect(r.untagged).toEqual(['LIST (\\HasNoChildren) "/" INBOX', "STATUS INBOX (MESSAGES 0)"]);
  });
});

describe("two accounts with the same names", () => {
  test("same-named mailboxes stay separate through CREATE, STATUS, RENAME and DELETE", async () => {
    expect((await alice.command("CREATE Projects")).status).toBe("OK");
    expect((await bob.command("CREATE Projects")).status).toBe("OK");
    await deliver(ALICE, "Projects", 2);
    expect((await alice.command("STATUS Projects (MESSAGES)")).untagged).toEqual([
      "STATUS Projects (MESSAGES 2)",
    ]);
    expect((await bob.command("STATUS Projects (MESSAGES)")).untagged).toEqual([
      "STATUS Projects (MESSAGES 0)",
    ]);
    expect((await alice.command("RENAME Projects Done")).status).toBe("OK");
    expect((await bob.command('LIST "" "Projects"')).untagged).toEqual([
      'LIST (\\HasNoChildren) "/" Projects',
    ]);
    expect((await bob.command('LIST "" "Done"')).untagged).toEqual([]);
    expect((await alice.command("DELETE Done")).status).toBe("OK");
    expect((await bob.command("STATUS Projects (MESSAGES)")).status).toBe("OK");
  });

  test("RENAME INBOX moves only the caller's INBOX", async () => {
    await deliver(ALICE, "INBOX", 1);
    expect((await alice.command("RENAME INBOX Old")).status).toBe("OK");
    expect((await alice.command("STATUS Old (MESSAGES)")).untagged).toEqual(["STATUS Old (MESSAGES 1)"]);
    expect((await bob.command("STATUS INBOX (MESSAGES)")).untagged).toEqual(["STATUS INBOX (MESSAGES 2)"]);
    expect((await bob.command("STATUS Old (MESSAGES)")).status).toBe("NO");
  });

  test("SELECT of the same name opens each account's own mailbox", async () => {
    const a = await alice.command("SELECT INBOX");
    const b = await bob.command("SELECT INBOX");
    expect(a.untagged).toContain("0 EXISTS");
    expect(b.untagged).toContain("2 EXISTS");
    await alice.command("UNSELECT");
    await bob.command("UNSELECT");
  });

  test("Bob's DELETE of his selected mailbox does not touch Alice's session", async () => {
    await alice.command("CREATE Shared");
    await bob.command("CREATE Shared");
    await deliver(ALICE, "Shared", 1);
    expect((await alice.command("SELECT Shared")).untagged).toContain("1 EXISTS");
    expect((await bob.command("SELECT Shared")).status).toBe("OK");
    expect((await bob.command("DELETE Shared")).untagged).toEqual([
      "OK [CLOSED] Mailbox deleted; no mailbox is selected",
    ]);
    const noop = await alice.command("NOOP");
    expect(noop.untagged).toEqual([]);
    expect((await alice.command("FETCH 1 FLAGS")).status).toBe("OK");
    await alice.command("UNSELECT");
  });
});
