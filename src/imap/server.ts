/**
 * The IMAP listener (port 143): accepts connections within the per-address and global limits and
 * runs one ImapSession per connection.
 */
import { createServer, type Server, type Socket } from "node:net";
import { ConnectionLimits, clientAddressKey } from "../security/connection-limits.ts";
import type { ImapContext } from "./context.ts";
import { IMAP_LIMITS } from "./protocol/limits.ts";
import { ImapSession } from "./session.ts";

export interface ImapListener {
  port: number;
  /** Stops accepting, says BYE to every session and waits for them to close. */
  close(): Promise<void>;
}

export function startImap(
  ctx: ImapContext,
  options: { port: number; host: string; limits?: { perAddress: number; total: number } },
): Promise<ImapListener> {
  const limits = new ConnectionLimits(
    options.limits ?? { perAddress: IMAP_LIMITS.maxConnectionsPerAddress, total: IMAP_LIMITS.maxConnections },
  );
  const sessions = new Set<ImapSession>();
  const server: Server = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    const key = clientAddressKey(socket.remoteAddress);
    const refused = limits.tryAcquire(key);
    if (refused) {
      // RFC 3501 §7.1.5: BYE as the greeting refuses the connection.
      socket.end(
        `* BYE [UNAVAILABLE] Too many connections${refused === "address" ? " from your address" : ""}, try again later\r\n`,
      );
      socket.on("error", () => {});
      return;
    }
    const session = new ImapSession(ctx, socket);
    sessions.add(session);
    ctx.log.info("imap.connect", { session: session.id, client: socket.remoteAddress });
    socket.once("close", () => {
      sessions.delete(session);
      limits.release(key);
      ctx.log.info("imap.close", { session: session.id, client: socket.remoteAddress });
    });
    session.run().catch((error: unknown) => {
      ctx.log.error("imap.session_failed", { session: session.id, error });
      socket.destroy();
    });
  });
  server.maxConnections = IMAP_LIMITS.maxConnections + 100;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : options.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sessions) {
              s.untagged(["BYE Server shutting down"]);
              s.close();
            }
          }),
      });
    });
  });
}
