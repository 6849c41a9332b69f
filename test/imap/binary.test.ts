/**
 * BINARY (RFC 3516) over real sockets: FETCH BINARY[], BINARY.PEEK[] and BINARY.SIZE[] decode a
 * part's Content-Transfer-Encoding from the stored structure (base64, quoted-printable, identity),
 * answer literal8 only for data with a NUL, set \Seen unless PEEK, honour partials on the decoded
 * bytes and refuse an unknown encoding with NO [UNKNOWN-CTE]; APPEND takes a literal8.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.imap!;
});

afterAll(async () => {
  await server.close();
});

const PAYLOAD = Buffer.from([0x00, 0x01, 0xff, 0x0d, 0x0a, 0x41, 0x00]);
const MESSAGE = [
  "Subject: binary",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="b"',
  "",
  "--b",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "caf=C3=A9 soft=",
  "break",
  "--b",
  "Content-Type: application/octet-stream",
  "Content-Transfer-Encoding: base64",
  "",
  PAYLOAD.toString("base64"),
  "--b",
  "Content-Type: text/plain",
  "",
  "plain 7bit",
  "--b",
  "Content-Type: application/octet-stream",
  "Content-Transfer-Encoding: x-uuencode",
  "",
  "begin 644 x",
  "--b",
  "Content-Type: text/plain",
  "Content-Transfer-Encoding: base64",
  "",
  Buffer.from("unix\nlines\n").toString("base64"),
  "--b--",
  "",
].join("\r\n");

async function selected(): Promise<ImapClient> {
  const address = await freshAccount(server);
  const client = await ImapClient.login(port, address);
  expect((await client.append("INBOX", MESSAGE)).status).toBe("OK");
  await client.command("SELECT INBOX");
  return client;
}

describe("FETCH BINARY", () => {
  test("BINARY is advertised after login", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    expect((await client.command("CAPABILITY")).untagged[0]).toContain(" BINARY ");
    await client.close();
  });

  test("BINARY.PEEK[1] decodes quoted-printable and answers a plain literal", async () => {
    const client = await selected();
    const r = await client.command("FETCH 1 (BINARY.PEEK[1])");
    expect(r.untagged).toEqual([
      `1 FETCH (BINARY[1] {15}\r\n${Buffer.from("café soft").toString("latin1")}break)`,
    ]);
    await client.close();
  });

  test("BINARY.PEEK[2] decodes base64 into a literal8 because of the NUL octets", async () => {
    const client = await selected();
    const r = await client.command("UID FETCH 1 (BINARY.PEEK[2])");
    expect(r.untagged).toEqual([`1 FETCH (UID 1 BINARY[2] ~{7}\r\n${PAYLOAD.toString("latin1")})`]);
    await client.close();
  });

  test("BINARY.SIZE gives the decoded sizes, and a 7bit part is sent as stored", async () => {
    const client = await selected();
    const r = await client.command("FETCH 1 (BINARY.SIZE[1] BINARY.SIZE[2] BINARY.SIZE[3] BINARY.PEEK[3])");
    expect(r.untagged).toEqual([
      "1 FETCH (BINARY.SIZE[1] 15 BINARY.SIZE[2] 7 BINARY.SIZE[3] 10 BINARY[3] {10}\r\nplain 7bit)",
    ]);
    await client.close();
  });

  test("a decoded text part goes out with CRLF line ends, and BINARY.SIZE counts them (RFC 3516 §6)", async () => {
    const client = await selected();
    const r = await client.command("FETCH 1 (BINARY.SIZE[5] BINARY.PEEK[5])");
    expect(r.untagged).toEqual(["1 FETCH (BINARY.SIZE[5] 13 BINARY[5] {13}\r\nunix\r\nlines\r\n)"]);
    await client.close();
  });

  test("a partial BINARY counts octets of the decoded data", async () => {
    const client = await selected();
    const r = await client.command("FETCH 1 (BINARY.PEEK[2]<2.3>)");
    expect(r.untagged).toEqual([
      `1 FETCH (BINARY[2]<2> {3}\r\n${Buffer.from([0xff, 0x0d, 0x0a]).toString("latin1")})`,
    ]);
    await client.close();
  });

  test("BINARY (not PEEK) sets \\Seen and says so; BINARY.PEEK and BINARY.SIZE do not", async () => {
    const client = await selected();
    await client.command("FETCH 1 (BINARY.PEEK[3] BINARY.SIZE[3])");
    expect((await client.command("FETCH 1 FLAGS")).untagged).toEqual(["1 FETCH (FLAGS ())"]);
    const r = await client.command("FETCH 1 (BINARY[3])");
    expect(r.untagged).toEqual(["1 FETCH (BINARY[3] {10}\r\nplain 7bit FLAGS (\\Seen))"]);
    await client.close();
  });

  test("BINARY[] is the whole message as stored; a part it does not have is empty", async () => {
    const client = await selected();
    const whole = await client.command("FETCH 1 (BINARY.PEEK[])");
    expect(whole.untagged).toEqual([`1 FETCH (BINARY[] {${MESSAGE.length}}\r\n${MESSAGE})`]);
    expect((await client.command("FETCH 1 (BINARY.PEEK[9])")).untagged).toEqual(['1 FETCH (BINARY[9] "")']);
    await client.close();
  });

  test("an encoding the server cannot undo is NO [UNKNOWN-CTE]", async () => {
    const client = await selected();
    for (const item of ["BINARY.PEEK[4]", "BINARY.SIZE[4]"]) {
      const r = await client.command(`FETCH 1 (${item})`);
      expect(r.status).toBe("NO");
      expect(r.text).toStartWith("[UNKNOWN-CTE]");
    }
    // BODY[4] still works: the client may decode it itself.
    expect((await client.command("FETCH 1 (BODY.PEEK[4])")).status).toBe("OK");
    await client.close();
  });

  test.each([
    ["BINARY[HEADER]"],
    ["BINARY[1.TEXT]"],
    ["BINARY.SIZE[1]<0.5>"],
    ["BINARY[0]"],
    ["BINARY.PEEK[1]<0.0>"],
    ["BINARY.PEEK"],
  ])("FETCH 1 (%s) is BAD", async (item) => {
    const client = await selected();
    expect((await client.command(`FETCH 1 (${item})`)).status).toBe("BAD");
    await client.close();
  });
});

describe("APPEND with a literal8", () => {
  test("APPEND ~{n} stores the bytes, NUL included, and answers APPENDUID", async () => {
    const address = await freshAccount(server);
    const client = await ImapClient.login(port, address);
    const raw = Buffer.concat([
      Buffer.from("Subject: nul\r\nContent-Transfer-Encoding: binary\r\n\r\n"),
      PAYLOAD,
    ]);
    const tag = client.nextTag();
    client.write(`${tag} APPEND INBOX (\\Seen) ~{${raw.length}}\r\n`);
    expect(await client.readResponseLine()).toStartWith("+");
    client.write(Buffer.concat([raw, Buffer.from("\r\n")]));
    const r = await client.readUntilTagged(tag);
    expect(r.status).toBe("OK");
    expect(r.text).toMatch(/^\[APPENDUID \d+ 1\]/);
    const [stored] = await mailboxContents(server, address);
    expect(stored!.raw.equals(raw)).toBe(true);
    await client.command("SELECT INBOX");
    const fetched = await client.command("FETCH 1 (BINARY.PEEK[1])");
    expect(fetched.untagged).toEqual([`1 FETCH (BINARY[1] ~{7}\r\n${PAYLOAD.toString("latin1")})`]);
    await client.close();
  });

  test("APPEND ~{n+} (non-synchronizing literal8, RFC 4466) needs no continuation", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    const raw = Buffer.from("Subject: plus\r\n\r\nx\r\n");
    const r = await client.command(Buffer.concat([Buffer.from(`APPEND INBOX ~{${raw.length}+}\r\n`), raw]));
    expect(r.status).toBe("OK");
    await client.close();
  });
});
