/**
 * The public web listeners (MAILROOM_PUBLIC_HTTP_PORT, MAILROOM_PUBLIC_HTTPS_PORT): HTTP/1.1 served
 * from our own accept loop (listenTcp: connection slots per address, the same face as every other
 * listener) with node:http parsing the requests and a web-standard `fetch` handler (a Hono app)
 * answering them. On the HTTPS listener the ClientHello is read before the handshake, so that a
 * TLS-ALPN-01 validation (RFC 8737 §3, ALPN "acme-tls/1") can be answered with its challenge
 * certificate; every other handshake gets the provider's certificate as of that moment (reloads and
 * ACME renewals apply to new connections, open ones keep theirs). The runtimes' own HTTP servers cannot
 * choose a certificate by ALPN, and node:http over sockets we hand it works the same on both.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { SecureContext } from "node:tls";
import type { Logger } from "../log.ts";
import { type ClientHello, MAX_CLIENT_HELLO_BYTES, parseClientHello } from "../tls/client-hello.ts";
import { secureSocket, type TlsProvider } from "../tls/mod.ts";
import { HTTP_LIMITS } from "./http-limits.ts";
import { type Accepted, type ListenOptions, listenTcp, type TcpListener } from "./listener.ts";

/** What a handshake offering a protocol of ours gets instead of the server's certificate. */
export type AlpnAnswer =
  | { context: SecureContext; protocol: string }
  /** A challenge protocol for a name we have no challenge for: the connection is closed. */
  | "refuse";

export interface HttpListenerOptions {
  log: Logger;
  /** Answers each request; `secure` says whether it came over TLS. */
  fetch: (request: Request) => Response | Promise<Response>;
  /** Makes it an HTTPS listener. */
  tls?: TlsProvider;
  /** Asked for each ClientHello first: an answer for special protocols (acme-tls/1), else undefined. */
  alpn?: (hello: ClientHello) => AlpnAnswer | undefined;
}

/** Binds an HTTP (or, with `tls`, HTTPS) listener. */
export function listenHttp(options: ListenOptions, http: HttpListenerOptions): Promise<TcpListener> {
  const secure = http.tls !== undefined;
  const scheme = secure ? "https" : "http";
  const { log } = http;
  const sockets = new Set<Socket>();
  const server = createHttpServer(
    {
      maxHeaderSize: HTTP_LIMITS.maxHeaderBytes,
      requestTimeout: HTTP_LIMITS.requestTimeoutMs,
      headersTimeout: HTTP_LIMITS.headersTimeoutMs,
      keepAliveTimeout: HTTP_LIMITS.keepAliveMs,
    },
    (req, res) => {
      answer(req, res, scheme, http.fetch).catch((error) => {
        log.error(`${scheme}.request_failed`, { path: req.url?.slice(0, 200), error });
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end();
      });
    },
  );
  server.on("clientError", (_error, socket) => socket.destroy());

  const serve = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // Bounds an idle kept-alive connection whatever the runtime's http module does with its options.
    socket.setTimeout(HTTP_LIMITS.requestTimeoutMs, () => socket.destroy());
    server.emit("connection", socket);
  };

  return listenTcp(options, {
    protocol: scheme,
    log,
    slots: { perAddress: HTTP_LIMITS.perAddress, total: HTTP_LIMITS.total },
    // Over TLS nothing can be said before a handshake we will not spend CPU on: just close.
    refusal: () =>
      secure ? "" : "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    accept(connection: Accepted) {
      if (!http.tls) {
        serve(connection.socket);
        return;
      }
      const provider = http.tls;
      readHello(connection.socket).then(
        (hello) => {
          const special = hello && http.alpn ? http.alpn(hello) : undefined;
          if (special === "refuse") {
            log.info("https.alpn_refused", { servername: hello?.servername, alpn: hello?.alpn });
            connection.socket.destroy();
            return;
          }
          secureSocket(connection.socket, provider, {
            handshakeTimeoutMs: HTTP_LIMITS.handshakeTimeoutMs,
            ALPNProtocols: special ? [special.protocol] : ["http/1.1"],
            ...(special ? { secureContext: special.context } : {}),
          }).then(
            (tls) => {
              // RFC 8737 §3: the validation ends with the handshake; nothing is served on it.
              if (special) tls.end();
              else serve(tls);
            },
            (error: Error) =>
              log.info("https.tls_failed", { client: connection.socket.remoteAddress, error: error.message }),
          );
        },
        () => connection.socket.destroy(),
      );
    },
    async closeSessions() {
      for (const socket of sockets) socket.destroy();
    },
  });
}

/**
 * Waits for the first TLS record and reads the hello from it, leaving every byte in the socket for
 * TLS to read (unshifted). Undefined when it is not a hello we read; rejects when nothing comes in time.
 */
function readHello(socket: Socket): Promise<ClientHello | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (error?: Error, hello?: ClientHello) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.pause();
      if (chunks.length > 0) socket.unshift(Buffer.concat(chunks));
      if (error) reject(error);
      else resolve(hello);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const result = parseClientHello(chunks.length === 1 ? chunk : Buffer.concat(chunks));
      if (result.kind === "hello") done(undefined, result.hello);
      else if (result.kind === "invalid" || size >= MAX_CLIENT_HELLO_BYTES) done();
    };
    const onClose = () => done(new Error("closed before the ClientHello"));
    const timer = setTimeout(() => done(new Error("no ClientHello in time")), HTTP_LIMITS.helloTimeoutMs);
    socket.on("data", onData);
    socket.once("close", onClose);
  });
}

/** One request through `fetch`: node:http's request as a web Request, the Response written back. */
async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  scheme: string,
  fetch: HttpListenerOptions["fetch"],
): Promise<void> {
  const method = req.method ?? "GET";
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    try {
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    } catch {
      // A header the fetch API refuses (bad name or value) is not one our routes read.
    }
  }
  // RFC 9112 §3.2: the Host header names the target; the URL is only built from it when it is a host.
  const host = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(req.headers.host ?? "")
    ? req.headers.host!
    : "invalid.invalid";
  const path = (req.url ?? "/").startsWith("/") ? req.url! : "/";
  let body: Uint8Array | undefined;
  if (method !== "GET" && method !== "HEAD") {
    const read = await readBody(req);
    if (read === "too-large") {
      res.writeHead(413, { "content-type": "text/plain", connection: "close" });
      res.end(`request body over ${HTTP_LIMITS.maxBodyBytes} bytes\n`);
      req.socket.destroySoon?.();
      return;
    }
    body = read;
  }
  const request = new Request(`${scheme}://${host}${path}`, {
    method,
    headers,
    ...(body ? { body: body as NonNullable<RequestInit["body"]> } : {}),
  });
  const response = await fetch(request);
  const bytes = method === "HEAD" ? undefined : new Uint8Array(await response.arrayBuffer());
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    out[name] = value;
  });
  if (bytes) out["content-length"] = String(bytes.byteLength);
  res.writeHead(response.status, out);
  res.end(bytes);
}

/** The request body, at most HTTP_LIMITS.maxBodyBytes. */
function readBody(req: IncomingMessage): Promise<Uint8Array | "too-large"> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > HTTP_LIMITS.maxBodyBytes) return Promise.resolve("too-large");
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > HTTP_LIMITS.maxBodyBytes) {
        req.removeAllListeners("data");
        req.resume();
        resolve("too-large");
        return;
      }
      chunks.push(chunk);
    });
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
  });
}
