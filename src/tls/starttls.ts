/**
 * Turns an accepted plain socket into a server-side TLS socket: for STARTTLS/STLS after the "go ahead"
 * reply, and for implicit-TLS listeners right after accept. The caller must first take its protocol
 * reader off the socket and throw away whatever that reader had buffered: bytes a client sent after
 * STARTTLS and before the handshake were never protected and must not be executed as commands
 * (CVE-2011-0411, RFC 3207 §4.2, RFC 2595 §3.1). Nothing else may read the plain socket afterwards.
 * `upgradeToTls()` is the STARTTLS/STLS swap IMAP and POP3 share; `secureSocket()` the handshake alone.
 */
import type { Socket } from "node:net";
import { type SecureContext, TLSSocket } from "node:tls";
import type { Logger } from "../log.ts";
import type { TlsProvider } from "./context.ts";

/** A client that connects (or says STARTTLS) and never finishes the handshake holds a slot this long at most. */
export const HANDSHAKE_TIMEOUT_MS = 30_000;

export class TlsHandshakeError extends Error {
  override name = "TlsHandshakeError";
}

/**
 * Wraps `socket` and resolves with the TLS socket once the handshake is done; rejects with
 * TlsHandshakeError (the connection destroyed) when it fails, times out or the client goes away.
 * The handshake uses the provider's context as of now; a later reload does not affect this connection.
 */
export function secureSocket(
  socket: Socket,
  provider: TlsProvider,
  options: {
    handshakeTimeoutMs?: number | undefined;
    /** Instead of the provider's (the TLS-ALPN-01 challenge certificate, RFC 8737 §3). */
    secureContext?: SecureContext;
    /** The protocols this server speaks (RFC 7301): the one the client also offers is chosen. */
    ALPNProtocols?: string[];
  } = {},
): Promise<TLSSocket> {
  // Nobody reads the plain side any more; its timeout belonged to the protocol that just let go.
  socket.pause();
  socket.setTimeout(0);
  socket.on("error", () => {});
  const secure = new TLSSocket(socket, {
    isServer: true,
    secureContext: options.secureContext ?? provider.secureContext(),
    ...(options.ALPNProtocols ? { ALPNProtocols: options.ALPNProtocols } : {}),
  });
  // Errors are followed by "close", which the protocol handles; never let one go unhandled.
  secure.on("error", () => {});
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      done();
      secure.destroy();
      socket.destroy();
      reject(new TlsHandshakeError(why));
    };
    const onError = (error: Error) => fail(error.message.split("\n")[0] ?? "TLS error");
    const onClose = () => fail("connection closed during the TLS handshake");
    const timer = setTimeout(
      () => fail("TLS handshake timed out"),
      options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
    );
    const onSecure = () => {
      done();
      resolve(secure);
    };
    function done(): void {
      clearTimeout(timer);
      secure.off("secure", onSecure);
      secure.off("error", onError);
      secure.off("close", onClose);
    }
    secure.once("secure", onSecure);
    secure.once("error", onError);
    secure.once("close", onClose);
  });
}

export interface UpgradeOptions {
  /** Names the log events: `${protocol}.${command}`, `${protocol}.${command}_injection`, `${protocol}.tls_failed`. */
  protocol: string;
  /** "starttls" (IMAP, RFC 3501 §6.2.1) or "stls" (POP3, RFC 2595 §4). */
  command: string;
  /** Bytes the protocol's reader held beyond the command line and threw away unread. */
  dropped: number;
  handshakeTimeoutMs?: number | undefined;
  log: Logger;
  /** Added to every event (session id, client). */
  fields: Record<string, unknown>;
}

/**
 * The STARTTLS/STLS swap, once the protocol has taken its reader (and its timeout) off the plain
 * socket and sent its "go ahead": reports bytes that came in the clear after the command (plaintext
 * injection, CVE-2011-0411: they were dropped, never run), runs the handshake, and logs the outcome.
 * Resolves with the TLS socket for the protocol to read from, or undefined when the handshake failed
 * (the connection is gone). The handshake starts synchronously, in the caller's turn, so no byte of it
 * can reach a plain-text reader.
 */
export async function upgradeToTls(
  plain: Socket,
  provider: TlsProvider,
  options: UpgradeOptions,
): Promise<TLSSocket | undefined> {
  const { log, protocol, command, fields } = options;
  if (options.dropped > 0)
    log.warn(`${protocol}.${command}_injection`, { ...fields, bytes: options.dropped });
  try {
    const secure = await secureSocket(plain, provider, { handshakeTimeoutMs: options.handshakeTimeoutMs });
    log.info(`${protocol}.${command}`, { ...fields, tls: describeTls(secure) });
    return secure;
  } catch (error) {
    log.info(`${protocol}.tls_failed`, { ...fields, error: (error as Error).message });
    return undefined;
  }
}

/** "TLSv1.3 TLS_AES_256_GCM_SHA384", for logs. */
export function describeTls(secure: TLSSocket): string {
  return `${secure.getProtocol() ?? "TLS"} ${secure.getCipher()?.name ?? ""}`.trim();
}
