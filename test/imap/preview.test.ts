/**
 * PREVIEW (RFC 8970) over real sockets: FETCH PREVIEW (and PREVIEW (LAZY)) answers the text stored at
 * delivery from the first text part, whitespace collapsed and at most 256 characters; "" for a
 * message without text; UTF-8 as a literal unless the session takes UTF-8; bad modifiers are BAD.
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

async function withMessages(raws: string[], enable?: string): Promise<ImapClient> {
  const client = await ImapClient.login(port, await freshAccount(server));
  if (enable) expect((await client.command(`ENABLE ${enable}`)).status).toBe("OK");
  for (const text of raws) {
    const raw = Buffer.from(text.replace(/\n/g, "\r\n"));
    const r = await client.command(Buffer.concat([Buffer.from(`APPEND INBOX {${raw.length}+}\r\n`), raw]));
    expect(r.status).toBe("OK");
  }
  expect((await client.command("SELECT INBOX")).status).toBe("OK");
  return client;
}

describe("FETCH PREVIEW (RFC 8970 §3)", () => {
  test("is advertised; the first text part, whitespace collapsed; PREVIEW (LAZY) answers the same", async () => {
    const client = await withMessages([
      "Subject: a\n\nHello   there,\n\n  this is\tthe text.\n",
      'Subject: b\nContent-Type: multipart/alternative; boundary="b"\n\n--b\nContent-Type: text/html\n\n<p>Rich <b>text</b></p>\n--b--\n',
    ]);
    expect((await client.command("CAPABILITY")).untagged[0]).toContain(" PREVIEW");
    expect((await client.command("FETCH 1:2 (PREVIEW)")).untagged).toEqual([
      '1 FETCH (PREVIEW "Hello there, this is the text.")',
      '2 FETCH (PREVIEW "Rich text")',
    ]);
    expect((await client.command("FETCH 1 PREVIEW (LAZY)")).untagged).toEqual([
      '1 FETCH (PREVIEW "Hello there, this is the text.")',
    ]);
    expect((await client.command("UID FETCH 1 (PREVIEW (LAZY) FLAGS)")).untagged[0]).toBe(
      '1 FETCH (UID 1 PREVIEW "Hello there, this is the text." FLAGS (\\Recent))',
    );
    await client.close();
  });

  test("a long text is cut to at most 256 characters; no text at all is an empty string", async () => {
    const client = await withMessages([
      `Subject: long\n\n${"word ".repeat(400)}\n`,
      "Subject: attachment only\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAAA\n",
    ]);
    const [long, none] = (await client.command("FETCH 1:2 (PREVIEW)")).untagged;
    const text = /PREVIEW "(.*)"\)$/.exec(long!)![1]!;
    expect(text.length).toBeGreaterThan(100);
    expect(text.length).toBeLessThanOrEqual(256);
    expect(none).toBe('2 FETCH (PREVIEW "")');
    await client.close();
  });

  test("non-ASCII text is a literal in IMAP4rev1 and quoted after ENABLE UTF8=ACCEPT", async () => {
    const message = "Subject: u\nContent-Type: text/plain; charset=utf-8\n\nGrüße aus Köln\n";
    const rev1 = await withMessages([message]);
    const bytes = Buffer.byteLength("Grüße aus Köln");
    expect((await rev1.command("FETCH 1 (PREVIEW)")).untagged[0]).toBe(
      `1 FETCH (PREVIEW {${bytes}}\r\n${Buffer.from("Grüße aus Köln").toString("latin1")})`,
    );
    await rev1.close();
    const utf8 = await withMessages([message], "UTF8=ACCEPT");
    expect(Buffer.from((await utf8.command("FETCH 1 (PREVIEW)")).untagged[0]!, "latin1").toString()).toBe(
      '1 FETCH (PREVIEW "Grüße aus Köln")',
    );
    await utf8.close();
  });

  test.each([["FETCH 1 PREVIEW (EAGER)"], ["FETCH 1 (PREVIEW (LAZY)"], ["FETCH 1 PREVIEW[]"]])(
    "%s is BAD",
    async (line) => {
      const client = await withMessages(["Subject: a\n\nx\n"]);
      expect((await client.command(line)).status).toBe("BAD");
      await client.close();
    },
  );

  test("PREVIEW before SELECT is refused", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    expect((await client.command("FETCH 1 (PREVIEW)")).status).toBe("BAD");
    await client.close();
  });
});
