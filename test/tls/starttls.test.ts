/**
 * STARTTLS (IMAP, RFC 3501 §6.2.1), STLS (POP3, RFC 2595 §4) and the implicit-TLS ports
 * (RFC 8314 §3.3), driven over real sockets by Node's TLS client with the server's certificate as
 * the only trusted CA. Includes the STARTTLS command-injection case (CVE-2011-0411).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { startImap } from "../../src/imap/server.ts";
import { silentLogger } from "../../src/log.ts";
import { startPop3 } from "../../src/pop3/server.ts";
import { AuthFailures } from "../../src/security/auth-failures.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { Pop3Client } from "../harness/pop3-client.ts";
import type { TestServer } from "../harness/server.ts";
import { HOSTNAME, startTlsServer, trusting } from "./fixtures.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTlsServer();
});

afterAll(async () => {
  await server.close();
});

function expectGoodTls(secure: TLSSocket): void {
  expect(secure.authorized).toBe(true);
  expect(["TLSv1.2", "TLSv1.3"]).toContain(secure.getProtocol()!);
  const peer = secure.getPeerCertificate();
  expect(peer.subject.CN).toBe(HOSTNAME);
  expect(peer.subjectaltname).toContain(`DNS:${HOSTNAME}`);
}

/** Resolves when the peer closes; fails the test if it sent anything first. */
function closesSilently(port: number, send: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = connect(port, "127.0.0.1", () => socket.write(send));
    socket.on("data", (d) => {
      received += d.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(received));
    setTimeout(() => reject(new Error("still open")), 10_000).unref();
  });
}

describe("IMAP STARTTLS", () => {
  test("STARTTLS is offered, answered OK, and LOGIN then works over TLS 1.2 or later", async () => {
    const { client, greeting } = await ImapClient.connect(server.ports.imap!);
    expect(greeting).toContain(" STARTTLS");
    const r = await client.command("STARTTLS");
    expect(r.status).toBe("OK");
    const secure = await client.startTls(trusting(server));
    expectGoodTls(secure);
    expect((await client.command('LOGIN "alice@example.com" "secret"')).status).toBe("OK");
    expect((await client.command("SELECT INBOX")).status).toBe("OK");
    await client.close();
  });

  test("after STARTTLS the CAPABILITY list changes: no STARTTLS, the AUTH= mechanisms stay", async () => {
    const { client } = await ImapClient.connect(server.ports.imap!);
    await client.command("STARTTLS");
    await client.startTls(trusting(server));
    const caps = (await client.command("CAPABILITY")).untagged[0]!;
    expect(caps).not.toContain("STARTTLS");
    expect(caps).toContain("AUTH=PLAIN");
    expect(caps).not.toContain("LOGINDISABLED");
    await client.close();
  });

  test("STARTTLS a second time is BAD and the session goes on", async () => {
    const { client } = await ImapClient.connect(server.ports.imap!);
    await client.command("STARTTLS");
    await client.startTls(trusting(server));
    const again = await client.command("STARTTLS");
    expect(again.status).toBe("BAD");
    expect(again.text).toContain("TLS is already active");
    expect((await client.command("NOOP")).status).toBe("OK");
    await client.close();
  });

  test("STARTTLS with an argument is BAD", async () => {
    const { client } = await ImapClient.connect(server.ports.imap!);
    expect((await client.command("STARTTLS now")).status).toBe("BAD");
    await client.close();
  });

  test("a client that answers STARTTLS's OK with plain text is disconnected", async () => {
    const { client } = await ImapClient.connect(server.ports.imap!);
    expect((await client.command("STARTTLS")).status).toBe("OK");
    client.write("b NOOP\r\n");
    await expect(client.readResponseLine()).rejects.toThrow("connection closed");
  });
});

describe("IMAPS: implicit TLS", () => {
  test("the handshake comes first, then a greeting without STARTTLS; LOGIN works", async () => {
    const { client, greeting } = await ImapClient.connect(server.ports.imaps!, "127.0.0.1", {
      tls: trusting(server),
    });
    expectGoodTls(client.socket as TLSSocket);
    expect(greeting).toStartWith("* OK [CAPABILITY IMAP4rev1");
    expect(greeting).not.toContain("STARTTLS");
    const starttls = await client.command("STARTTLS");
    expect(starttls.status).toBe("BAD");
    expect((await client.command('LOGIN "alice@example.com" "secret"')).status).toBe("OK");
    await client.close();
  });

  test("a plain-text client on the IMAPS port gets no greeting and is disconnected", async () => {
    expect(await closesSilently(server.ports.imaps!, "a CAPABILITY\r\n")).not.toContain("* OK");
  });
});

describe("POP3 STLS", () => {
  test("CAPA offers STLS; after STLS it does not, and USER/PASS log in over TLS", async () => {
    const { client } = await Pop3Client.connect(server.ports.pop3!);
    expect((await client.multi("CAPA")).lines).toContain("STLS");
    const r = await client.command("STLS");
    expect(r.ok).toBe(true);
    const secure = await client.startTls(trusting(server));
    expectGoodTls(secure);
    const capa = await client.multi("CAPA");
    expect(capa.lines).not.toContain("STLS");
    expect(capa.lines).toContain("USER");
    expect((await client.command("USER alice@example.com")).ok).toBe(true);
    expect((await client.command("PASS secret")).ok).toBe(true);
    expect((await client.command("STAT")).ok).toBe(true);
    await client.quit();
  });

  test("STLS on an encrypted connection is -ERR and the session goes on", async () => {
    const { client } = await Pop3Client.connect(server.ports.pop3!);
    await client.command("STLS");
    await client.startTls(trusting(server));
    const again = await client.command("STLS");
    expect(again.ok).toBe(false);
    expect(again.text).toContain("already active");
    expect((await client.multi("CAPA")).ok).toBe(true);
    await client.quit();
  });

  test("STLS is neither offered nor accepted in the TRANSACTION state (RFC 2595 §4)", async () => {
    const client = await Pop3Client.login(server.ports.pop3!, "alice@example.com");
    expect((await client.multi("CAPA")).lines).not.toContain("STLS");
    const r = await client.command("STLS");
    expect(r.ok).toBe(false);
    expect(r.text).toContain("TRANSACTION");
    await client.quit();
  });

  test("a USER given before STLS is forgotten: the AUTHORIZATION state starts over", async () => {
    const { client } = await Pop3Client.connect(server.ports.pop3!);
    expect((await client.command("USER alice@example.com")).ok).toBe(true);
    await client.command("STLS");
    await client.startTls(trusting(server));
    const pass = await client.command("PASS secret");
    expect(pass.ok).toBe(false);
    expect(pass.text).toContain("USER first");
    await client.quit();
  });
});

describe("POP3S: implicit TLS", () => {
  test("the handshake comes first, then the greeting; CAPA has no STLS; USER/PASS log in", async () => {
    const { client, greeting } = await Pop3Client.connect(server.ports.pop3s!, "127.0.0.1", {
      tls: trusting(server),
    });
    expectGoodTls(client.socket as TLSSocket);
    expect(greeting.ok).toBe(true);
    expect((await client.multi("CAPA")).lines).not.toContain("STLS");
    expect((await client.command("STLS")).ok).toBe(false);
    expect((await client.command("USER alice@example.com")).ok).toBe(true);
    expect((await client.command("PASS secret")).ok).toBe(true);
    await client.quit();
  });

  test("a plain-text client on the POP3S port gets no greeting and is disconnected", async () => {
    expect(await closesSilently(server.ports.pop3s!, "CAPA\r\n")).not.toContain("+OK");
  });
});

describe("STARTTLS command injection (CVE-2011-0411)", () => {
  test("IMAP: a LOGIN sent in the same packet as STARTTLS is dropped, not run after the handshake", async () => {
    const { client } = await ImapClient.connect(server.ports.imap!);
    client.write('A1 STARTTLS\r\nA2 LOGIN "alice@example.com" "secret"\r\n');
    expect((await client.readUntilTagged("A1")).status).toBe("OK");
    await client.startTls(trusting(server));
    // Whatever the server says before our next tagged answer must not be an answer to A2.
    const noop = await client.command("NOOP", "A3");
    expect(noop.status).toBe("OK");
    expect(noop.untagged.filter((l) => l.startsWith("A2 "))).toEqual([]);
    // And the session was not logged in by the injected command.
    const select = await client.command("SELECT INBOX", "A4");
    expect(select.status).toBe("BAD");
    expect(select.text).toContain("not-authenticated");
    await client.close();
  });

  test("POP3: USER and PASS sent in the same packet as STLS are dropped", async () => {
    const { client } = await Pop3Client.connect(server.ports.pop3!);
    client.write("STLS\r\nUSER alice@example.com\r\nPASS secret\r\n");
    expect((await client.read()).ok).toBe(true);
    await client.startTls(trusting(server));
    // Nothing answers the injected lines: the next reply is the one to our STAT, refused before login.
    const stat = await client.command("STAT");
    expect(stat.ok).toBe(false);
    expect(stat.text).toContain("AUTHORIZATION");
    const pass = await client.command("PASS secret");
    expect(pass.text).toContain("USER first");
    expect(client.unread).toBe(0);
    await client.quit();
  });
});

describe("handshake deadline", () => {
  /**
   * Listeners on the test server's store and certificate, with a short handshake deadline (and, on
   * the implicit-TLS ports, `perAddress` connections per client address when given).
   */
  async function quickListeners(handshakeMs = 300, perAddress?: number) {
    const base = {
      store: server.store,
      log: silentLogger,
      hostname: HOSTNAME,
      primaryDomain: "example.com",
      authFailures: new AuthFailures(),
      tls: server.tls,
    };
    const imaps = await startImap(
      { ...base, maxMessageSize: 1 << 20, timeouts: { tlsHandshakeMs: handshakeMs } },
      {
        port: 0,
        host: "127.0.0.1",
        implicitTls: true,
        ...(perAddress === undefined ? {} : { slots: { perAddress, total: 100 } }),
      },
    );
    const imap = await startImap(
      { ...base, maxMessageSize: 1 << 20, timeouts: { tlsHandshakeMs: handshakeMs } },
      { port: 0, host: "127.0.0.1" },
    );
    const pop3s = await startPop3(
      { ...base, limits: { tlsHandshakeTimeoutMs: handshakeMs } },
      {
        port: 0,
        host: "127.0.0.1",
        implicitTls: true,
        ...(perAddress === undefined ? {} : { slots: { perAddress, total: 100 } }),
      },
    );
    return { imaps, imap, pop3s };
  }

  test("a client that never starts its handshake is disconnected, on IMAPS, POP3S and after STARTTLS", async () => {
    const { imaps, imap, pop3s } = await quickListeners();
    try {
      const started = Date.now();
      expect(await closesSilently(imaps.port, "")).toBe("");
      expect(await closesSilently(pop3s.port, "")).toBe("");
      const { client } = await ImapClient.connect(imap.port);
      expect((await client.command("STARTTLS")).status).toBe("OK");
      await expect(client.readResponseLine()).rejects.toThrow("connection closed");
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await Promise.all([imaps.close(), imap.close(), pop3s.close()]);
    }
  });

  test("closing a listener does not wait for connections still in their handshake", async () => {
    const { imaps, imap, pop3s } = await quickListeners(10_000, 1);
    await imap.close();
    const silent = await Promise.all(
      [imaps.port, pop3s.port].map(
        (port) =>
          new Promise<Socket>((resolve) => {
            const socket = connect(port, "127.0.0.1", () => resolve(socket)).on("error", () => {});
          }),
      ),
    );
    // One connection per address: a second one is dropped at once, which tells that the server has
    // taken the first and holds it in its handshake.
    expect(await closesSilently(imaps.port, "")).toBe("");
    expect(await closesSilently(pop3s.port, "")).toBe("");
    const started = Date.now();
    await Promise.all([imaps.close(), pop3s.close()]);
    expect(Date.now() - started).toBeLessThan(2000);
    for (const socket of silent) socket.destroy();
  });
});
