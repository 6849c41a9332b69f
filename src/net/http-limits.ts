/**
 * Limits of the public web listeners (net/http.ts), each with what it stops. These listeners face
 * the whole internet on 80 and 443 and serve a few small documents, so everything is tight.
 */

const KiB = 1024;

export const HTTP_LIMITS = {
  /** Connections one client address may hold: one host cannot take every slot. */
  perAddress: 20,
  /** Connections in all: bounds sockets and buffers under a flood from many addresses. */
  total: 1000,
  /**
   * A TLS ClientHello must have arrived this soon after connect (the listener reads it to choose the
   * certificate, RFC 8737 §3): a client that sends nothing cannot hold a slot longer.
   */
  helloTimeoutMs: 10_000,
  /** The TLS handshake after the hello. */
  handshakeTimeoutMs: 10_000,
  /** Request line and headers (slowloris: headers dribbled in forever). */
  headersTimeoutMs: 10_000,
  /** A whole request, body included. */
  requestTimeoutMs: 30_000,
  /** An idle kept-alive connection is closed after this. */
  keepAliveMs: 5_000,
  /** Request line and headers together. */
  maxHeaderBytes: 16 * KiB,
  /**
   * A request body (only Autodiscover POSTs one: a few hundred bytes of XML). Larger is a 413 before
   * anything is buffered beyond this.
   */
  maxBodyBytes: 64 * KiB,
} as const;
