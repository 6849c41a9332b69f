/**
 * The listener table (src/main.ts LISTENERS): every row binds its port, greets in its protocol
 * (implicit TLS ones after the handshake) and is reported in RunningServer.ports; a port set to off
 * starts nothing and reads null.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { startTestServer, type TestServer } from "../harness/server.ts";

/**
 * The first line the server sends on a new connection (after the TLS handshake with `tls`), or in
 * answer to `send` (HTTP speaks second).
 */
function firstLine(port: number, tls: boolean, send?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = tls
      ? tlsConnect({ port, host: "127.0.0.1", rejectUnauthorized: false }, () => send && socket.write(send))
      : connect({ port, host: "127.0.0.1" });
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      received += chunk;
      const end = received.indexOf("\r\n");
      if (end === -1) return;
      socket.destroy();
      resolve(received.slice(0, end));
    });
    socket.once("error", reject);
    socket.once("close", () => reject(new Error(`closed after ${JSON.stringify(received)}`)));
  });
}

describe("the listener table", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ pop3sPort: null });
  });

  afterAll(async () => {
    await server.close();
  });

  test("RunningServer.ports names every listener, with null for one turned off", () => {
    expect(Object.keys(server.ports).sort()).toEqual(
      [
        "http",
        "imap",
        "imaps",
        "pop3",
        "pop3s",
        "public-http",
        "public-https",
        "smtp",
        "smtps",
        "submission",
      ].sort(),
    );
    expect(server.ports.pop3s).toBeNull();
    for (const [name, port] of Object.entries(server.ports)) {
      if (name !== "pop3s") expect(port).toBeGreaterThan(0);
    }
  });

  test("each mail listener greets in its own protocol on its port, implicit TLS ones after the handshake", async () => {
    const { ports } = server;
    expect(await firstLine(ports.smtp!, false)).toStartWith("220 mx.test.example ESMTP");
    expect(await firstLine(ports.submission!, false)).toStartWith("220 mx.test.example ESMTP");
    expect(await firstLine(ports.smtps!, true)).toStartWith("220 mx.test.example ESMTP");
    expect(await firstLine(ports.pop3!, false)).toStartWith("+OK ");
    expect(await firstLine(ports.imap!, false)).toStartWith("* OK [CAPABILITY IMAP4rev1");
    expect(await firstLine(ports.imaps!, true)).toStartWith("* OK [CAPABILITY IMAP4rev1");
  });

  test("the public web listeners answer HTTP and HTTPS on their ports", async () => {
    const plain = await fetch(`http://127.0.0.1:${server.ports["public-http"]}/nothing-here`);
    expect(plain.status).toBe(404);
    expect(plain.headers.get("content-type")).toBe("application/problem+json");
    expect(await firstLine(server.ports["public-https"]!, true, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n")).toBe(
      "HTTP/1.1 404 Not Found",
    );
  });

  test("the admin API answers on the port in ports.http", async () => {
    const response = await fetch(`http://127.0.0.1:${server.ports.http}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});
