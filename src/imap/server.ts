/**
 * The IMAP listeners: port 143 (STARTTLS) and port 993 (implicit TLS, RFC 8314 §3.3, where the
 * handshake comes first), on the shared skeleton (net/listener.ts: slots, refusal, handshake). Each
 * accepted connection runs one ImapSession.
 */
import { type Listener, type ListenOptions, listenTcp } from "../net/listener.ts";
import type { ImapContext } from "./context.ts";
import { IMAP_LIMITS } from "./protocol/limits.ts";
import { ImapSession } from "./session.ts";

/** Closing says BYE to every session and resolves once their sockets have closed. */
export function startImap(ctx: ImapContext, options: ListenOptions): Promise<Listener> {
  const sessions = new Map<ImapSession, Promise<void>>();
  return listenTcp(options, {
    protocol: "imap",
    log: ctx.log,
    slots: { perAddress: IMAP_LIMITS.maxConnectionsPerAddress, total: IMAP_LIMITS.maxConnections },
    tls: ctx.tls,
    handshakeTimeoutMs: ctx.timeouts?.tlsHandshakeMs,
    // RFC 3501 §7.1.5: BYE as the greeting refuses the connection.
    refusal: (limit) =>
      `* BYE [UNAVAILABLE] Too many connections${limit === "address" ? " from your address" : ""}, try again later\r\n`,
    accept({ socket, secure, release }) {
      const session = new ImapSession(ctx, socket, { secure });
      const client = socket.remoteAddress;
      sessions.set(
        session,
        new Promise<void>((closed) =>
          socket.once("close", () => {
            sessions.delete(session);
            release();
            ctx.log.info("imap.close", { session: session.id, client });
            closed();
          }),
        ),
      );
      ctx.log.info("imap.connect", { session: session.id, client });
      session.run().catch((error: unknown) => {
        ctx.log.error("imap.session_failed", { session: session.id, error });
        socket.destroy();
      });
    },
    async closeSessions() {
      const closed = [...sessions.values()];
      // Idle sessions get BYE at once; a command in flight is finished and answered first.
      for (const session of sessions.keys()) session.shutdown();
      const all = Promise.all(closed);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = await Promise.race([
        all.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), IMAP_LIMITS.closeTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (late) for (const session of sessions.keys()) session.socket.destroy();
      await all;
    },
  });
}
