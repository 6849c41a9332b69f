/**
 * The POP3 listener (RFC 1939, with RFC 2449 CAPA and RFC 5034 SASL): a node:net server that refuses
 * connections past the per-address and global limits with "-ERR [SYS/TEMP]" and hands every other
 * socket to a Connection. Plain TCP for now; STLS arrives with certificates.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { ConnectionLimits, clientAddressKey } from "../security/connection-limits.ts";
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
  const shared = pop3Shared(ctx);
  const slots = new ConnectionLimits({
    perAddress: shared.limits.maxConnectionsPerAddress,
    total: shared.limits.maxConnections,
  });
  const connections = new Set<Connection>();
  const prefix = randomBytes(3).toString("hex");
  let sequence = 0;
  let closing: Promise<void> | undefined;

  const server = createServer((socket) => {
    const client = clientAddressKey(socket.remoteAddress);
    const refusal = slots.tryAcquire(client);
    if (refusal) {
      ctx.log.warn("pop3.connection_refused", { client, limit: refusal });
      socket.on("error", () => {});
      socket.setTimeout(REFUSAL_TIMEOUT_MS, () => socket.destroy());
      // RFC 2449 §8.1.2: SYS/TEMP, a temporary condition; the client may try again later.
      const text = refusal === "address" ? "too many connections from your address" : "too many connections";
      for (const chunk of encodeReply(reply.err(`${text}, try again later`, "SYS/TEMP"))) socket.write(chunk);
      socket.end();
      return;
    }
    const connection = new Connection(socket, shared, `${prefix}${(sequence++).toString(36)}`, client);
    connections.add(connection);
    connection.onClose(() => slots.release(client));
    void connection.finished().then(() => connections.delete(connection));
    connection.start();
  });
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
