/**
 * The POP3 listener (RFC 1939, with RFC 2449 CAPA and RFC 5034 SASL): a node:net server that refuses
 * connections past the per-address and global limits (taken at accept, before any handshake) with
 * "-ERR [SYS/TEMP]" and hands every other socket to a Connection. With `implicitTls` (POP3S,
 * RFC 8314 §3.3) the TLS handshake comes first; otherwise the connection may upgrade with STLS
 * (RFC 2595 §4).
 */
import { randomBytes } from "node:crypto";
import { createServer, type Socket } from "node:net";
import { ConnectionLimits, clientAddressKey } from "../security/connection-limits.ts";
import { secureSocket } from "../tls/mod.ts";
import { Connection } from "./connection.ts";
import { type Pop3Context, pop3Shared } from "./context.ts";
import { encodeReply, reply } from "./protocol/response.ts";

export type { Pop3Context } from "./context.ts";

export interface Pop3Listener {
  port: number;
  /** Stops accepting; lets commands in progress (an UPDATE) finish, bounded, then closes every session. */
  close(): Promise<void>;
  /** Open connections and the bytes queued in their sockets (the output backpressure bounds the latter). */
  stats(): { connections: number; queuedBytes: number };
}

/** A refused client gets this long to take our one line before we drop it. */
const REFUSAL_TIMEOUT_MS = 10_000;

export function startPop3(ctx: Pop3Context): Promise<Pop3Listener> {
  if (ctx.implicitTls && !ctx.tls) throw new Error("implicit TLS needs a certificate (ctx.tls)");
  const shared = pop3Shared(ctx);
  const slots = new ConnectionLimits({
    perAddress: shared.limits.maxConnectionsPerAddress,
    total: shared.limits.maxConnections,
  });
  const connections = new Set<Connection>();
  /** POP3S connections still in their handshake: not sessions yet, but closed with the listener. */
  const handshaking = new Set<Socket>();
  const prefix = randomBytes(3).toString("hex");
  let sequence = 0;
  let closing: Promise<void> | undefined;

  /** Runs one session on `socket` (plain, or TLS once the handshake is done); `release` frees its slot. */
  const accept = (socket: Socket, secure: boolean, client: string, release: () => void) => {
    const connection = new Connection(socket, shared, `${prefix}${(sequence++).toString(36)}`, client, {
      secure,
    });
    connections.add(connection);
    connection.onClose(release);
    void connection.finished().then(() => connections.delete(connection));
    connection.start();
  };

  const server = createServer((socket) => {
    socket.on("error", () => {});
    // The slot is taken before any TLS handshake: a host that opens connections and never completes
    // one must hit its per-address limit like any other, not tie up sockets beyond it.
    const client = clientAddressKey(socket.remoteAddress);
    const refusal = slots.tryAcquire(client);
    if (refusal) {
      ctx.log.warn("pop3.connection_refused", { client, limit: refusal });
      // On the POP3S port nothing can be said before a handshake we will not spend CPU on.
      if (ctx.implicitTls) {
        socket.destroy();
        return;
      }
      socket.setTimeout(REFUSAL_TIMEOUT_MS, () => socket.destroy());
      // RFC 2449 §8.1.2: SYS/TEMP, a temporary condition; the client may try again later.
      const text = refusal === "address" ? "too many connections from your address" : "too many connections";
      for (const chunk of encodeReply(reply.err(`${text}, try again later`, "SYS/TEMP"))) socket.write(chunk);
      socket.end();
      return;
    }
    let held = true;
    const release = () => {
      if (held) slots.release(client);
      held = false;
    };
    // Heard for the plain socket even when TLS wraps it: a failed handshake frees the slot too.
    socket.once("close", release);
    if (!ctx.implicitTls) {
      accept(socket, false, client, release);
      return;
    }
    handshaking.add(socket);
    secureSocket(socket, ctx.tls!, { handshakeTimeoutMs: shared.limits.tlsHandshakeTimeoutMs })
      .then(
        (secure) => {
          if (closing) secure.destroy();
          else accept(secure, true, client, release);
        },
        (error: Error) =>
          ctx.log.info("pop3.tls_failed", { client: socket.remoteAddress, error: error.message }),
      )
      .finally(() => handshaking.delete(socket));
  });
  server.maxConnections = shared.limits.maxConnections + 100;
  server.on("error", (error) => ctx.log.error("pop3.error", { error }));

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(ctx.port, ctx.bind, () => {
      server.off("error", reject);
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : ctx.port,
        close: () => {
          closing ??= closeAll();
          return closing;
        },
        stats: () => ({
          connections: slots.open,
          queuedBytes: [...connections].reduce((sum, c) => sum + c.queuedBytes, 0),
        }),
      });
    });
  });

  async function closeAll(): Promise<void> {
    server.close();
    for (const socket of handshaking) socket.destroy();
    const all = [...connections];
    for (const connection of all) connection.shutdown();
    const finished = Promise.allSettled(all.map((c) => c.finished()));
    if (!(await within(finished, shared.limits.closeTimeoutMs))) {
      for (const connection of all) connection.destroy();
      await within(finished, shared.limits.closeTimeoutMs);
    }
  }
}

/** Whether `promise` settled within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
