/**
 * UNAUTHENTICATE (RFC 8437) over real sockets: back to the not-authenticated state from either
 * authenticated state, with ENABLEd extensions and the selected mailbox gone, TLS kept; the
 * operator's switch (§8) takes it away.
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

describe("UNAUTHENTICATE", () => {
  test("UNAUTHENTICATE is advertised after login, not before", async () => {
    const { client, greeting } = await ImapClient.connect(port);
    expect(greeting).not.toContain("UNAUTHENTICATE");
    const r = await client.command(`LOGIN "${await freshAccount(server)}" "secret"`);
    expect(r.text).toContain(" UNAUTHENTICATE");
    await client.close();
  });

  test("UNAUTHENTICATE from the selected state leaves the mailbox unexpunged and allows a new login", async () => {
    const first = await freshAccount(server, { messages: 2, deleted: [1] });
    const second = await freshAccount(server, { messages: 1 });
    const client = await ImapClient.login(port, first);
    expect((await client.command("ENABLE CONDSTORE")).untagged).toEqual(["ENABLED CONDSTORE"]);
    await client.command("SELECT INBOX");
    const r = await client.command("UNAUTHENTICATE");
    expect(r).toEqual({ status: "OK", text: "UNAUTHENTICATE completed", untagged: [] });
    // Not authenticated again: commands of the other states are refused for their state.
    expect((await client.command("FETCH 1 FLAGS")).text).toContain(
      "not allowed in the not-authenticated state",
    );
    expect((await client.command('LIST "" *')).text).toContain("not allowed");
    // Nothing was expunged (RFC 8437 §3: "no expunge event").
    const check = await ImapClient.login(port, first);
    expect((await check.command("STATUS INBOX (MESSAGES)")).untagged).toEqual(["STATUS INBOX (MESSAGES 2)"]);
    await check.close();
    // Pipelined with the next login, which sees the other account; CONDSTORE is off again (§4.1).
    expect((await client.command(`LOGIN "${second}" "secret"`)).status).toBe("OK");
    const selected = await client.command("SELECT INBOX");
    expect(selected.untagged).toContain("1 EXISTS");
    expect((await client.command("FETCH 1 FLAGS")).untagged).toEqual(["1 FETCH (FLAGS ())"]);
    await client.close();
  });

  test("UNAUTHENTICATE forgets ENABLE IMAP4rev2", async () => {
    const address = await freshAccount(server, { messages: 1 });
    const client = await ImapClient.login(port, address);
    await client.command("ENABLE IMAP4rev2");
    await client.command("UNAUTHENTICATE");
    await client.command(`LOGIN "${address}" "secret"`);
    await client.command("SELECT INBOX");
    expect((await client.command("SEARCH ALL")).untagged).toEqual(["SEARCH 1"]);
    await client.close();
  });

  test("UNAUTHENTICATE with an argument is BAD and the session stays logged in", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    expect((await client.command("UNAUTHENTICATE now")).status).toBe("BAD");
    expect((await client.command('LIST "" INBOX')).status).toBe("OK");
    await client.close();
  });
});

describe("UNAUTHENTICATE turned off (MAILROOM_IMAP_UNAUTHENTICATE=false)", () => {
  test("it is not advertised and is BAD", async () => {
    const off = await startTestServer({ imapUnauthenticate: false });
    try {
      const address = await freshAccount(off);
      const { client } = await ImapClient.connect(off.ports.imap!);
      const login = await client.command(`LOGIN "${address}" "secret"`);
      expect(login.text).not.toContain("UNAUTHENTICATE");
      expect((await client.command("UNAUTHENTICATE")).status).toBe("BAD");
      expect((await client.command("NOOP")).status).toBe("OK");
      await client.close();
    } finally {
      await off.close();
    }
  });
});
