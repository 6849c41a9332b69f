/**
 * THREAD=REFERENCES and THREAD=ORDEREDSUBJECT (RFC 5256 §3-4) over real sockets, from the keys
 * stored at delivery: replies link through References / In-Reply-To, a missing parent becomes a
 * dummy (shown by its children only), roots sharing a base subject are grouped, siblings are sorted
 * by sent date; search keys narrow the messages; bad arguments are BAD.
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

async function mailbox(headers: string[], address?: string): Promise<ImapClient> {
  const client = await ImapClient.login(port, address ?? (await freshAccount(server)));
  for (const [i, header] of headers.entries()) {
    const raw = `${header.replace(/\n/g, "\r\n")}\r\n\r\nbody ${i + 1}\r\n`;
    expect((await client.command(`APPEND INBOX {${raw.length}+}\r\n${raw}`)).status).toBe("OK");
  }
  expect((await client.command("SELECT INBOX")).status).toBe("OK");
  return client;
}

async function ok(client: ImapClient, command: string): Promise<string[]> {
  const r = await client.command(command);
  expect({ command, status: r.status }).toEqual({ command, status: "OK" });
  return r.untagged;
}

const day = (d: number) =>
  `Date: ${d < 7 ? ["Wed", "Thu", "Fri", "Sat", "Sun", "Mon"][d - 1] : "Tue"}, 0${d} Jan 2020 10:00:00 +0000`;

/** Eight messages: a topic with replies (dated out of arrival order), a lost parent, a subject-only reply. */
const CONVERSATION = [
  `Message-ID: <1@x>\nSubject: Topic\n${day(1)}`,
  `Message-ID: <2@x>\nIn-Reply-To: <1@x>\nSubject: Re: Topic\n${day(3)}`,
  `Message-ID: <3@x>\nReferences: <1@x> <2@x>\nSubject: Re: Topic\n${day(4)}`,
  `Message-ID: <4@x>\nReferences: <1@x>\nSubject: Re: Topic\n${day(2)}`,
  `Message-ID: <5@x>\nSubject: Other\n${day(5)}`,
  `Message-ID: <6@x>\nReferences: <missing@x>\nSubject: Re: Lost\n${day(6)}`,
  `Message-ID: <7@x>\nReferences: <missing@x>\nSubject: Re: Lost\n${day(7)}`,
  `Subject: Re: Other\n${day(8)}`,
];

describe("THREAD=REFERENCES (RFC 5256 §3)", () => {
  test("replies nest under their parent, siblings by date; a dummy shows as its children; subjects group", async () => {
    const c = await mailbox(CONVERSATION);
    expect(await ok(c, "THREAD REFERENCES UTF-8 ALL")).toEqual(["THREAD (1 (4)(2 3))(5 8)((6)(7))"]);
    await c.close();
  });

  test("UID THREAD answers UIDs; search keys narrow the messages threaded", async () => {
    const address = await freshAccount(server, { messages: 2 });
    const c = await mailbox(CONVERSATION, address);
    // UIDs are 2 above the sequence numbers.
    expect(await ok(c, "UID THREAD REFERENCES UTF-8 HEADER Message-ID x")).toEqual([
      "THREAD (3 (6)(4 5))(7)((8)(9))",
    ]);
    expect(await ok(c, "THREAD REFERENCES UTF-8 SUBJECT topic")).toEqual(["THREAD (3 (6)(4 5))"]);
    expect(await ok(c, "THREAD REFERENCES UTF-8 KEYWORD none")).toEqual(["THREAD"]);
    await c.close();
  });

  test("references that loop do not hang and lose no message", async () => {
    const c = await mailbox([
      `Message-ID: <a@x>\nReferences: <b@x>\nSubject: loop\n${day(1)}`,
      `Message-ID: <b@x>\nReferences: <a@x>\nSubject: loop\n${day(2)}`,
      `Message-ID: <a@x>\nSubject: duplicate id\n${day(3)}`,
    ]);
    const [line] = await ok(c, "THREAD REFERENCES UTF-8 ALL");
    expect(line!.match(/\d+/g)!.sort()).toEqual(["1", "2", "3"]);
    await c.close();
  });

  test("a reply chain thousands deep is threaded without recursion", async () => {
    const address = await freshAccount(server);
    // Delivered through the store: thousands of APPENDs would take too long for a unit of behaviour.
    const { accountGet, messageIngest } = await import("../../src/store/mod.ts");
    const { parseMessage } = await import("../../src/mime/mod.ts");
    const account = await accountGet(server.store.read, address);
    const depth = 1500;
    await server.store.write(async (w) => {
      for (let i = 1; i <= depth; i++) {
        const raw = Buffer.from(
          `Message-ID: <d${i}@x>\r\n${i > 1 ? `In-Reply-To: <d${i - 1}@x>\r\n` : ""}Subject: deep\r\n\r\nx\r\n`,
        );
        await messageIngest(w, { raw, parsed: parseMessage(raw), targets: [{ accountId: account.id }] });
      }
    });
    const c = await mailbox([], address);
    const [line] = await ok(c, "THREAD REFERENCES UTF-8 ALL");
    expect(line).toBe(`THREAD (${Array.from({ length: depth }, (_, i) => i + 1).join(" ")})`);
    await c.close();
  }, 60_000);
});

describe("THREAD=ORDEREDSUBJECT (RFC 5256 §3)", () => {
  test("groups by base subject; the earliest is the parent of the rest, in date order", async () => {
    const c = await mailbox(CONVERSATION);
    expect(await ok(c, "THREAD ORDEREDSUBJECT UTF-8 ALL")).toEqual(["THREAD (1 (4)(2)(3))(5 8)(6 7)"]);
    await c.close();
  });
});

describe("bad arguments and states", () => {
  test.each([
    ["THREAD FOO UTF-8 ALL"],
    ["THREAD REFERENCES UTF-8"],
    ["THREAD REFERENCES"],
    ["THREAD (REFERENCES) UTF-8 ALL"],
    ["THREAD REFERENCES UTF-8 NOSUCHKEY"],
  ])("%s is BAD", async (line) => {
    const c = await mailbox([]);
    expect((await c.command(line)).status).toBe("BAD");
    await c.close();
  });

  test("an unknown charset is NO [BADCHARSET]; an empty mailbox is a bare THREAD", async () => {
    const c = await mailbox([]);
    const r = await c.command("THREAD REFERENCES KOI8-R ALL");
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[BADCHARSET");
    expect(await ok(c, "THREAD ORDEREDSUBJECT UTF-8 ALL")).toEqual(["THREAD"]);
    await c.close();
  });

  test("THREAD before SELECT is refused", async () => {
    const c = await ImapClient.login(port, await freshAccount(server));
    expect((await c.command("THREAD REFERENCES UTF-8 ALL")).status).toBe("BAD");
    await c.close();
  });
});
