/**
 * The IMAP listeners: port 143 (STARTTLS) and port 993 (implicit TLS, RFC 8314 §3.3, where the
 * handshake comes first). Both accept connections within the per-address and global limits (taken
 * at accept, before any handshake) and run one ImapSession per connection.
 */
import { createServer, type Server, type Socket } from "node:net";
import { ConnectionLimits, clientAddressKey } from "../security/connection-limits.ts";
import { secureSocket } from "../tls/mod.ts";
import type { ImapContext } from "./context.ts";
import { IMAP_LIMITS } from "./protocol/limits.ts";
import { ImapSession } from "./session.ts";

export interface ImapListener {
  port: number;
  /** Stops accepting, says BYE to every session and waits for them to close. */
  close(): Promise<void>;
}

/** A refused client gets this long to take our BYE before we drop it. */
const REFUSAL_TIMEOUT_MS = 10_000;

export function startImap(
  ctx: ImapContext,
  options: {
    port: number;
    host: string;
    limits?: { perAddress: number; total: number };
    /** Implicit TLS (imaps): needs `ctx.tls`. */
    implicitTls?: boolean;
  },
): Promise<ImapListener> {
  if (options.implicitTls && !ctx.tls) throw new Error("implicit TLS needs a certificate (ctx.tls)");
  const slots = options.limits ?? {
    perAddress: IMAP_LIMITS.maxConnectionsPerAddress,
    total: IMAP_LIMITS.maxConnections,
  };
  const limits = new ConnectionLimits(slots);
  const sessions = new Set<ImapSession>();
  /** Implicit-TLS connections still in their handshake: not sessions yet, but closed with the listener. */
  const handshaking = new Set<Socket>();
  /** Runs one session on `socket` (plain, or TLS once the handshake is done); `release` frees its slot. */
  const accept = (socket: Socket, secure: boolean, release: () => void) => {
    const session = new ImapSession(ctx, socket, { secure });
    sessions.add(session);
    ctx.log.info("imap.connect", { session: session.id, client: socket.remoteAddress });
    socket.once("close", () => {
      sessions.delete(session);
      release();
      ctx.log.info("imap.close", { session: session.id, client: socket.remoteAddress });
    });
    session.run().catch((error: unknown) => {
      ctx.log.error("imap.session_failed", { session: session.id, error });
      socket.destroy();
    });
  };
  const server: Server = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    socket.on("error", () => {});
    // The slot is taken before any TLS handshake: a host that opens connections and never completes
    // one must hit its per-address limit like any other, not tie up sockets beyond it.
    const key = clientAddressKey(socket.remoteAddress);
    const refused = limits.tryAcquire(key);
    if (refused) {
      ctx.log.warn("imap.connection_refused", { client: socket.remoteAddress, limit: refused });
      // On the TLS port nothing can be said before a handshake we will not spend CPU on.
      if (options.implicitTls) {
        socket.destroy();
        return;
      }
      // RFC 3501 §7.1.5: BYE as the greeting refuses the connection; a client that does not take it
      // is dropped soon after.
      socket.setTimeout(REFUSAL_TIMEOUT_MS, () => socket.destroy());
      socket.end(
        `* BYE [UNAVAILABLE] Too many connections${refused === "address" ? " from your address" : ""}, try again later\r\n`,
      );
      return;
    }
    let held = true;
    const release = () => {
      if (held) limits.release(key);
      held = false;
    };
    // Heard for the plain socket even when TLS wraps it: a failed handshake frees the slot too.
    socket.once("close", release);
    if (!options.implicitTls) {
      accept(socket, false, release);
      return;
    }
    handshaking.add(socket);
    secureSocket(socket, ctx.tls!, { handshakeTimeoutMs: ctx.timeouts?.tlsHandshakeMs })
      .then(
        (secure) => accept(secure, true, release),
        (error: Error) =>
          ctx.log.info("imap.tls_failed", { client: socket.remoteAddress, error: error.message }),
      )
      .finally(() => handshaking.delete(socket));
  });
  // A backstop under our own limit: room for the refusals, never unbounded.
  server.maxConnections = slots.total + 100;
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
            for (const socket of handshaking) socket.destroy();
            for (const s of sessions) {
              s.untagged(["BYE Server shutting down"]);
              s.close();
            }
          }),
      });
    });
  });
}
