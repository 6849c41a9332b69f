/**
 * CATENATE (RFC 4469) over real sockets: APPEND builds a message from TEXT literals and URLs of the
 * account's messages or their parts (copied octet for octet from the stored bytes), answers
 * APPENDUID, and refuses a URL it cannot follow with NO [BADURL url] and an oversized result with
 * NO [TOOBIG], storing nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let port: number;
const MAX_SIZE = 8192;

beforeAll(async () => {
  server = await startTestServer({ maxMessageSize: MAX_SIZE });
  port = server.ports.imap!;
});

afterAll(async () => {
  await server.close();
});

const HEADER = 'Subject: draft\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n';
const PART1_MIME = "Content-Type: text/plain\r\n\r\n";
const SOURCE = `${HEADER}--b\r\n${PART1_MIME}first part\r\n--b\r\nContent-Type: application/zip\r\n\r\nZIPDATA\r\n--b--\r\n`;

/** An account whose Drafts holds SOURCE as UID 1; returns the client and the UIDVALIDITY. */
async function withDraft(): Promise<{ client: ImapClient; validity: string; address: string }> {
  const address = await freshAccount(server);
  const client = await ImapClient.login(port, address);
  const r = await client.append("Drafts", SOURCE);
  const validity = /APPENDUID (\d+) 1/.exec(r.text)![1]!;
  return { client, validity, address };
}

/** APPEND ... CATENATE (...) written in one go with LITERAL+ TEXT parts. */
function catenate(client: ImapClient, mailbox: string, parts: Array<string | { text: string }>) {
  const body = parts
    .map((p) =>
      typeof p === "string"
        ? Buffer.from(`URL "${p}"`)
        : Buffer.concat([Buffer.from(`TEXT {${Buffer.byteLength(p.text)}+}\r\n`), Buffer.from(p.text)]),
    )
    .reduce((acc, b, i) => Buffer.concat([acc, Buffer.from(i > 0 ? " " : ""), b]), Buffer.alloc(0));
  return client.command(
    Buffer.concat([Buffer.from(`APPEND ${mailbox} (\\Seen) CATENATE (`), body, Buffer.from(")")]),
  );
}

describe("CATENATE", () => {
  test("CATENATE is advertised after login", async () => {
    const client = await ImapClient.login(port, await freshAccount(server));
    expect((await client.command("CAPABILITY")).untagged[0]).toContain(" CATENATE ");
    await client.close();
  });

  test("APPEND CATENATE joins URL sections and TEXT literals into the exact bytes (RFC 4469 example 1)", async () => {
    const { client, validity, address } = await withDraft();
    const base = `/Drafts;UIDVALIDITY=${validity}/;UID=1`;
    const r = await catenate(client, "Drafts", [
      `${base}/;section=HEADER`,
      { text: "--b\r\n" },
      `${base}/;SECTION=1.MIME`,
      `${base}/;section=1`,
      { text: "\r\n--b\r\nContent-Type: text/plain\r\n\r\nreplaced\r\n--b--\r\n" },
    ]);
    expect(r.status).toBe("OK");
    expect(r.text).toMatch(new RegExp(`^\\[APPENDUID ${validity} 2\\]`));
    const stored = await mailboxContents(server, address, "Drafts");
    expect(stored[1]!.raw.toString()).toBe(
      `${HEADER}--b\r\n${PART1_MIME}first part\r\n--b\r\nContent-Type: text/plain\r\n\r\nreplaced\r\n--b--\r\n`,
    );
    // The source was only read: its \Seen is untouched (RFC 4469 §3).
    expect(stored[0]!.flags).toBe(0);
    await client.close();
  });

  test("a URL without UIDVALIDITY, a whole message and a partial are taken", async () => {
    const { client, address } = await withDraft();
    const r = await catenate(client, "INBOX", [
      "/Drafts/;UID=1/;PARTIAL=0.9",
      { text: "\r\n\r\n" },
      "/Drafts/;UID=1",
    ]);
    expect(r.status).toBe("OK");
    const [stored] = await mailboxContents(server, address);
    expect(stored!.raw.toString()).toBe(`Subject: \r\n\r\n${SOURCE}`);
    await client.close();
  });

  test("a relative ;UID= URL names a message of the selected mailbox", async () => {
    const { client, address } = await withDraft();
    await client.command("SELECT Drafts");
    expect((await catenate(client, "INBOX", [";UID=1/;SECTION=HEADER", { text: "body\r\n" }])).status).toBe(
      "OK",
    );
    const [stored] = await mailboxContents(server, address);
    expect(stored!.raw.toString()).toBe(`${HEADER}body\r\n`);
    await client.close();
  });

  test.each([
    ["a wrong UIDVALIDITY", (v: string) => `/Drafts;UIDVALIDITY=${Number(v) + 1}/;UID=1`],
    ["a UID that does not exist", (v: string) => `/Drafts;UIDVALIDITY=${v}/;UID=99`],
    ["a mailbox that does not exist", () => "/Nowhere/;UID=1"],
    ["an absolute URL", () => "imap://user@elsewhere.example/Drafts/;UID=1"],
    ["a bad section", (v: string) => `/Drafts;UIDVALIDITY=${v}/;UID=1/;SECTION=BOGUS`],
    ["a relative URL without a selected mailbox", () => ";UID=1"],
    ["URLAUTH", () => "/Drafts/;UID=1;URLAUTH=anonymous"],
  ])("%s is NO [BADURL url] and nothing is stored", async (_, url) => {
    const { client, validity, address } = await withDraft();
    const bad = url(validity);
    const r = await catenate(client, "INBOX", [{ text: "X: y\r\n\r\n" }, bad]);
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith(`[BADURL ${bad}]`);
    expect(await mailboxContents(server, address)).toEqual([]);
    await client.close();
  });

  test("a catenation over the message size limit is NO [TOOBIG]", async () => {
    const { client, validity } = await withDraft();
    const url = `/Drafts;UIDVALIDITY=${validity}/;UID=1`;
    const r = await catenate(
      client,
      "INBOX",
      Array.from({ length: Math.ceil(MAX_SIZE / SOURCE.length) + 1 }, () => url),
    );
    expect(r.status).toBe("NO");
    expect(r.text).toStartWith("[TOOBIG]");
    await client.close();
  });

  test("a missing target is NO [TRYCREATE] before any URL is read", async () => {
    const { client } = await withDraft();
    const r = await catenate(client, "Nowhere", ["/Drafts/;UID=1"]);
    expect(r.text).toStartWith("[TRYCREATE]");
    await client.close();
  });

  test.each([
    ["an empty part list", "APPEND INBOX CATENATE ()"],
    ["an unknown part kind", 'APPEND INBOX CATENATE (FILE "x")'],
    ["a URL without its string", "APPEND INBOX CATENATE (URL)"],
  ])("%s is BAD", async (_, line) => {
    const client = await ImapClient.login(port, await freshAccount(server));
    expect((await client.command(line)).status).toBe("BAD");
    await client.close();
  });

  test("MULTIAPPEND and CATENATE together: two messages, one of them catenated", async () => {
    const { client, address } = await withDraft();
    const plain = "Subject: plain\r\n\r\nx\r\n";
    const r = await client.command(
      Buffer.from(`APPEND INBOX {${plain.length}+}\r\n${plain} CATENATE (URL "/Drafts/;UID=1")`),
    );
    expect(r.text).toMatch(/^\[APPENDUID \d+ 1:2\]/);
    const stored = await mailboxContents(server, address);
    expect(stored.map((s) => s.raw.toString())).toEqual([plain, SOURCE]);
    await client.close();
  });
});
