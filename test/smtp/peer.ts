/**
 * A scriptable SMTP peer on loopback (smtp-server): the "remote mail server" of delivery tests. It
 * records every message it accepts and answers RCPT and DATA as the test says; waiting for a message
 * is an event, never a sleep.
 */
import type { SecureVersion, TLSSocket } from "node:tls";
import { SMTPServer, type SMTPServerAddress } from "smtp-server";

export interface PeerMessage {
  from: string;
  to: string[];
  /** MAIL FROM parameters as the peer parsed them (BODY, SMTPUTF8, RET, ENVID...). */
  mailArgs: Record<string, unknown>;
  /** RCPT parameters by recipient (NOTIFY, ORCPT). */
  rcptArgs: Record<string, Record<string, unknown>>;
  raw: Buffer;
  /** Whether the message came over TLS (STARTTLS), and which version ("TLSv1.3"), if so. */
  secure: boolean;
  tlsVersion: string | null;
  /** The login the client authenticated as (when the peer asks for AUTH). */
  authUser: string | null;
}

/** An SMTP error reply for smtp-server callbacks. */
export function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

export interface PeerOptions {
  port?: number;
  /** Loopback address to listen on (127.0.0.1 by default). */
  host?: string;
  /** Answer a RCPT: return an error to refuse it (e.g. smtpError(550, "5.1.1 no such user")). */
  onRcpt?: (address: string) => Error | undefined;
  /** Answer the end of DATA: return an error to refuse the message. */
  onData?: (message: PeerMessage) => Error | undefined;
  /** Wait this long before answering the end of DATA (a slow server, so deliveries overlap). */
  dataDelayMs?: number;
  /** Told when a connection opens (+1) or closes (-1). */
  onConnection?: (delta: 1 | -1) => void;
  /** Offer STARTTLS with this pair (and at most this TLS version, to play an outdated server). */
  tls?: { cert: string; key: string; maxVersion?: SecureVersion };
  /** TLS from the first byte (SMTPS, RFC 8314 §3.3) instead of STARTTLS; needs `tls`. */
  implicitTls?: boolean;
  /** Offer REQUIRETLS (RFC 8689; smtp-server shows it only over TLS). */
  requireTls?: boolean;
  /** Leave SMTPUTF8 / DSN out of the EHLO reply (an older server). */
  hideSmtpUtf8?: boolean;
  hideDsn?: boolean;
  /** Require AUTH PLAIN/LOGIN with these credentials before MAIL (a smarthost). */
  auth?: { user: string; pass: string };
}

export interface Peer {
  port: number;
  messages: PeerMessage[];
  /** Resolves with the next accepted message (or one already received and not yet taken). */
  next(): Promise<PeerMessage>;
  /** How many RCPT commands were answered, in all. */
  rcptCount(): number;
  /** Connections accepted so far, and the most that were open at once. */
  connections(): { total: number; maxOpen: number };
  close(): Promise<void>;
}

export async function startPeer(options: PeerOptions = {}): Promise<Peer> {
  const messages: PeerMessage[] = [];
  const unread: PeerMessage[] = [];
  const waiters: Array<(m: PeerMessage) => void> = [];
  let rcpts = 0;
  let open = 0;
  let total = 0;
  let maxOpen = 0;
  const rcptArgs = new WeakMap<object, Record<string, Record<string, unknown>>>();
  const tlsVersions = new WeakMap<object, string>();
  const server = new SMTPServer({
    ...(options.tls ? { ...options.tls, minVersion: "TLSv1" as const } : {}),
    ...(options.implicitTls ? { secure: true } : {}),
    name: "peer.test",
    authOptional: !options.auth,
    ...(options.auth ? { authMethods: ["PLAIN", "LOGIN"], allowInsecureAuth: false } : {}),
    disabledCommands: [
      ...(options.auth ? [] : ["AUTH"]),
      ...(options.tls && !options.implicitTls ? [] : ["STARTTLS"]),
    ],
    hideSMTPUTF8: options.hideSmtpUtf8 === true,
    hide8BITMIME: false,
    hidePIPELINING: false,
    hideDSN: options.hideDsn === true,
    hideREQUIRETLS: options.requireTls !== true,
    onAuth(auth, _session, callback) {
      const ok = options.auth && auth.username === options.auth.user && auth.password === options.auth.pass;
      if (!ok) return callback(smtpError(535, "5.7.8 Authentication credentials invalid"));
      callback(null, { user: auth.username });
    },
    disableReverseLookup: true,
    logger: false,
    onConnect(_session, callback) {
      open++;
      total++;
      maxOpen = Math.max(maxOpen, open);
      options.onConnection?.(1);
      callback();
    },
    onSecure(socket, session, callback) {
      tlsVersions.set(session, (socket as TLSSocket).getProtocol() ?? "TLS");
      callback();
    },
    onClose() {
      open--;
      options.onConnection?.(-1);
    },
    onRcptTo(address: SMTPServerAddress, session, callback) {
      rcpts++;
      const args = rcptArgs.get(session.envelope) ?? {};
      args[address.address] = { ...(address.args || {}) } as Record<string, unknown>;
      rcptArgs.set(session.envelope, args);
      callback(options.onRcpt?.(address.address) ?? null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const mailFrom = session.envelope.mailFrom || undefined;
        const message: PeerMessage = {
          from: mailFrom ? mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          mailArgs: { ...(mailFrom?.args || {}) },
          rcptArgs: rcptArgs.get(session.envelope) ?? {},
          raw: Buffer.concat(chunks),
          secure: session.secure,
          tlsVersion: tlsVersions.get(session) ?? null,
          authUser: typeof session.user === "string" ? session.user : null,
        };
        const answer = () => {
          const refusal = options.onData?.(message);
          if (refusal) return callback(refusal);
          messages.push(message);
          const waiter = waiters.shift();
          if (waiter) waiter(message);
          else unread.push(message);
          callback(null, "2.0.0 Ok: queued by peer");
        };
        if (options.dataDelayMs) setTimeout(answer, options.dataDelayMs);
        else answer();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  // After listening, errors belong to single connections (a failed TLS handshake): not the test's end.
  server.on("error", () => {});
  const address = server.server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    messages,
    next() {
      const ready = unread.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve) => waiters.push(resolve));
    },
    rcptCount: () => rcpts,
    connections: () => ({ total, maxOpen }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port where nothing listens (bound, then released). */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", () => resolve()));
  const address = srv.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
