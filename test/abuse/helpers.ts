/**
 * Shared by the abuse tests: extra IMAP, POP3 and SMTP listeners on a test server's store with their own
 * limiter, limits and timeouts (test-sized), a log that keeps its events, and small timing helpers.
 */
import { connect, type Socket } from "node:net";
import type { ImapContext } from "../../src/imap/context.ts";
import { startImap } from "../../src/imap/server.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import type { Listener } from "../../src/net/listener.ts";
import type { Pop3Context, Pop3Listener } from "../../src/pop3/server.ts";
import { startPop3 } from "../../src/pop3/server.ts";
import { AuthFailures } from "../../src/security/auth-failures.ts";
import type { SmtpContext } from "../../src/smtp/context.ts";
import { createQueueRunner } from "../../src/smtp/queue/runner.ts";
import { startSmtp } from "../../src/smtp/server.ts";
import type { TestServer } from "../harness/server.ts";

export interface CapturedLog {
  log: Logger;
  /** The events logged so far, optionally only those named `event`. */
  events(event?: string): Array<Record<string, unknown>>;
}

export function captureLog(): CapturedLog {
  const all: Array<Record<string, unknown>> = [];
  const log = createLogger({ level: "debug", write: (line) => all.push(JSON.parse(line)) });
  return { log, events: (event) => (event ? all.filter((e) => e.event === event) : [...all]) };
}

/**
 * The abuse tests play many client hosts from 127.x addresses; the extra listeners trust all of
 * 127.0.0.0/8 so those hosts may log in without TLS (the server's default trusts 127.0.0.1 alone).
 */
export const TRUST_LOOPBACK_NET = { allow: false, trustedNetworks: ["127.0.0.0/8"] };

/** An IMAP listener on the server's store; pass `authFailures` to share one limiter between listeners. */
export function extraImap(
  server: TestServer,
  ctx: Partial<ImapContext> = {},
  options: { limits?: { perAddress: number; total: number }; implicitTls?: boolean } = {},
): Promise<Listener> {
  return startImap(
    {
      store: server.store,
      log: createLogger({ level: "error", write: () => {} }),
      hostname: "imap.test.example",
      primaryDomain: "example.com",
      maxMessageSize: 1 << 20,
      authFailures: new AuthFailures(),
      plaintextAuth: TRUST_LOOPBACK_NET,
      ...ctx,
    },
    { port: 0, host: "127.0.0.1", implicitTls: options.implicitTls, slots: options.limits },
  );
}

/**
 * An inbound SMTP listener (port 25 rules) on the server's store, with its own limits, memory
 * budgets and spool. Its queue runner is never started: tests here deliver to local accounts only.
 */
export function extraSmtp(server: TestServer, ctx: Partial<SmtpContext> = {}): Promise<Listener> {
  const log = ctx.log ?? createLogger({ level: "error", write: () => {} });
  const queue = createQueueRunner({
    store: server.store,
    log,
    hostname: "mx.test.example",
    routes: [],
    retry: [60_000],
    maxAge: 86_400_000,
    resolver: server.dns,
  });
  return startSmtp(
    {
      store: server.store,
      log,
      hostname: "mx.test.example",
      primaryDomain: "example.com",
      maxMessageSize: 1 << 20,
      maxRecipients: 100,
      mode: "inbound",
      authFailures: new AuthFailures(),
      queue,
      tls: server.tls,
      ...ctx,
    },
    { port: 0, host: "127.0.0.1" },
  );
}

/** A POP3 listener on the server's store. */
export function extraPop3(
  server: TestServer,
  ctx: Partial<Pop3Context> = {},
  options: { implicitTls?: boolean } = {},
): Promise<Pop3Listener> {
  return startPop3(
    {
      store: server.store,
      log: createLogger({ level: "error", write: () => {} }),
      hostname: "pop.test.example",
      primaryDomain: "example.com",
      plaintextAuth: TRUST_LOOPBACK_NET,
      ...ctx,
    },
    { port: 0, host: "127.0.0.1", ...options },
  );
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

/** A bare TCP connection (from `localAddress`), resolved once connected; errors are swallowed. */
export function rawConnect(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  }).then((socket) => {
    (socket as Socket).on("error", () => {});
    return socket as Socket;
  });
}

/** Resolves when `socket` closes, with everything it received. */
export function closedWith(socket: Socket): Promise<string> {
  let received = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => {
    received += chunk;
  });
  return new Promise((resolve) => {
    if (socket.destroyed) resolve(received);
    else socket.once("close", () => resolve(received));
  });
}
