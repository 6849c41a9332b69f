/**
 * Turns an accepted plain socket into a server-side TLS socket: for STARTTLS/STLS after the "go ahead"
 * reply, and for implicit-TLS listeners right after accept. The caller must first take its protocol
 * reader off the socket and throw away whatever that reader had buffered: bytes a client sent after
 * STARTTLS and before the handshake were never protected and must not be executed as commands
 * (CVE-2011-0411, RFC 3207 §4.2, RFC 2595 §3.1). Nothing else may read the plain socket afterwards.
 */
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
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
  options: { handshakeTimeoutMs?: number | undefined } = {},
): Promise<TLSSocket> {
  // Nobody reads the plain side any more; its timeout belonged to the protocol that just let go.
  socket.pause();
  socket.setTimeout(0);
  socket.on("error", () => {});
  const secure = new TLSSocket(socket, { isServer: true, secureContext: provider.secureContext() });
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

/** "TLSv1.3 TLS_AES_256_GCM_SHA384", for logs. */
export function describeTls(secure: TLSSocket): string {
  return `${secure.getProtocol() ?? "TLS"} ${secure.getCipher()?.name ?? ""}`.trim();
}
