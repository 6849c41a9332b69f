/**
 * MESSAGELIMIT and SAVELIMIT (RFC 9738) over real sockets, with a limit of 3: FETCH, STORE, SEARCH,
 * MOVE and UID EXPUNGE over more messages work on the highest UIDs from the highest down and answer
 * OK [MESSAGELIMIT 3 lowest-uid] (or an untagged NO when their OK carries another code); COPY and
 * APPEND beyond it are refused whole; EXPUNGE is never limited; UIDAFTER/UIDBEFORE page a search.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  // Below RFC 9738's recommended 1000 (config refuses it), so that a small mailbox reaches it.
  server = await startTestServer({ imapMessageLimit: 3, imapMessageLimitScope: "all" });
  port = server.ports.imap!;
});

afterAll(async () => {
  await server.close();
});

async function selected(messages: number, options: { deleted?: number[] } = {}) {
  const address = await freshAccount(server, { messages, ...options });
  const client = await ImapClient.login(port, address);
  await client.command("SELECT INBOX");
  return { client, address };
}

describe("MESSAGELIMIT", () => {
  test("MESSAGELIMIT=3 is advertised after login", async () => {
    const { client } = await selected(0);
    expect((await client.command("CAPABILITY")).untagged[0]).toContain(" MESSAGELIMIT=3");
    await client.close();
  });

  test("FETCH over 5 messages answers the 3 highest, highest first, with OK [MESSAGELIMIT 3 3]", async () => {
    const { client } = await selected(5);
    const r = await client.command("FETCH 1:* (UID)");
    expect(r.untagged).toEqual(["5 FETCH (UID 5)", "4 FETCH (UID 4)", "3 FETCH (UID 3)"]);
    expect(r.text).toBe("[MESSAGELIMIT 3 3] FETCH completed");
    // The client goes on below UID 3.
    const rest = await client.command("UID FETCH 1:2 (FLAGS)");
    expect(rest.text).toBe("UID FETCH completed");
    expect(rest.untagged).toHaveLength(2);
    await client.close();
  });

  test("FETCH within the limit is answered whole, in order, without the code", async () => {
    const { client } = await selected(3);
    const r = await client.command("FETCH 1:3 (UID)");
    expect(r.untagged).toEqual(["1 FETCH (UID 1)", "2 FETCH (UID 2)", "3 FETCH (UID 3)"]);
    expect(r.text).toBe("FETCH completed");
    await client.close();
  });

  test("UID STORE changes only the 3 highest; with UNCHANGEDSINCE's MODIFIED the limit goes in an untagged NO", async () => {
    const { client } = await selected(4);
    const r = await client.command("UID STORE 1:4 +FLAGS (\\Flagged)");
    expect(r.text).toBe("[MESSAGELIMIT 3 2] STORE completed".replace("STORE", "UID STORE"));
    expect(r.untagged.map((l) => l.split(" ")[0])).toEqual(["4", "3", "2"]);
    expect((await client.command("FETCH 1 (FLAGS)")).untagged).toEqual(["1 FETCH (FLAGS (\\Recent))"]);
    await client.command("ENABLE CONDSTORE");
    const conditional = await client.command("UID STORE 1:4 (UNCHANGEDSINCE 1) +FLAGS (\\Seen)");
    expect(conditional.text).toStartWith("[MODIFIED ");
    expect(conditional.untagged).toContain(
      "NO [MESSAGELIMIT 3 2] Only the messages with the highest UIDs were processed",
    );
    await client.close();
  });

  test("SEARCH looks at the 3 highest candidates only; UIDBEFORE pages down to the rest", async () => {
    const { client } = await selected(5);
    const r = await client.command("UID SEARCH ALL");
    expect(r.untagged).toEqual(["SEARCH 5 4 3"]);
    expect(r.text).toBe("[MESSAGELIMIT 3 3] UID SEARCH completed");
    const next = await client.command("UID SEARCH UIDBEFORE 3");
    expect(next.untagged).toEqual(["SEARCH 1 2"]);
    expect(next.text).toBe("UID SEARCH completed");
    expect((await client.command("UID SEARCH UIDAFTER 3")).untagged).toEqual(["SEARCH 4 5"]);
    // A top-level set narrows what is counted: 2 candidates, no limit.
    expect((await client.command("SEARCH 1:2 ALL")).text).toBe("SEARCH completed");
    expect((await client.command("SEARCH RETURN (ALL COUNT) ALL", "E1")).untagged).toEqual([
      'ESEARCH (TAG "E1") COUNT 3 ALL 3:5',
    ]);
    await client.close();
  });

  test("a SEARCH cut at the limit keeps no context: RETURN (UPDATE) answers with NO [NOUPDATE] (RFC 5267 §4.3.1)", async () => {
    const { client } = await selected(5);
    const cut = await client.command("UID SEARCH RETURN (UPDATE COUNT) ALL", "U1");
    expect(cut.untagged).toEqual([
      expect.stringMatching(/^NO \[NOUPDATE "U1"\] /),
      'ESEARCH (TAG "U1") UID COUNT 3',
    ]);
    expect(cut.text).toBe("[MESSAGELIMIT 3 3] UID SEARCH completed");
    expect((await client.command('CANCELUPDATE "U1"')).status).toBe("NO");
    // Within the limit the context is kept.
    expect((await client.command("UID SEARCH RETURN (UPDATE) UIDAFTER 3", "U2")).untagged).toEqual([
      'ESEARCH (TAG "U2") UID ALL 4:5',
    ]);
    expect((await client.command('CANCELUPDATE "U2"')).status).toBe("OK");
    await client.close();
  });

  test("MOVE moves the 3 highest and reports it; COPY of 4 copies nothing", async () => {
    const { client, address } = await selected(4);
    const copy = await client.command("COPY 1:4 Archive");
    expect(copy.status).toBe("NO");
    expect(copy.text).toStartWith("[MESSAGELIMIT 3]");
    expect(await mailboxContents(server, address, "Archive")).toEqual([]);
    const move = await client.command("UID MOVE 1:4 Archive");
    expect(move.text).toBe("[MESSAGELIMIT 3 2] UID MOVE completed");
    expect((await mailboxContents(server, address)).map((m) => m.uid)).toEqual([1]);
    await client.close();
  });

  test("UID EXPUNGE counts the \\Deleted messages of its set; EXPUNGE is never limited", async () => {
    const { client, address } = await selected(6, { deleted: [1, 2, 3, 4, 5] });
    const r = await client.command("UID EXPUNGE 1:6");
    expect(r.text).toBe("[MESSAGELIMIT 3 3] UID EXPUNGE completed");
    expect((await mailboxContents(server, address)).map((m) => m.uid)).toEqual([1, 2, 6]);
    expect((await client.command("EXPUNGE")).text).toBe("EXPUNGE completed");
    expect((await mailboxContents(server, address)).map((m) => m.uid)).toEqual([6]);
    await client.close();
  });

  test("a MULTIAPPEND of 4 messages is NO [MESSAGELIMIT 3] and appends nothing", async () => {
    const { client, address } = await selected(0);
    const m = "Subject: m\r\n\r\nx\r\n";
    const lit = ` {${m.length}+}\r\n${m}`;
    const r = await client.command(Buffer.from(`APPEND INBOX${lit}${lit}${lit}${lit}`));
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[MESSAGELIMIT 3]");
    expect(await mailboxContents(server, address)).toEqual([]);
    await client.close();
  });

  test.each(["UID SEARCH UIDAFTER", "UID SEARCH UIDBEFORE 0", "UID SEARCH UIDAFTER x"])(
    "%s is BAD",
    async (line) => {
      const { client } = await selected(1);
      expect((await client.command(line)).status).toBe("BAD");
      await client.close();
    },
  );
});

describe("SAVELIMIT", () => {
  test("SAVELIMIT=3 limits COPY and APPEND only; FETCH of more is answered whole", async () => {
    const save = await startTestServer({ imapMessageLimit: 3, imapMessageLimitScope: "save" });
    try {
      const address = await freshAccount(save, { messages: 4 });
      const client = await ImapClient.login(save.ports.imap!, address);
      const caps = (await client.command("CAPABILITY")).untagged[0]!;
      expect(caps).toContain(" SAVELIMIT=3");
      expect(caps).not.toContain("MESSAGELIMIT");
      await client.command("SELECT INBOX");
      const fetched = await client.command("FETCH 1:* (UID)");
      expect(fetched.untagged).toHaveLength(4);
      expect(fetched.text).toBe("FETCH completed");
      expect((await client.command("COPY 1:4 Archive")).text).toStartWith("[MESSAGELIMIT 3]");
      await client.close();
    } finally {
      await save.close();
    }
  });
});
