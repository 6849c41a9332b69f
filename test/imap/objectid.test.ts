/**
 * OBJECTID (RFC 8474) over real sockets: MAILBOXID in CREATE's OK, SELECT/EXAMINE, STATUS and LIST
 * RETURN (STATUS), kept by RENAME and new after DELETE + CREATE; EMAILID and THREADID in FETCH,
 * EMAILID kept by COPY and MOVE, THREADID shared by a reply and its parent; SEARCH EMAILID and
 * THREADID; malformed ids are BAD.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
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

async function ok(client: ImapClient, command: string): Promise<{ untagged: string[]; text: string }> {
  const r = await client.command(command);
  expect({ command, status: r.status, text: r.text }).toEqual({ command, status: "OK", text: r.text });
  return r;
}

const idIn = (line: string, name: string) => new RegExp(`${name} \\(([A-Za-z0-9_-]+)\\)`).exec(line)?.[1];

async function append(client: ImapClient, mailbox: string, header: string): Promise<void> {
  const raw = `${header.replace(/\n/g, "\r\n")}\r\n\r\nbody\r\n`;
  await ok(client, `APPEND ${mailbox} {${raw.length}+}\r\n${raw}`);
}

describe("MAILBOXID (RFC 8474 §4)", () => {
  test("CREATE, SELECT, EXAMINE, STATUS and LIST-STATUS agree; RENAME keeps it; DELETE + CREATE changes it", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    expect((await ok(client, "CAPABILITY")).untagged[0]).toContain(" OBJECTID");
    const created = idIn((await ok(client, "CREATE Projects")).text, "MAILBOXID")!;
    expect(created).toMatch(/^F\d+$/);
    const selectId = (await ok(client, "SELECT Projects")).untagged
      .map((l) => idIn(l, "MAILBOXID"))
      .find(Boolean);
    expect(selectId).toBe(created);
    const examineId = (await ok(client, "EXAMINE Projects")).untagged
      .map((l) => idIn(l, "MAILBOXID"))
      .find(Boolean);
    expect(examineId).toBe(created);
    expect((await ok(client, "STATUS Projects (MAILBOXID MESSAGES)")).untagged).toEqual([
      `STATUS Projects (MAILBOXID (${created}) MESSAGES 0)`,
    ]);
    await ok(client, "UNSELECT");
    await ok(client, "RENAME Projects Work");
    expect((await ok(client, 'LIST "" Work RETURN (STATUS (MAILBOXID))')).untagged[1]).toBe(
      `STATUS Work (MAILBOXID (${created}))`,
    );
    await ok(client, "DELETE Work");
    const again = idIn((await ok(client, "CREATE Work")).text, "MAILBOXID")!;
    expect(again).not.toBe(created);
    const inbox = idIn((await ok(client, "STATUS INBOX (MAILBOXID)")).untagged[0]!, "MAILBOXID");
    expect(inbox).not.toBe(again);
    await client.close();
  });
});

describe("EMAILID and THREADID (RFC 8474 §5)", () => {
  test("FETCH EMAILID is kept by COPY and MOVE; a new APPEND of the same bytes gets its own", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    await append(client, "INBOX", "Message-ID: <one@x>\nSubject: one");
    await ok(client, "SELECT INBOX");
    const [line] = (await ok(client, "FETCH 1 (EMAILID THREADID)")).untagged;
    expect(line).toMatch(/^1 FETCH \(EMAILID \(M\d+\) THREADID \(T\d+\)\)$/);
    const emailId = idIn(line!, "EMAILID")!;
    await ok(client, "COPY 1 Archive");
    await ok(client, "MOVE 1 Trash");
    for (const box of ["Archive", "Trash"]) {
      await ok(client, `EXAMINE ${box}`);
      expect(idIn((await ok(client, "FETCH 1 (EMAILID)")).untagged[0]!, "EMAILID")).toBe(emailId);
    }
    await append(client, "Archive", "Message-ID: <two@x>\nSubject: two");
    await ok(client, "EXAMINE Archive");
    const ids = (await ok(client, "UID FETCH 1:* (EMAILID)")).untagged.map((l) => idIn(l, "EMAILID"));
    expect(new Set(ids).size).toBe(2);
    await client.close();
  });

  test("a reply shares its parent's THREADID; an unrelated message does not", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    await append(client, "INBOX", "Message-ID: <p@x>\nSubject: plan");
    await append(client, "INBOX", "Message-ID: <r@x>\nIn-Reply-To: <p@x>\nSubject: Re: plan");
    await append(client, "INBOX", "Message-ID: <s@x>\nReferences: <p@x> <r@x>\nSubject: Re: plan");
    await append(client, "INBOX", "Message-ID: <u@x>\nSubject: plan");
    await ok(client, "SELECT INBOX");
    const threads = (await ok(client, "FETCH 1:4 (THREADID)")).untagged.map((l) => idIn(l, "THREADID"));
    expect(threads[1]).toBe(threads[0]);
    expect(threads[2]).toBe(threads[0]);
    expect(threads[3]).not.toBe(threads[0]);
    expect((await ok(client, `SEARCH THREADID ${threads[0]}`)).untagged).toEqual(["SEARCH 1 2 3"]);
    const emailId = idIn((await ok(client, "FETCH 4 (EMAILID)")).untagged[0]!, "EMAILID");
    expect((await ok(client, `UID SEARCH EMAILID ${emailId}`)).untagged).toEqual(["SEARCH 4"]);
    // Well-formed but none of ours: nothing matches.
    expect((await ok(client, "SEARCH EMAILID T1")).untagged).toEqual(["SEARCH"]);
    expect((await ok(client, "SEARCH THREADID nosuch")).untagged).toEqual(["SEARCH"]);
    await client.close();
  });

  test("a reply that arrives before its parent keeps a THREADID of its own; THREAD REFERENCES still links them", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    await append(client, "INBOX", "Message-ID: <late-r@x>\nIn-Reply-To: <late-p@x>\nSubject: Re: late");
    await append(client, "INBOX", "Message-ID: <late-p@x>\nSubject: late");
    // A second reply names both: it joins the thread of the first message it finds.
    await append(
      client,
      "INBOX",
      "Message-ID: <late-s@x>\nReferences: <late-p@x> <late-r@x>\nSubject: Re: late",
    );
    await ok(client, "SELECT INBOX");
    const threads = (await ok(client, "FETCH 1:3 (THREADID)")).untagged.map((l) => idIn(l, "THREADID"));
    expect(threads[1]).not.toBe(threads[0]);
    expect([threads[0], threads[1]]).toContain(threads[2]);
    expect((await ok(client, "UID THREAD REFERENCES UTF-8 ALL")).untagged).toEqual(["THREAD (2 1 3)"]);
    await client.close();
  });

  test.each([
    ['SEARCH EMAILID "bad id"'],
    ["SEARCH THREADID"],
    ['SEARCH EMAILID "a/b"'],
    ["FETCH 1 (EMAILID[])"],
  ])("%s is BAD", async (line) => {
    const client = await ImapClient.login(port, await freshAccount(server, { messages: 1 }));
    await ok(client, "SELECT INBOX");
    expect((await client.command(line)).status).toBe("BAD");
    await client.close();
  });
});
