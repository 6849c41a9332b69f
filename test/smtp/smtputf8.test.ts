/**
 * 8-bit bytes in the SMTP envelope (issue 9, finding 10), over real sockets. RFC 6531 §3.5: a
 * non-ASCII address in MAIL FROM or RCPT TO, or a non-ASCII EHLO name, needs SMTPUTF8 on MAIL FROM;
 * without it the answer is 553 5.6.7 ("Non-ASCII addresses not permitted for that
 * sender/recipient", RFC 5248). The header fields we write (Return-Path, Received) carry only
 * validated data, and stay ASCII unless the transaction is SMTPUTF8.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { traceHeaders } from "../../src/smtp/trace-headers.ts";
import { createAccounts, mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { SmtpClient } from "../harness/smtp-client.ts";

let server: TestServer;
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.smtp!;
  await createAccounts(server, [{ address: "alice@example.com" }, { address: "jøran@example.com" }]);
});

afterAll(async () => {
  await server.close();
});

const message = "From: x@remote.example\r\nSubject: utf8\r\n\r\nbody\r\n";

/** Sends one command line as raw bytes (latin1 for `\xff`-style input, UTF-8 otherwise). */
async function raw(client: SmtpClient, line: string | Buffer) {
  client.write(
    Buffer.concat([typeof line === "string" ? Buffer.from(line, "utf8") : line, Buffer.from("\r\n")]),
  );
  return client.read();
}

async function connect(ehlo = "client.test"): Promise<SmtpClient> {
  const { client } = await SmtpClient.connect(port);
  expect((await raw(client, `EHLO ${ehlo}`)).code).toBe(250);
  return client;
}

/** The trace header block we prepended to the newest message of `address`. */
async function traceOf(address: string): Promise<Buffer> {
  const stored = await mailboxContents(server, address);
  const newest = stored.at(-1)!.raw;
  return newest.subarray(0, newest.indexOf("From: x@remote.example"));
}

describe("without SMTPUTF8", () => {
  test("MAIL FROM with a UTF-8 local part is refused with 553 5.6.7", async () => {
    const client = await connect();
    const r = await raw(client, "MAIL FROM:<jøran@remote.example>");
    expect(r.code).toBe(553);
    expect(r.text).toContain("5.6.7");
    await client.close();
  });

  test("MAIL FROM with a Latin-1 byte (not UTF-8 at all) is refused with 553 5.6.7", async () => {
    const client = await connect();
    const r = await raw(client, Buffer.from("MAIL FROM:<caf\xe9@remote.example>", "latin1"));
    expect(r.code).toBe(553);
    expect(r.text).toContain("5.6.7");
    await client.close();
  });

  test("RCPT TO with a UTF-8 address is refused with 553 5.6.7, even for a local account", async () => {
    const client = await connect();
    expect((await raw(client, "MAIL FROM:<x@remote.example>")).code).toBe(250);
    const r = await raw(client, "RCPT TO:<jøran@example.com>");
    expect(r.code).toBe(553);
    expect(r.text).toContain("5.6.7");
    const d = await raw(client, "RCPT TO:<alice@exämple.com>");
    expect(d.code).toBe(553);
    await client.close();
  });

  test("an A-label (xn--) domain is ASCII: RCPT TO is judged as usual, not refused for 8-bit", async () => {
    const client = await connect();
    expect((await raw(client, "MAIL FROM:<x@xn--bcher-kva.example>")).code).toBe(250);
    const r = await raw(client, "RCPT TO:<someone@xn--bcher-kva.example>");
    expect(r.code).toBe(554);
    expect(r.text).toContain("5.7.1");
    await client.close();
  });

  test("after an EHLO with 8-bit bytes, MAIL FROM is refused with 553 5.6.7", async () => {
    const client = await connect("hôst.example");
    const r = await raw(client, "MAIL FROM:<x@remote.example>");
    expect(r.code).toBe(553);
    expect(r.text).toContain("5.6.7");
    await client.close();
  });

  test("an accepted message gets ASCII-only Return-Path and Received fields", async () => {
    const client = await connect("Client.Test");
    expect((await raw(client, "MAIL FROM:<x@remote.example>")).code).toBe(250);
    expect((await raw(client, "RCPT TO:<alice@example.com>")).code).toBe(250);
    expect((await client.data(message)).code).toBe(250);
    await client.close();
    const trace = await traceOf("alice@example.com");
    expect(trace.toString("latin1")).toMatch(
      // Our Authentication-Results (RFC 8601) sits between the two.
      /^Return-Path: <x@remote\.example>\r\n(?:Authentication-Results: [^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*)Received: from client\.test /,
    );
    expect([...trace].every((b) => b < 0x80)).toBe(true);
  });
});

describe("with SMTPUTF8", () => {
  test("UTF-8 in MAIL FROM, RCPT TO and EHLO is accepted, and the Received field says UTF8SMTP", async () => {
    const client = await connect("hôst.example");
    expect((await raw(client, "MAIL FROM:<jøran@remote.example> SMTPUTF8")).code).toBe(250);
    expect((await raw(client, "RCPT TO:<jøran@example.com>")).code).toBe(250);
    expect((await client.data(message)).code).toBe(250);
    await client.close();
    const trace = (await traceOf("jøran@example.com")).toString("utf8");
    expect(trace).toMatch(
      /^Return-Path: <jøran@remote\.example>\r\n(?:Authentication-Results: [^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*)Received: from hôst\.example /,
    );
    expect(trace).toContain("with UTF8SMTP");
  });

  test("bytes that are not UTF-8 are refused even with SMTPUTF8 (501), in MAIL FROM and RCPT TO", async () => {
    const client = await connect();
    const mail = await raw(client, Buffer.from("MAIL FROM:<caf\xe9@remote.example> SMTPUTF8", "latin1"));
    expect(mail.code).toBe(501);
    expect((await raw(client, "MAIL FROM:<x@remote.example> SMTPUTF8")).code).toBe(250);
    const rcpt = await raw(client, Buffer.from("RCPT TO:<caf\xe9@example.com>", "latin1"));
    expect(rcpt.code).toBe(501);
    await client.close();
  });

  test("an EHLO name that is not UTF-8 is refused at MAIL FROM even with SMTPUTF8 (501)", async () => {
    const { client } = await SmtpClient.connect(port);
    expect((await raw(client, Buffer.from("EHLO h\xf4st.example", "latin1"))).code).toBe(250);
    expect((await raw(client, "MAIL FROM:<x@remote.example> SMTPUTF8")).code).toBe(501);
    await client.close();
  });
});

describe("traceHeaders()", () => {
  const base = {
    mailFrom: "x@remote.example",
    helo: "client.test",
    clientAddress: "127.0.0.1",
    clientHostname: "[127.0.0.1]",
    by: "mx.test.example",
    protocol: "ESMTP",
    id: "abc",
    recipients: ["alice@example.com"],
    date: new Date(0),
  };

  test("traceHeaders() writes only ASCII when the transaction is not SMTPUTF8, whatever it is given", () => {
    const out = traceHeaders({ ...base, helo: "hôst\uFFFD.example", mailFrom: "jø@x.example", utf8: false });
    expect([...Buffer.from(out, "utf8")].every((b) => b < 0x80)).toBe(true);
    expect(out).toContain("from h?st?.example");
  });

  test("traceHeaders() keeps valid UTF-8 in an SMTPUTF8 transaction and never a control character", () => {
    const out = traceHeaders({ ...base, helo: "hôst\r\nX-Injected: 1", utf8: true });
    expect(out).toContain("from hôst X-Injected: 1 ");
    expect(out.split("\r\n").filter((l) => l.startsWith("X-Injected"))).toEqual([]);
  });
});
