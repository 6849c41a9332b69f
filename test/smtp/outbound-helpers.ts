/**
 * Shared by the outbound transport-security tests (MTA-STS, DANE, REQUIRETLS, TLS-RPT, smarthosts,
 * DSN notices): submitting through a real Mailroom (plain or STARTTLS with REQUIRETLS, via
 * nodemailer's client), waiting for the queue or a mailbox, SMTP peers on one port across several
 * loopback addresses (MX delivery uses one port, so each MX host gets its own 127.0.0.x), and an
 * HTTPS server for MTA-STS policies and TLS-RPT uploads.
 */
import { createServer as createHttpsServer, type Server } from "node:https";
import SMTPConnection from "nodemailer/lib/smtp-connection";
import { accountGet, type QueueItem, queueList } from "../../src/store/mod.ts";
import { mailboxContents, type TestServer } from "../harness/server.ts";
import { type Peer, type PeerOptions, startPeer } from "./peer.ts";

export function message(from: string, to: string, subject: string, extra = ""): string {
  return `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\n${extra}\r\nHello.\r\n`;
}

/**
 * Submits on 587 as `user` (password "secret"), with STARTTLS first; `requireTls` adds REQUIRETLS to
 * MAIL FROM (RFC 8689), `notify` NOTIFY on every RCPT. Resolves with the final reply.
 */
export function submit(
  server: TestServer,
  input: {
    user: string;
    to: string[];
    raw: string;
    requireTls?: boolean;
    notify?: Array<"SUCCESS" | "FAILURE" | "DELAY" | "NEVER">;
    utf8?: boolean;
  },
): Promise<{ ok: boolean; response: string }> {
  return new Promise((resolve, reject) => {
    const connection = new SMTPConnection({
      host: "127.0.0.1",
      port: server.ports.submission!,
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      name: "client.test",
      logger: false,
    });
    connection.on("error", reject);
    connection.connect(() => {
      connection.login({ user: input.user, pass: "secret" }, (authError) => {
        if (authError) return reject(authError);
        const envelope = {
          from: input.user,
          to: input.to,
          ...(input.requireTls ? { requireTLSExtensionEnabled: true } : {}),
          ...(input.notify ? { dsn: { notify: input.notify } } : {}),
        } as SMTPConnection.Envelope;
        connection.send(envelope, Buffer.from(input.raw), (error, info) => {
          connection.quit();
          if (error) return resolve({ ok: false, response: String(error.response ?? error.message) });
          resolve({ ok: true, response: String(info.response) });
        });
      });
    });
  });
}

/** The first message in a mailbox matching `match`, waiting for it (store change events, a deadline). */
export async function arrival(
  server: TestServer,
  address: string,
  match: (raw: string) => boolean,
  timeoutMs = 20_000,
): Promise<string> {
  const account = await accountGet(server.store.read, address);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await mailboxContents(server, address)).map((m) => m.raw.toString()).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`nothing matching arrived for ${address}`);
    await new Promise<void>((resolve) => {
      const stop = server.store.changes.subscribe(account.id, () => done());
      const timer = setTimeout(() => done(), 50);
      function done() {
        stop();
        clearTimeout(timer);
        resolve();
      }
    });
  }
}

/** Polls the queue (every 20 ms, hard deadline) until `check` finds what it waits for. */
export async function queueState<T>(
  server: TestServer,
  check: (items: QueueItem[]) => T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check(await queueList(server.store.read, { limit: 100 }));
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting on the queue");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const deferredFor = (recipient: string) => (items: QueueItem[]) =>
  items.find((i) => i.recipient === recipient && i.attempts >= 1);
export const goneFor = (recipient: string) => (items: QueueItem[]) =>
  items.some((i) => i.recipient === recipient) ? undefined : true;

/**
 * Peers on one port, one per loopback address (127.0.0.1, .2, ...), since MX delivery goes to one
 * port (the test's `mxPort`) and the MX host's address tells them apart.
 */
export async function startPeersOnOnePort(options: PeerOptions[]): Promise<{ port: number; peers: Peer[] }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const first = await startPeer({ ...options[0], host: "127.0.0.1" });
    const peers = [first];
    try {
      for (let i = 1; i < options.length; i++)
        peers.push(await startPeer({ ...options[i], host: `127.0.0.${i + 1}`, port: first.port }));
      return { port: first.port, peers };
    } catch {
      await Promise.all(peers.map((p) => p.close()));
    }
  }
  throw new Error("no port free on all the loopback addresses");
}

export interface HttpsTestServer {
  port: number;
  /** Requests seen, by Host header and path. */
  requests: Array<{ host: string; method: string; path: string; contentType: string; body: Buffer }>;
  close(): Promise<void>;
}

/** An HTTPS server (certificate from the test CA) answering with `handler`. */
export async function startHttps(
  pair: { cert: string; key: string },
  handler: (req: {
    host: string;
    method: string;
    path: string;
  }) => { status: number; type?: string; body?: string | Buffer; headers?: Record<string, string> } | "hang",
): Promise<HttpsTestServer> {
  const requests: HttpsTestServer["requests"] = [];
  const server: Server = createHttpsServer({ cert: pair.cert, key: pair.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const host = String(req.headers.host ?? "").replace(/:\d+$/, "");
      const entry = {
        host,
        method: req.method ?? "GET",
        path: req.url ?? "/",
        contentType: String(req.headers["content-type"] ?? ""),
        body: Buffer.concat(chunks),
      };
      requests.push(entry);
      const answer = handler(entry);
      if (answer === "hang") return; // never answers: the client's timeout must end it
      res.writeHead(answer.status, { "content-type": answer.type ?? "text/plain", ...answer.headers });
      res.end(answer.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export function stsPolicy(mode: "enforce" | "testing" | "none", mx: string[], maxAge = 86_400): string {
  return `version: STSv1\r\nmode: ${mode}\r\n${mx.map((m) => `mx: ${m}\r\n`).join("")}max_age: ${maxAge}\r\n`;
}
