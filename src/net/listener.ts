/**
 * The one listener skeleton every protocol stands on. `Listener` and `ListenOptions` are what
 * main.ts's listener table speaks for all of them (SMTP, POP3, IMAP, HTTP); `listenTcp()` is the
 * accept loop for the protocols we read ourselves (IMAP, POP3): bind, connection slots per client
 * address and per listener (taken at accept, before any TLS handshake), the one-line refusal, and
 * implicit TLS (RFC 8314 §3.3) before the protocol sees the socket. smtp-server runs its own accept
 * loop; smtp/server.ts gives it the same face.
 */
import { createServer, type Socket } from "node:net";
import type { Logger } from "../log.ts";
import { connectionCounts } from "../metrics/mod.ts";
import { ConnectionLimits, clientAddressKey, type SlotRefusal } from "../security/connection-limits.ts";
import { secureSocket, type TlsProvider } from "../tls/mod.ts";

/** A bound listener: what main.ts keeps, reports in `RunningServer.ports` and closes on stop. */
export interface Listener {
  /** The row of main.ts's listener table ("imap", "pop3s", "submission"...): logs and the `ports` map. */
  readonly name: string;
  /** The port actually bound (the one asked for, or the one the system chose for 0). */
  readonly port: number;
  /** Issue 17: connections open now, where the listener counts them (the runtimes' HTTP servers do not). */
  readonly connections?: number;
  /** Stops accepting, ends the sessions (each protocol in its own words, bounded) and resolves when done. */
  close(): Promise<void>;
}

export interface SlotLimits {
  /** Connections one client address (an IPv6 /64) may hold: one host cannot take every slot. */
  perAddress: number;
  /** Connections in all: bounds sockets and buffers under a flood from many addresses. */
  total: number;
}

/** Where and how a protocol listens; the same for every protocol's start function. */
export interface ListenOptions {
  /** Names the listener in `Listener.name`; the protocol's own name ("imap" or "imaps") when absent. */
  name?: string;
  host: string;
  /** 0 binds any free port (tests). */
  port: number;
  /** TLS from the first byte (RFC 8314 §3.3): the handshake comes before the greeting. Needs a certificate. */
  implicitTls?: boolean;
  /** Overrides of the protocol's slot limits (main.ts passes MAILROOM_MAX_CONNECTIONS_PER_IP). */
  slots?: Partial<SlotLimits>;
}

/** Every protocol's start function has this shape, so main.ts can start each from one table row. */
export type StartListener<Context> = (ctx: Context, options: ListenOptions) => Promise<Listener>;

/** A connection that holds a slot and, on an implicit-TLS listener, finished its handshake. */
export interface Accepted {
  /** The plain socket, or the TLS socket on an implicit-TLS listener. */
  socket: Socket;
  secure: boolean;
  /** The client's slot key (clientAddressKey: an IPv4 address, or an IPv6 /64). */
  client: string;
  /** Frees the slot; idempotent. Also done when the plain socket closes. */
  release(): void;
}

/** What a protocol tells `listenTcp()`: its limits, its words for a refusal, and how to run a session. */
export interface TcpProtocol {
  /**
   * "imap": names the log events (`imap.connection_refused`, `imap.tls_failed`) and the listener
   * when ListenOptions does not ("imap", or "imaps" with implicit TLS).
   */
  protocol: string;
  log: Logger;
  /** The protocol's own slot limits; ListenOptions.slots overrides them. */
  slots: SlotLimits;
  /** The certificate for implicit TLS. */
  tls?: TlsProvider | undefined;
  handshakeTimeoutMs?: number | undefined;
  /** The line a refused client gets on a plain listener (on an implicit-TLS one it gets nothing). */
  refusal(limit: SlotRefusal): string | Uint8Array;
  /** Runs one session; called at once on a plain listener, after the handshake on an implicit-TLS one. */
  accept(connection: Accepted): void;
  /** Called once accepting has stopped: ends every session; `Listener.close()` resolves with it. */
  closeSessions(): Promise<void>;
}

/** A listener `listenTcp()` made; `connections` counts the slots held (sessions and handshakes). */
export interface TcpListener extends Listener {
  readonly connections: number;
}

/** A refused client gets this long to take our one line before we drop it. */
export const REFUSAL_TIMEOUT_MS = 10_000;

/**
 * Room the kernel-level backstop leaves above our own total, for the connections we refuse with a
 * line: `server.maxConnections` bounds sockets even if our accounting had a leak.
 */
const REFUSAL_HEADROOM = 100;

export function listenTcp(options: ListenOptions, protocol: TcpProtocol): Promise<TcpListener> {
  const name = options.name ?? `${protocol.protocol}${options.implicitTls ? "s" : ""}`;
  if (options.implicitTls && !protocol.tls)
    throw new Error(`${name}: implicit TLS needs a certificate (ctx.tls)`);
  const slots = slotLimits(protocol.slots, options);
  const limits = new ConnectionLimits(slots);
  const { log, protocol: event } = protocol;
  /** Implicit-TLS connections still in their handshake: not sessions yet, but closed with the listener. */
  const handshaking = new Set<Socket>();
  let closing: Promise<void> | undefined;
  const counts = connectionCounts(name);

  const server = createServer((socket: Socket) => {
    counts.opened();
    socket.once("close", counts.closed);
    socket.setNoDelay(true);
    socket.on("error", () => {});
    // The slot is taken before any TLS handshake: a host that opens connections and never completes
    // one must hit its per-address limit like any other, not tie up sockets beyond it.
    const client = clientAddressKey(socket.remoteAddress);
    const refused = limits.tryAcquire(client);
    if (refused) {
      log.warn(`${event}.connection_refused`, { client: socket.remoteAddress, limit: refused });
      // On an implicit-TLS port nothing can be said before a handshake we will not spend CPU on.
      if (options.implicitTls) {
        socket.destroy();
        return;
      }
      // A client that does not take our line is dropped soon after.
      socket.setTimeout(REFUSAL_TIMEOUT_MS, () => socket.destroy());
      socket.end(protocol.refusal(refused));
      return;
    }
    let held = true;
    const release = () => {
      if (held) limits.release(client);
      held = false;
    };
    // Heard for the plain socket even when TLS wraps it: a failed handshake frees the slot too.
    socket.once("close", release);
    if (!options.implicitTls) {
      protocol.accept({ socket, secure: false, client, release });
      return;
    }
    handshaking.add(socket);
    secureSocket(socket, protocol.tls!, { handshakeTimeoutMs: protocol.handshakeTimeoutMs })
      .then(
        (secure) => {
          if (closing) secure.destroy();
          else protocol.accept({ socket: secure, secure: true, client, release });
        },
        (error: Error) =>
          log.info(`${event}.tls_failed`, { client: socket.remoteAddress, error: error.message }),
      )
      .finally(() => handshaking.delete(socket));
  });
  server.maxConnections = slots.total + REFUSAL_HEADROOM;

  return new Promise((resolve, reject) => {
    // Until the socket is bound, an error (EACCES, EADDRINUSE) is the caller's to report in one line.
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      server.on("error", (error) => log.error(`${event}.error`, { error }));
      const address = server.address();
      resolve({
        name,
        port: typeof address === "object" && address ? address.port : options.port,
        get connections() {
          return limits.open;
        },
        close: () => {
          closing ??= (async () => {
            server.close();
            for (const socket of handshaking) socket.destroy();
            await protocol.closeSessions();
          })();
          return closing;
        },
      });
    });
  });
}

/** `options.slots` over the protocol's defaults. */
export function slotLimits(defaults: SlotLimits, options: ListenOptions): SlotLimits {
  return {
    perAddress: options.slots?.perAddress ?? defaults.perAddress,
    total: options.slots?.total ?? defaults.total,
  };
}
