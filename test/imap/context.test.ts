/**
 * CONTEXT=SEARCH and CONTEXT=SORT (RFC 5267 §4): SEARCH / SORT RETURN (UPDATE) keeps its result up to
 * date with unsolicited ESEARCH ADDTO / REMOVEFROM while the mailbox stays selected, whoever changes
 * it (another session delivering, storing, expunging; this one too); CANCELUPDATE ends a context;
 * PARTIAL returns a window of the result (RFC 9394's ranges, from either end); contexts are bounded
 * per selection (NO [NOUPDATE]) and end with UNSELECT, CLOSE and SELECT. Real sockets, and Python's
 * imaplib as a stock client reading the updates.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { run } from "../harness/run.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.imap!;
});

afterAll(async () => {
  await server.close();
});

async function ok(client: ImapClient, command: string, tag?: string): Promise<string[]> {
  const r = await client.command(command, tag);
  expect({ command, status: r.status, text: r.text }).toEqual({ command, status: "OK", text: r.text });
  return r.untagged;
}

async function status(client: ImapClient, command: string, tag?: string): Promise<string> {
  return (await client.command(command, tag)).status;
}

/** A (watching) and B (changing), both with INBOX selected; `messages` messages "m1".."mN", none \Recent. */
async function twoSessions(messages = 3): Promise<{ a: ImapClient; b: ImapClient; address: string }> {
  const address = await freshAccount(server, { messages, recentTaken: true });
  const a = await ImapClient.login(port, address);
  const b = await ImapClient.login(port, address);
  await ok(a, "SELECT INBOX");
  await ok(b, "SELECT INBOX");
  return { a, b, address };
}

const esearch = (lines: string[]) => lines.filter((l) => l.startsWith("ESEARCH"));

describe("capability", () => {
  test("CONTEXT=SEARCH and CONTEXT=SORT are advertised once logged in, with ESORT", async () => {
    const { client, greeting } = await ImapClient.connect(port);
    expect(greeting).not.toContain("CONTEXT=");
    await client.close();
    const { a, b } = await twoSessions(0);
    const caps = (await ok(a, "CAPABILITY"))[0]!.split(" ");
    expect(caps).toContain("CONTEXT=SEARCH");
    expect(caps).toContain("CONTEXT=SORT");
    expect(caps).toContain("ESORT");
    await Promise.all([a.close(), b.close()]);
  });
});

describe("SEARCH RETURN (UPDATE) (RFC 5267 §4.3)", () => {
  test("another session's STORE, APPEND and EXPUNGE reach the context as ADDTO / REMOVEFROM", async () => {
    const { a, b } = await twoSessions(3);
    expect(await ok(a, "UID SEARCH RETURN (UPDATE) FLAGGED", "S1")).toEqual(['ESEARCH (TAG "S1") UID']);
    await ok(b, "UID STORE 2 +FLAGS (\\Flagged)");
    expect(esearch(await ok(a, "NOOP"))).toEqual(['ESEARCH (TAG "S1") UID ADDTO (0 2)']);
    // A flag that does not change the match changes nothing in the context.
    await ok(b, "UID STORE 2 +FLAGS (\\Seen)");
    expect(esearch(await ok(a, "NOOP"))).toEqual([]);
    // A new flagged message: ADDTO after the EXISTS that makes it known (§4.3.3).
    expect((await b.append("INBOX", "Subject: new\r\n\r\nx\r\n", "(\\Flagged)")).status).toBe("OK");
    const added = await ok(a, "NOOP");
    expect(added.indexOf('ESEARCH (TAG "S1") UID ADDTO (0 4)')).toBeGreaterThan(added.indexOf("4 EXISTS"));
    // Unflagged elsewhere: REMOVEFROM, after the FETCH that reports the change (RFC 5465 §5.1).
    await ok(b, "UID STORE 4 -FLAGS (\\Flagged)");
    expect(await ok(a, "NOOP")).toEqual([
      "4 FETCH (UID 4 FLAGS ())",
      'ESEARCH (TAG "S1") UID REMOVEFROM (0 4)',
    ]);
    // Expunged elsewhere: REMOVEFROM before the EXPUNGE (§4.3.4).
    await ok(b, "UID STORE 2 +FLAGS (\\Deleted)");
    await ok(a, "NOOP");
    await ok(b, "EXPUNGE");
    expect(await ok(a, "NOOP")).toEqual(['ESEARCH (TAG "S1") UID REMOVEFROM (0 2)', "2 EXPUNGE"]);
    await Promise.all([a.close(), b.close()]);
  });

  test("the session's own STORE, .SILENT too, updates its context", async () => {
    const { a, b } = await twoSessions(3);
    await ok(a, "UID SEARCH RETURN (UPDATE COUNT) UNSEEN", "S2");
    const silent = await ok(a, "UID STORE 1,3 +FLAGS.SILENT (\\Seen)");
    expect(silent).toEqual(['ESEARCH (TAG "S2") UID REMOVEFROM (0 1,3)']);
    const loud = await ok(a, "UID STORE 3 -FLAGS (\\Seen)");
    expect(loud).toEqual(["3 FETCH (UID 3 FLAGS ())", 'ESEARCH (TAG "S2") UID ADDTO (0 3)']);
    await Promise.all([a.close(), b.close()]);
  });

  test("a SEARCH context by message number: REMOVEFROM names the number before its EXPUNGE", async () => {
    const { a, b } = await twoSessions(4);
    expect(await ok(a, "SEARCH RETURN (UPDATE) ALL", "S3")).toEqual(['ESEARCH (TAG "S3") ALL 1:4']);
    await ok(b, "UID STORE 2,3 +FLAGS.SILENT (\\Deleted)");
    await ok(b, "EXPUNGE");
    expect(await ok(a, "NOOP")).toEqual(['ESEARCH (TAG "S3") REMOVEFROM (0 2:3)', "3 EXPUNGE", "2 EXPUNGE"]);
    expect((await b.append("INBOX", "Subject: n\r\n\r\nx\r\n")).status).toBe("OK");
    expect(esearch(await ok(a, "NOOP"))).toEqual(['ESEARCH (TAG "S3") ADDTO (0 3)']);
    await Promise.all([a.close(), b.close()]);
  });

  test("no REMOVEFROM while a non-UID FETCH holds EXPUNGE back; it comes with the EXPUNGE", async () => {
    const { a, b } = await twoSessions(3);
    await ok(a, "SEARCH RETURN (UPDATE) ALL", "S4");
    await ok(b, "UID STORE 1 +FLAGS.SILENT (\\Deleted)");
    await ok(b, "EXPUNGE");
    expect(esearch(await ok(a, "FETCH 1 (UID)"))).toEqual([]);
    expect(await ok(a, "NOOP")).toEqual(['ESEARCH (TAG "S4") REMOVEFROM (0 1)', "1 EXPUNGE"]);
    await Promise.all([a.close(), b.close()]);
  });

  test("updates reach a session in IDLE as they commit", async () => {
    const { a, b } = await twoSessions(2);
    await ok(a, "UID SEARCH RETURN (UPDATE) FLAGGED", "S5");
    a.write("i1 IDLE\r\n");
    expect(await a.readResponseLine()).toStartWith("+ ");
    await ok(b, "UID STORE 1 +FLAGS (\\Flagged)");
    expect(await a.readResponseLine()).toBe("* 1 FETCH (UID 1 FLAGS (\\Flagged))");
    expect(await a.readResponseLine()).toBe('* ESEARCH (TAG "S5") UID ADDTO (0 1)');
    a.write("DONE\r\n");
    expect(await a.readResponseLine()).toStartWith("i1 OK");
    await Promise.all([a.close(), b.close()]);
  });

  test("a program with OLDER/YOUNGER gets NO [NOUPDATE] and its answer", async () => {
    const { a, b } = await twoSessions(2);
    const r = await a.command("UID SEARCH RETURN (UPDATE COUNT) YOUNGER 3600", "S6");
    expect(r.status).toBe("OK");
    expect(r.untagged).toContain('ESEARCH (TAG "S6") UID COUNT 2');
    expect(r.untagged.some((l) => l.startsWith('NO [NOUPDATE "S6"]'))).toBe(true);
    expect(await status(a, 'CANCELUPDATE "S6"')).toBe("NO");
    await Promise.all([a.close(), b.close()]);
  });

  test("a text key is judged on the new message's stored text; two contexts update in one report", async () => {
    const { a, b } = await twoSessions(2);
    expect(await ok(a, "UID SEARCH RETURN (UPDATE) SUBJECT invoice", "S7")).toEqual([
      'ESEARCH (TAG "S7") UID',
    ]);
    expect(await ok(a, "UID SEARCH RETURN (UPDATE) NOT SUBJECT invoice", "S8")).toEqual([
      'ESEARCH (TAG "S8") UID ALL 1:2',
    ]);
    expect((await b.append("INBOX", "Subject: Your Invoice 42\r\n\r\nx\r\n")).status).toBe("OK");
    expect((await b.append("INBOX", "Subject: lunch\r\n\r\nx\r\n")).status).toBe("OK");
    expect(esearch(await ok(a, "NOOP"))).toEqual([
      'ESEARCH (TAG "S7") UID ADDTO (0 3)',
      'ESEARCH (TAG "S8") UID ADDTO (0 4)',
    ]);
    await Promise.all([a.close(), b.close()]);
  });

  test("with NOTIFY the update comes unasked, after the FETCH of the flag change", async () => {
    const { a, b } = await twoSessions(2);
    await ok(a, "NOTIFY SET (selected (MessageNew MessageExpunge FlagChange))");
    await ok(a, "UID SEARCH RETURN (UPDATE) FLAGGED", "S9");
    await ok(b, "UID STORE 2 +FLAGS (\\Flagged)");
    expect(await a.readResponseLine()).toBe("* 2 FETCH (UID 2 FLAGS (\\Flagged))");
    expect(await a.readResponseLine()).toBe('* ESEARCH (TAG "S9") UID ADDTO (0 2)');
    await Promise.all([a.close(), b.close()]);
  });
});

/** A small deterministic generator (mulberry32), so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let t = seed;
  return () => {
    t = (t + 0x6d2b79f5) | 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/** The UIDs of a sequence-set written in order ("3,1:2" is 3, 1, 2). */
function expand(set: string): number[] {
  return set.split(",").flatMap((part) => {
    const [from, to] = part.split(":").map(Number);
    if (to === undefined) return [from!];
    const out: number[] = [];
    for (let u = Math.min(from!, to); u <= Math.max(from!, to); u++) out.push(u);
    return out;
  });
}

/** Applies one ESEARCH update to a context's result list, as RFC 5267 §4.3.3-4.3.4 say a client does. */
function applyUpdate(list: number[], line: string): void {
  const m = /^ESEARCH \(TAG "[^"]+"\) UID (ADDTO|REMOVEFROM) \((.*)\)$/.exec(line);
  if (!m) throw new Error(`not an update: ${line}`);
  const items = m[2]!.split(" ");
  for (let i = 0; i < items.length; i += 2) {
    const position = Number(items[i]);
    const uids = expand(items[i + 1]!);
    if (m[1] === "ADDTO" && position === 0) {
      list.push(...uids);
      list.sort((x, y) => x - y);
    } else if (m[1] === "ADDTO") list.splice(position - 1, 0, ...uids);
    else if (position === 0) for (const u of uids) list.splice(list.indexOf(u), 1);
    else {
      // The messages named are the ones at that position.
      expect(list.slice(position - 1, position - 1 + uids.length)).toEqual(uids);
      list.splice(position - 1, uids.length);
    }
  }
}

describe("contexts under random changes from another session", () => {
  test.each([1, 2, 3, 4])(
    "seed %d: the SEARCH and SORT results kept from updates equal a fresh search",
    async (seed) => {
      const { a, b } = await twoSessions(6);
      await ok(b, "UID STORE 2,5 +FLAGS.SILENT (\\Seen)");
      await ok(a, "NOOP");
      const next = random(seed);
      const allOf = (lines: string[]) => {
        const m = / ALL (\S+)$/.exec(lines.find((l) => l.startsWith("ESEARCH")) ?? "");
        return m ? expand(m[1]!) : [];
      };
      const kept = allOf(await ok(a, "UID SEARCH RETURN (UPDATE) OR FLAGGED SUBJECT x", "K1"));
      const sorted = allOf(await ok(a, "UID SORT RETURN (UPDATE) (SUBJECT) UTF-8 UNSEEN", "K2"));
      for (let step = 0; step < 25; step++) {
        const uids = allOf(await ok(b, "UID SEARCH RETURN (ALL) ALL"));
        const pick = () => uids[Math.floor(next() * uids.length)];
        const r = next();
        if (r < 0.25 && uids.length > 0)
          await ok(b, `UID STORE ${pick()} ${next() < 0.5 ? "+" : "-"}FLAGS (\\Flagged)`);
        else if (r < 0.45 && uids.length > 0)
          await ok(b, `UID STORE ${pick()} ${next() < 0.5 ? "+" : "-"}FLAGS (\\Seen)`);
        else if (r < 0.85) {
          // Subjects that sort before, between and after the first ones (m1..m6).
          const subject = ["x ray", "m0", "zed", "Re: x", "alpha", "m35"][Math.floor(next() * 6)];
          expect((await b.append("INBOX", `Subject: ${subject}\r\n\r\nx\r\n`)).status).toBe("OK");
        } else if (uids.length > 1) {
          const victim = pick();
          await ok(b, `UID STORE ${victim} +FLAGS.SILENT (\\Deleted)`);
          await ok(b, `UID EXPUNGE ${victim}`);
        }
        for (const line of esearch(await ok(a, "NOOP")))
          applyUpdate(line.includes('"K1"') ? kept : sorted, line);
        expect(kept).toEqual(allOf(await ok(a, "UID SEARCH RETURN (ALL) OR FLAGGED SUBJECT x")));
        const fresh = (await ok(a, "UID SORT (SUBJECT) UTF-8 UNSEEN"))[0]!.split(" ").slice(1).map(Number);
        expect(sorted).toEqual(fresh);
      }
      await Promise.all([a.close(), b.close()]);
    },
  );
});

describe("SORT RETURN (UPDATE) (RFC 5267 §4.3, CONTEXT=SORT)", () => {
  test("ADDTO and REMOVEFROM carry the positions in sort order", async () => {
    // Subjects m1, m2, m3: a new "m15" sorts between m1 and m2.
    const { a, b } = await twoSessions(3);
    expect(await ok(a, "UID SORT RETURN (UPDATE) (SUBJECT) UTF-8 ALL", "T1")).toEqual([
      'ESEARCH (TAG "T1") UID ALL 1:3',
    ]);
    expect((await b.append("INBOX", "Subject: m15\r\n\r\nx\r\n")).status).toBe("OK");
    const added = await ok(a, "NOOP");
    expect(esearch(added)).toEqual(['ESEARCH (TAG "T1") UID ADDTO (2 4)']);
    expect(added.indexOf('ESEARCH (TAG "T1") UID ADDTO (2 4)')).toBeGreaterThan(added.indexOf("4 EXISTS"));
    // m3 (position 4 now) goes: REMOVEFROM at its position, before its EXPUNGE.
    await ok(b, "UID STORE 3 +FLAGS.SILENT (\\Deleted)");
    await ok(a, "NOOP");
    await ok(b, "UID EXPUNGE 3");
    expect(await ok(a, "NOOP")).toEqual(['ESEARCH (TAG "T1") UID REMOVEFROM (4 3)', "3 EXPUNGE"]);
    expect(await ok(a, "UID SORT (SUBJECT) UTF-8 ALL")).toEqual(["SORT 1 4 2"]);
    await Promise.all([a.close(), b.close()]);
  });

  test("REVERSE order, several changes at once, by message number", async () => {
    const { a, b } = await twoSessions(3);
    expect(await ok(a, "SORT RETURN (UPDATE) (REVERSE SUBJECT) UTF-8 UNFLAGGED", "T2")).toEqual([
      'ESEARCH (TAG "T2") ALL 3,2,1',
    ]);
    await ok(b, "UID STORE 1,3 +FLAGS (\\Flagged)");
    expect(esearch(await ok(a, "NOOP"))).toEqual(['ESEARCH (TAG "T2") REMOVEFROM (3 1 1 3)']);
    await ok(b, "UID STORE 1,3 -FLAGS (\\Flagged)");
    expect(esearch(await ok(a, "NOOP"))).toEqual(['ESEARCH (TAG "T2") ADDTO (1 3 3 1)']);
    await Promise.all([a.close(), b.close()]);
  });
});

describe("CANCELUPDATE (RFC 5267 §4.3.5) and the life of a context", () => {
  test("CANCELUPDATE ends the updates of the tags it names", async () => {
    const { a, b } = await twoSessions(2);
    await ok(a, "UID SEARCH RETURN (UPDATE) FLAGGED", "C1");
    await ok(a, "UID SEARCH RETURN (UPDATE) SEEN", "C2");
    await ok(a, 'CANCELUPDATE "C1"');
    await ok(b, "UID STORE 1 +FLAGS (\\Flagged \\Seen)");
    expect(esearch(await ok(a, "NOOP"))).toEqual(['ESEARCH (TAG "C2") UID ADDTO (0 1)']);
    // Cancelled: unknown now; and the tag may start a new context.
    expect(await status(a, 'CANCELUPDATE "C1"')).toBe("NO");
    await ok(a, "UID SEARCH RETURN (UPDATE) ALL", "C1");
    await ok(a, 'CANCELUPDATE "C1" "C2"');
    await ok(b, "UID STORE 2 +FLAGS (\\Flagged \\Seen)");
    expect(esearch(await ok(a, "NOOP"))).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  test.each([
    ["CANCELUPDATE", "BAD"],
    ["CANCELUPDATE C9", "BAD"],
    ["CANCELUPDATE {2}\r\nC9", "BAD"],
    ['CANCELUPDATE "C9"', "NO"],
    ['CANCELUPDATE "C9" ', "BAD"],
  ])("%j is %s", async (command, expected) => {
    const { a, b } = await twoSessions(1);
    expect(await status(a, command)).toBe(expected);
    await Promise.all([a.close(), b.close()]);
  });

  test("UPDATE with a tag that correlates a live context is BAD (§4.3)", async () => {
    const { a, b } = await twoSessions(1);
    await ok(a, "SEARCH RETURN (UPDATE) ALL", "R1");
    expect(await status(a, "UID SORT RETURN (UPDATE) (DATE) UTF-8 ALL", "R1")).toBe("BAD");
    // Without UPDATE the tag is just a tag.
    expect(await status(a, "SEARCH RETURN (COUNT) ALL", "R1")).toBe("OK");
    await Promise.all([a.close(), b.close()]);
  });

  test.each(["UNSELECT", "CLOSE", "SELECT INBOX", "EXAMINE INBOX"])("contexts end with %s", async (leave) => {
    const { a, b } = await twoSessions(2);
    await ok(a, "UID SEARCH RETURN (UPDATE) FLAGGED", "L1");
    await ok(a, leave);
    if (!leave.includes("INBOX")) await ok(a, "SELECT INBOX");
    await ok(b, "UID STORE 1 +FLAGS (\\Flagged)");
    expect(esearch(await ok(a, "NOOP"))).toEqual([]);
    expect(await status(a, 'CANCELUPDATE "L1"')).toBe("NO");
    await Promise.all([a.close(), b.close()]);
  });

  test("past the limit of live contexts: NO [NOUPDATE], the answer still comes, and CANCELUPDATE frees one", async () => {
    const { a, b } = await twoSessions(1);
    for (let i = 1; i <= 8; i++)
      expect(await ok(a, "UID SEARCH RETURN (UPDATE) ALL", `N${i}`)).toHaveLength(1);
    const over = await ok(a, "UID SEARCH RETURN (UPDATE COUNT) ALL", "N9");
    expect(over[0]).toStartWith('NO [NOUPDATE "N9"]');
    expect(over).toContain('ESEARCH (TAG "N9") UID COUNT 1');
    await ok(a, 'CANCELUPDATE "N1"');
    expect(await ok(a, "UID SEARCH RETURN (UPDATE) ALL", "N10")).toEqual(['ESEARCH (TAG "N10") UID ALL 1']);
    await Promise.all([a.close(), b.close()]);
  });
});

describe("PARTIAL (RFC 5267 §4.4, ranges of RFC 9394 §3.1)", () => {
  test("a window of the SEARCH result, from the start or from the end, NIL past it", async () => {
    const { a, b } = await twoSessions(6);
    expect(await ok(a, "UID SEARCH RETURN (PARTIAL 2:3) ALL", "P1")).toEqual([
      'ESEARCH (TAG "P1") UID PARTIAL (2:3 2:3)',
    ]);
    expect(await ok(a, "UID SEARCH RETURN (PARTIAL -1:-2 COUNT) ALL", "P2")).toEqual([
      'ESEARCH (TAG "P2") UID COUNT 6 PARTIAL (-1:-2 5:6)',
    ]);
    expect(await ok(a, "SEARCH RETURN (PARTIAL 5:1) NOT 3", "P3")).toEqual([
      'ESEARCH (TAG "P3") PARTIAL (5:1 1:2,4:6)',
    ]);
    expect(await ok(a, "SEARCH RETURN (PARTIAL 5:10) ALL", "P4")).toEqual([
      'ESEARCH (TAG "P4") PARTIAL (5:10 5:6)',
    ]);
    expect(await ok(a, "SEARCH RETURN (PARTIAL 7:9) ALL", "P5")).toEqual([
      'ESEARCH (TAG "P5") PARTIAL (7:9 NIL)',
    ]);
    expect(await ok(a, "SEARCH RETURN (PARTIAL -7:-9) ALL", "P6")).toEqual([
      'ESEARCH (TAG "P6") PARTIAL (-7:-9 NIL)',
    ]);
    await Promise.all([a.close(), b.close()]);
  });

  test("a window of the SORT result is counted and listed in sort order", async () => {
    const { a, b } = await twoSessions(4);
    expect(await ok(a, "UID SORT RETURN (PARTIAL 1:2) (REVERSE SUBJECT) UTF-8 ALL", "P7")).toEqual([
      'ESEARCH (TAG "P7") UID PARTIAL (1:2 4,3)',
    ]);
    expect(await ok(a, "SORT RETURN (PARTIAL -1:-3 MIN) (REVERSE SUBJECT) UTF-8 ALL", "P8")).toEqual([
      'ESEARCH (TAG "P8") MIN 4 PARTIAL (-1:-3 3,2,1)',
    ]);
    await Promise.all([a.close(), b.close()]);
  });

  test.each([
    "SEARCH RETURN (PARTIAL 1:5 ALL) ALL",
    "SEARCH RETURN (PARTIAL 1:5 PARTIAL 6:9) ALL",
    "SEARCH RETURN (ALL ALL) ALL",
    "SEARCH RETURN (UPDATE UPDATE) ALL",
    "SEARCH RETURN (PARTIAL) ALL",
    "SEARCH RETURN (PARTIAL 0:5) ALL",
    "SEARCH RETURN (PARTIAL 1:*) ALL",
    "SEARCH RETURN (PARTIAL -1:5) ALL",
    "SEARCH RETURN (PARTIAL 5) ALL",
    'SEARCH RETURN (PARTIAL "1:5") ALL',
    "SEARCH RETURN (PARTIAL 1:4294967296) ALL",
    "SORT RETURN (PARTIAL 1:2 ALL) (DATE) UTF-8 ALL",
    "SORT RETURN (UPDATE UPDATE) (DATE) UTF-8 ALL",
  ])("%s is BAD", async (command) => {
    const { a, b } = await twoSessions(1);
    expect(await status(a, command)).toBe("BAD");
    await Promise.all([a.close(), b.close()]);
  });
});

describe("a stock client", () => {
  test("Python imaplib reads the ESEARCH updates another session causes", async () => {
    const address = await freshAccount(server, { messages: 2, recentTaken: true });
    const script = `
import imaplib, sys
a = imaplib.IMAP4("127.0.0.1", ${port})
a.login(${JSON.stringify(address)}, "secret")
a.select("INBOX")
typ, data = a._simple_command("UID", "SEARCH", "RETURN", "(UPDATE)", "FLAGGED")
assert typ == "OK", (typ, data)
b = imaplib.IMAP4("127.0.0.1", ${port})
b.login(${JSON.stringify(address)}, "secret")
b.select("INBOX")
b.uid("STORE", "2", "+FLAGS", "(\\\\Flagged)")
b.append("INBOX", "(\\\\Flagged)", None, b"Subject: py\\r\\n\\r\\nx\\r\\n")
a.noop()
for line in a.untagged_responses.get("ESEARCH", []):
    print(line.decode())
a.logout(); b.logout()
`;
    const r = await run("python3", ["-c", script]);
    expect({ code: r.code, err: r.stderr }).toEqual({ code: 0, err: "" });
    // imaplib's tags are its own ("ABCD2"): the correlator is the tag of its UID SEARCH.
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\(TAG "[A-Z]+\d+"\) UID$/);
    expect(lines[1]).toBe(`${lines[0]} ADDTO (0 2:3)`);
  });
});
