/**
 * One query, one server, one try: a datagram over node:dgram (RFC 1035 §4.2.1), or a TCP exchange
 * with its two-byte length prefix (RFC 1035 §4.2.2, RFC 7766) for answers that came truncated.
 *
 * Each UDP query gets a socket of its own, bound by the kernel to a random ephemeral port, and a
 * random ID (the caller's): together about 32 bits a spoofer must guess (RFC 5452 §4, §9.2). Only
 * datagrams from the server's address and port are read, and `read` drops those that do not match
 * the question; the wait goes on until the real answer or the timeout.
 */
import { createSocket, type Socket } from "node:dgram";
import { isIPv6, connect as tcpConnect } from "node:net";
import type { DnsServer } from "./types.ts";
import type { Reply } from "./wire.ts";

export type Exchange =
  | { kind: "reply"; reply: Exclude<Reply, { kind: "foreign" }> }
  | { kind: "timeout" }
  | { kind: "network"; detail: string };

export interface ExchangeOptions {
  timeoutMs: number;
  /** Aborts the exchange (the resolver is closing). */
  signal: AbortSignal;
  /** Classifies each message that arrives; "foreign" ones are ignored. */
  read(bytes: Buffer): Reply;
}

/** RFC 1035 §4.2.2: a TCP message is at most 65535 bytes (its length is 16 bits). */
const MAX_TCP_MESSAGE = 65_535;
/** Bytes read from one TCP exchange before giving up on it: a few messages' worth. */
const MAX_TCP_BYTES = 4 * (2 + MAX_TCP_MESSAGE);

function sameHost(a: string, b: string): boolean {
  const strip = (h: string) =>
    h
      .replace(/%.*$/, "")
      .replace(/^::ffff:/, "")
      .toLowerCase();
  return strip(a) === strip(b);
}

export function udpExchange(server: DnsServer, query: Buffer, options: ExchangeOptions): Promise<Exchange> {
  return new Promise((resolve) => {
    let socket: Socket;
    try {
      socket = createSocket(isIPv6(server.host.replace(/%.*$/, "")) ? "udp6" : "udp4");
    } catch (error) {
      resolve({ kind: "network", detail: describe(error) });
      return;
    }
    const { finish, isDone } = settleOnce(options, resolve, () => {
      socket.removeAllListeners("message");
      // A socket that errors while closing is of no further interest.
      socket.on("error", () => {});
      try {
        socket.close();
      } catch {
        // already closed
      }
    });
    if (isDone()) return;

    // ICMP port unreachable reaches a connected socket as ECONNREFUSED (Node, Bun): fail over at once.
    socket.on("error", (error) => finish({ kind: "network", detail: describe(error) }));
    socket.on("message", (bytes, from) => {
      if (from.port !== server.port || !sameHost(from.address, server.host)) return;
      const reply = options.read(bytes);
      if (reply.kind !== "foreign") finish({ kind: "reply", reply });
    });
    // connect() binds a fresh ephemeral port and lets the kernel drop datagrams from other peers
    // (where the runtime connects for real; the address check above holds everywhere).
    socket.connect(server.port, server.host, () => {
      if (isDone()) return;
      socket.send(query, (error) => {
        if (error) finish({ kind: "network", detail: describe(error) });
      });
    });
  });
}

export function tcpExchange(server: DnsServer, query: Buffer, options: ExchangeOptions): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: server.host, port: server.port });
    let buffered = Buffer.alloc(0);
    let received = 0;
    const { finish, isDone } = settleOnce(options, resolve, () => {
      socket.removeAllListeners("data");
      socket.on("error", () => {});
      socket.destroy();
    });
    if (isDone()) return;

    socket.on("error", (error) => finish({ kind: "network", detail: describe(error) }));
    socket.on("close", () => finish({ kind: "network", detail: "connection closed before the answer" }));
    socket.on("connect", () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(query.length);
      socket.write(Buffer.concat([length, query]));
    });
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
      // A server streaming messages that are not our answer is cut off, not read forever.
      if (received > MAX_TCP_BYTES) {
        finish({ kind: "reply", reply: { kind: "malformed", detail: "too much data over TCP" } });
        return;
      }
      buffered = Buffer.concat([buffered, chunk]);
      // RFC 7766 §6.2.1: several messages may come on one connection; read them one at a time.
      while (buffered.length >= 2) {
        const size = buffered.readUInt16BE(0);
        if (buffered.length < 2 + size) return;
        const message = buffered.subarray(2, 2 + size);
        buffered = buffered.subarray(2 + size);
        const reply = options.read(message);
        if (reply.kind === "truncated") {
          finish({ kind: "reply", reply: { kind: "malformed", detail: "truncated answer over TCP" } });
          return;
        }
        if (reply.kind !== "foreign") {
          finish({ kind: "reply", reply });
          return;
        }
      }
    });
  });
}

/**
 * The end of one exchange, whichever comes first (the answer, an error, the timeout, the resolver
 * closing): settles it once, stops the timer and the abort listener, and lets the socket go.
 * Already done on return when the signal had fired; the caller then starts nothing.
 */
function settleOnce(
  options: ExchangeOptions,
  resolve: (result: Exchange) => void,
  release: () => void,
): { finish: (result: Exchange) => void; isDone: () => boolean } {
  let done = false;
  const finish = (result: Exchange) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    options.signal.removeEventListener("abort", onAbort);
    release();
    resolve(result);
  };
  const onAbort = () => finish({ kind: "network", detail: "resolver closed" });
  const timer = setTimeout(() => finish({ kind: "timeout" }), options.timeoutMs);
  options.signal.addEventListener("abort", onAbort);
  if (options.signal.aborted) onAbort();
  return { finish, isDone: () => done };
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" && !message.includes(code) ? `${code} ${message}` : message;
}
