/**
 * The POP3 listener (RFC 1939, with RFC 2449 CAPA and RFC 5034 SASL) on the shared skeleton
 * (net/listener.ts): connections past the per-address and global limits (taken at accept, before
 * any handshake) are refused with "-ERR [SYS/TEMP]", every other socket goes to a Connection. With
 * `implicitTls` (POP3S, RFC 8314 §3.3) the TLS handshake comes first; otherwise the connection may
 * upgrade with STLS (RFC 2595 §4).
 */
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { type Listener, type ListenOptions, listenTcp } from "../net/listener.ts";
import { Connection } from "./connection.ts";
import { type Pop3Context, pop3Shared } from "./context.ts";
import { encodeReply, reply } from "./protocol/response.ts";

export type { Pop3Context } from "./context.ts";

export interface Pop3Listener extends Listener {
  /** Open connections and the bytes queued in their sockets (the output backpressure bounds the latter). */
  stats(): { connections: number; queuedBytes: number };
}

/** Closing lets commands in progress (an UPDATE) finish, bounded, then closes every session. */
export async function startPop3(ctx: Pop3Context, options: ListenOptions): Promise<Pop3Listener> {
  const shared = pop3Shared(ctx);
  const { limits } = shared;
  const connections = new Set<Connection>();
  const prefix = randomBytes(3).toString("hex");
  let sequence = 0;

  const listener = await listenTcp(options, {
    protocol: "pop3",
    log: ctx.log,
    slots: { perAddress: limits.maxConnectionsPerAddress, total: limits.maxConnections },
    tls: ctx.tls,
    handshakeTimeoutMs: limits.tlsHandshakeTimeoutMs,
    refusal(limit) {
      // RFC 2449 §8.1.2: SYS/TEMP, a temporary condition; the client may try again later.
      const text = limit === "address" ? "too many connections from your address" : "too many connections";
      return Buffer.concat(encodeReply(reply.err(`${text}, try again later`, "SYS/TEMP")));
    },
    accept({ socket, secure, client, release }) {
      const id = `${prefix}${(sequence++).toString(36)}`;
      const connection = new Connection(socket, shared, id, client, { secure });
      connections.add(connection);
      connection.onClose(release);
      void connection.finished().then(() => connections.delete(connection));
      connection.start();
    },
    async closeSessions() {
      const all = [...connections];
      for (const connection of all) connection.shutdown();
      const finished = Promise.allSettled(all.map((c) => c.finished()));
      if (!(await within(finished, limits.closeTimeoutMs))) {
        for (const connection of all) connection.destroy();
        await within(finished, limits.closeTimeoutMs);
      }
    },
  });
  return {
    name: listener.name,
    port: listener.port,
    get connections() {
      return listener.connections;
    },
    close: () => listener.close(),
    stats: () => ({
      connections: listener.connections,
      queuedBytes: [...connections].reduce((sum, c) => sum + c.queuedBytes, 0),
    }),
  };
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
