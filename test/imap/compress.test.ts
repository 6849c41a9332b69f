/**
 * COMPRESS=DEFLATE (RFC 4978) over real sockets: raw deflate both ways after the tagged OK, a flush
 * per response (IDLE's untagged responses arrive while the client waits), inside STARTTLS and
 * IMAPS, NO [COMPRESSIONACTIVE] the second time, BAD for anything else, and a decompression bomb
 * meets the same line limit as plain input.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { deflateRawSync } from "node:zlib";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient, quote } from "../harness/imap-client.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

const tlsOptions = () => ({ ca: [server.tls.credentials().cert], servername: "mx.test.example" });

describe("COMPRESS", () => {
  test("COMPRESS=DEFLATE is advertised after login, not before", async () => {
    const { client, greeting } = await ImapClient.connect(server.ports.imap!);
    expect(greeting).not.toContain("COMPRESS");
    const address = await freshAccount(server);
    const r = await client.command(`LOGIN ${quote(address)} "secret"`);
    expect(r.text).toContain("COMPRESS=DEFLATE");
    await client.close();
  });

  test("COMPRESS DEFLATE answers OK in the clear, then commands and responses are deflated", async () => {
    const address = await freshAccount(server, { messages: 3 });
    const client = await ImapClient.login(server.ports.imap!, address);
    const r = await client.compress();
    expect(r).toMatchObject({ status: "OK", text: "DEFLATE active" });
    const select = await client.command("SELECT INBOX");
    expect(select.status).toBe("OK");
    expect(select.untagged).toContain("3 EXISTS");
    const fetch = await client.command("FETCH 1:3 (BODY[])");
    expect(fetch.untagged.length).toBe(3);
    expect(fetch.untagged[2]).toContain("body 3");
    // A response larger than the compressor's buffers still arrives whole.
    const big = `Subject: big\r\n\r\n${"0123456789abcdef".repeat(64 * 1024)}\r\n`;
    expect((await client.append("INBOX", big)).status).toBe("OK");
    const fetched = await client.command("UID FETCH 4 (BODY.PEEK[TEXT])");
    expect(fetched.untagged[0]).toContain("0123456789abcdef".repeat(1000));
    expect(fetched.untagged[0]!.length).toBeGreaterThan(1024 * 1024);
    expect((await client.command("LOGOUT")).status).toBe("OK");
    await client.close();
  });

  test("a second COMPRESS is NO [COMPRESSIONACTIVE] and compression goes on", async () => {
    const client = await ImapClient.login(server.ports.imap!, await freshAccount(server));
    await client.compress();
    const again = await client.command("COMPRESS DEFLATE");
    expect(again.status).toBe("NO");
    expect(again.text).toStartWith("[COMPRESSIONACTIVE]");
    expect((await client.command("NOOP")).status).toBe("OK");
    await client.close();
  });

  test("COMPRESS with an unknown algorithm, no argument or extra arguments is BAD; before login too", async () => {
    const { client } = await ImapClient.connect(server.ports.imap!);
    expect((await client.command("COMPRESS DEFLATE")).status).toBe("BAD");
    const address = await freshAccount(server);
    await client.command(`LOGIN ${quote(address)} "secret"`);
    expect((await client.command("COMPRESS LZW")).status).toBe("BAD");
    expect((await client.command("COMPRESS")).status).toBe("BAD");
    expect((await client.command("COMPRESS DEFLATE DEFLATE")).status).toBe("BAD");
    expect((await client.command('COMPRESS "DEFLATE"')).status).toBe("BAD");
    // Still uncompressed, and COMPRESS still possible.
    expect((await client.compress()).status).toBe("OK");
    expect((await client.command("NOOP")).status).toBe("OK");
    await client.close();
  });

  test("COMPRESS works in the selected state", async () => {
    const client = await ImapClient.login(server.ports.imap!, await freshAccount(server, { messages: 1 }));
    await client.command("SELECT INBOX");
    expect((await client.compress()).status).toBe("OK");
    expect((await client.command("FETCH 1 (FLAGS)")).untagged[0]).toContain("FLAGS");
    await client.close();
  });

  test("during IDLE each untagged response is flushed: a delivery arrives while the client waits", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(server.ports.imap!, address);
    await client.compress();
    await client.command("SELECT INBOX");
    client.write("I1 IDLE\r\n");
    expect(await client.readResponseLine()).toStartWith("+");
    await sendMail(server.ports.smtp!, "a@remote.example", [address], "Subject: idle\r\n\r\nhi\r\n");
    // Nothing else is sent by the client: the EXISTS must come out of the compressor on its own.
    let line = await client.readResponseLine();
    while (!line.endsWith("EXISTS")) line = await client.readResponseLine();
    expect(line).toBe("* 1 EXISTS");
    client.write("DONE\r\n");
    const done = await client.readUntilTagged("I1");
    expect(done.status).toBe("OK");
    await client.close();
  });

  test("COMPRESS after STARTTLS: compression inside TLS", async () => {
    const { client } = await ImapClient.connect(server.ports.imap!);
    expect((await client.command("STARTTLS")).status).toBe("OK");
    await client.startTls(tlsOptions());
    const address = await freshAccount(server, { messages: 2 });
    expect((await client.command(`LOGIN ${quote(address)} "secret"`)).status).toBe("OK");
    expect((await client.compress()).status).toBe("OK");
    expect((await client.command("SELECT INBOX")).untagged).toContain("2 EXISTS");
    expect((await client.command("FETCH 2 BODY[TEXT]")).untagged[0]).toContain("body 2");
    await client.close();
  });

  test("COMPRESS on IMAPS (implicit TLS)", async () => {
    const { client } = await ImapClient.connect(server.ports.imaps!, "127.0.0.1", { tls: tlsOptions() });
    const address = await freshAccount(server, { messages: 1 });
    expect((await client.command(`LOGIN ${quote(address)} "secret"`)).status).toBe("OK");
    expect((await client.compress()).status).toBe("OK");
    expect((await client.command("STATUS INBOX (MESSAGES)")).untagged[0]).toContain("MESSAGES 1");
    await client.close();
  });

  test("STARTTLS is not offered over compression (after UNAUTHENTICATE)", async () => {
    const client = await ImapClient.login(server.ports.imap!, await freshAccount(server));
    await client.compress();
    expect((await client.command("UNAUTHENTICATE")).status).toBe("OK");
    const caps = await client.command("CAPABILITY");
    expect(caps.untagged[0]).not.toContain("STARTTLS");
    expect((await client.command("STARTTLS")).status).toBe("BAD");
    await client.close();
  });

  test("a decompression bomb meets the line limit: 16 MB of one line inflated is BYE [TOOBIG]", async () => {
    const client = await ImapClient.login(server.ports.imap!, await freshAccount(server));
    await client.compress();
    // ~16 KB on the wire, 16 MB once inflated, no line end.
    const bomb = deflateRawSync(Buffer.alloc(16 * 1024 * 1024, 0x61));
    expect(bomb.length).toBeLessThan(64 * 1024);
    client.write(Buffer.from("A1 NOOP "));
    client.writeDeflated(Buffer.alloc(16 * 1024 * 1024, 0x61));
    const line = await client.readResponseLine();
    expect(line).toBe("* BYE [TOOBIG] Command line too long");
    await client.whenClosed();
    expect(client.closed).toBe(true);
  });

  test("bytes that are not a deflate stream close the connection", async () => {
    const client = await ImapClient.login(server.ports.imap!, await freshAccount(server));
    const r = await client.command("COMPRESS DEFLATE");
    expect(r.status).toBe("OK");
    // A stored block with a bad length check (0x00, len, ~len mismatch): invalid raw deflate.
    client.socket.write(Buffer.from([0x00, 0x05, 0x00, 0x05, 0x00, 0x61, 0x62]));
    await client.whenClosed();
    expect(client.closed).toBe(true);
  });

  test("pipelined commands in one deflate flush are each answered, in order", async () => {
    const client = await ImapClient.login(server.ports.imap!, await freshAccount(server, { messages: 2 }));
    await client.compress();
    client.writeDeflated(Buffer.from("P1 SELECT INBOX\r\nP2 FETCH 1:2 (UID)\r\nP3 NOOP\r\n"));
    expect((await client.readUntilTagged("P1")).status).toBe("OK");
    expect((await client.readUntilTagged("P2")).untagged).toEqual(["1 FETCH (UID 1)", "2 FETCH (UID 2)"]);
    expect((await client.readUntilTagged("P3")).status).toBe("OK");
    await client.close();
  });

  test("a command split across many tiny deflate flushes is read whole", async () => {
    const client = await ImapClient.login(server.ports.imap!, await freshAccount(server));
    await client.compress();
    const text = Buffer.from('T1 STATUS "INBOX" (MESSAGES UIDNEXT)\r\n');
    for (const byte of text) client.writeDeflated(Buffer.from([byte]));
    const r = await client.readUntilTagged("T1");
    expect(r.status).toBe("OK");
    expect(r.untagged[0]).toContain("UIDNEXT");
    await client.close();
  });
});
