/**
 * The SMTP listeners: smtp-server with our hooks, in one of two modes.
 * - "inbound" (port 25): mail for local domains is accepted from anyone; AUTH is offered, and only an
 *   authenticated client may relay to other domains.
 * - "submission" (port 587, RFC 6409; and 465 with implicit TLS, RFC 8314 §3.3): AUTH is required
 *   before MAIL (RFC 6409 §4.3, 530 5.7.0); the message is completed with Date and Message-ID when
 *   missing (§8).
 * Both enforce the same sender rules on authenticated clients and accept the DSN parameters (RFC 3461).
 * With a certificate both offer STARTTLS (RFC 3207); passwords need TLS except from trusted networks
 * (tls.ts). smtp-server runs its own accept loop; `startSmtp()` gives it the face of every other
 * listener (net/listener.ts): the same options, slots per address and per listener, `Listener` back.
 */
import type { TLSSocket } from "node:tls";
import { SMTPServer, type SMTPServerSession } from "smtp-server";
import type { Logger } from "../log.ts";
import { type Listener, type ListenOptions, slotLimits } from "../net/listener.ts";
import { ConnectionLimits, clientAddressKey } from "../security/connection-limits.ts";
import { MEMORY_LIMITS, SMTP_SESSION_LIMITS } from "../security/limits.ts";
import { defaultMemoryBudgets } from "../security/memory-budget.ts";
import { LOOPBACK_ONLY } from "../security/plaintext-auth.ts";
import { describeTls } from "../tls/mod.ts";
import { onAuth } from "./auth.ts";
import { withChaos } from "./chaos.ts";
import type { SmtpContext } from "./context.ts";
import { onData } from "./data.ts";
import { defenceConnect } from "./defence/connect.ts";
import { watchEarlyTalkers } from "./defence/pregreet.ts";
import { onMailFrom } from "./mail-from.ts";
import { smtpListenerMetrics } from "./metrics.ts";
import { installSmtpPatches } from "./patches.ts";
import { onRcptTo } from "./rcpt-to.ts";
import { reply } from "./replies.ts";
import { guardSessions } from "./session-guard.ts";
import { followCertificateReloads, recordPlaintextAuthPolicy, smtpTlsOptions } from "./tls.ts";

/** How long shutdown waits for SMTP clients to finish before cutting them off. */
const CLOSE_TIMEOUT_MS = 10_000;

/** Connections per client address when the listener is not told (MAILROOM_MAX_CONNECTIONS_PER_IP's default). */
const PER_ADDRESS_DEFAULT = 50;

/**
 * Binds an SMTP listener in `ctx.mode`. Closing stops accepting, waits (bounded) for transactions in
 * flight, then closes the rest.
 */
export async function startSmtp(ctx: SmtpContext, options: ListenOptions): Promise<Listener> {
  const name = options.name ?? (options.implicitTls ? "smtps" : "smtp");
  const server = createSmtpServer(ctx, options, name);
  const port = await listenSmtp(server, options, ctx.log);
  // smtp-server keeps its open connections in a Set (SMTPServer#connections).
  const open = server as unknown as { connections?: { size: number } };
  return {
    name,
    port,
    get connections() {
      return open.connections?.size ?? 0;
    },
    close: () => closeSmtp(server),
  };
}

/** What stop needs of smtp-server's connections (private fields, read only; absent means idle). */
interface OpenConnection {
  _handlerPending?: boolean;
  _dataStream?: unknown;
  send(code: number, message: string): void;
  close(): void;
}

/**
 * Stops accepting, then answers every idle session 421 and closes it at once (RFC 5321 §3.8: a
 * server that must stop says 421), instead of letting smtp-server wait its whole closeTimeout for
 * clients that are doing nothing. A session in the middle of DATA or waiting for our reply keeps its
 * transaction: its next command gets 421 (smtp-server refuses commands once closing), and
 * smtp-server's closeTimeout (10 s) bounds the wait for it.
 */
function closeSmtp(server: SMTPServer): Promise<void> {
  return new Promise<void>((done) => {
    server.close(() => done());
    const connections = (server as unknown as { connections?: Set<OpenConnection> }).connections;
    for (const connection of connections ?? []) {
      if (connection._handlerPending || connection._dataStream) continue;
      connection.send(421, "Server shutting down");
      connection.close();
    }
  });
}

function createSmtpServer(ctx: SmtpContext, options: ListenOptions, name: string): SMTPServer {
  // Checked against the installed smtp-server first: a mismatch stops the start (patches.ts).
  installSmtpPatches();
  const implicitTls = options.implicitTls === true;
  if (implicitTls && !ctx.tls) throw new Error("implicit TLS needs a certificate (ctx.tls)");
  const submission = ctx.mode === "submission";
  const policy = ctx.plaintextAuth ?? LOOPBACK_ONLY;
  // Slots per client address (one host cannot take every slot) and in all, taken in onConnect; the
  // total is smtp-server's maxClients as well.
  const slotSettings = slotLimits(
    { perAddress: PER_ADDRESS_DEFAULT, total: ctx.limits?.maxClients ?? SMTP_SESSION_LIMITS.maxClients },
    options,
  );
  // The guard's stress mode is a share of the same total.
  const limits = { ...SMTP_SESSION_LIMITS, ...ctx.limits, maxClients: slotSettings.total };
  const slots = new ConnectionLimits(slotSettings);
  /** Sessions that hold a slot, so a refused connection's close does not release someone else's. */
  const holding = new Map<string, string>();
  let counts: ReturnType<typeof smtpListenerMetrics> | undefined;
  /** Sessions counted as open (onClose may come for a connection onConnect never saw). */
  const counted = new Set<string>();
  // Issue 16: fault injection around each hook (chaos.ts); a pass-through while no rule matches.
  let server: SMTPServer | undefined;
  const self = () => server;
  // What a chaos rule can match on: the client, and the envelope so far (chaos/rules.ts).
  const client = (session: SMTPServerSession) => {
    // smtp-server fills the envelope in before onConnect; a connect rule sees it empty.
    const { mailFrom, rcptTo } = session.envelope ?? { mailFrom: false, rcptTo: [] };
    return {
      client: session.remoteAddress,
      ...(mailFrom ? { from: mailFrom.address } : {}),
      ...(rcptTo.length > 0 ? { to: rcptTo.map((r) => r.address).join(",") } : {}),
    };
  };
  server = new SMTPServer({
    // Our certificate, TLS 1.2 at least; implicit TLS on the SMTPS listener.
    ...(ctx.tls ? smtpTlsOptions(ctx.tls, implicitTls) : {}),
    name: ctx.hostname,
    banner: ctx.catching?.all
      ? "Mailroom ESMTP (catch mode: mail is kept here, never relayed)"
      : "Mailroom ESMTP",
    size: ctx.maxMessageSize,
    // Issue 16: in catch mode AUTH is optional on the submission ports too.
    authOptional: !submission || ctx.catching?.all === true,
    authMethods: ["PLAIN", "LOGIN"],
    authRequiredMessage: reply.authRequired().message,
    // Whether a password may come without TLS is decided per session (tls.ts: the policy IMAP and
    // POP3 use, loopback trusted); smtp-server's own check is server-wide, so it stays out of the way.
    allowInsecureAuth: true,
    // Without our certificate there is no STARTTLS: never smtp-server's built-in, publicly known key.
    disabledCommands: ctx.tls ? [] : ["STARTTLS"],
    hideENHANCEDSTATUSCODES: false,
    hide8BITMIME: false,
    hidePIPELINING: false,
    hideSMTPUTF8: false,
    // RFC 3461: NOTIFY/ORCPT on RCPT, RET/ENVID on MAIL, kept with each queued recipient.
    hideDSN: false,
    // RFC 8689 §4: REQUIRETLS, which smtp-server offers only on a TLS connection (after STARTTLS, or
    // on 465) and refuses on MAIL FROM without TLS; the flag is queued with the message (data.ts).
    hideREQUIRETLS: false,
    // No reverse DNS per connection: it costs a round trip and proves nothing.
    disableReverseLookup: true,
    maxClients: limits.maxClients,
    // RFC 5321 §4.5.3.2.7: at least 5 minutes between commands (shorter under stress: session-guard.ts).
    socketTimeout: limits.idleTimeoutMs,
    closeTimeout: CLOSE_TIMEOUT_MS,
    logger: false,
    onAuth: withChaos(
      ctx,
      self,
      "auth",
      (auth, session) => ({ ...client(session), login: auth.username }),
      onAuth(ctx),
    ),
    onMailFrom: withChaos(
      ctx,
      self,
      "mail",
      (address, session) => ({ ...client(session), from: address.address }),
      onMailFrom(ctx),
    ),
    onRcptTo: withChaos(
      ctx,
      self,
      "rcpt",
      (address, session) => ({ ...client(session), to: address.address }),
      onRcptTo(ctx),
    ),
    onData: withChaos(
      ctx,
      self,
      "data",
      (_stream, session) => client(session),
      onData(ctx),
      (stream) => stream,
    ),
    onConnect: withChaos(
      ctx,
      self,
      "connect",
      (session) => client(session),
      (session, callback) => {
        counted.add(session.id);
        counts?.opened();
        const client = clientAddressKey(session.remoteAddress);
        if (slots.tryAcquire(client)) {
          ctx.log.warn("smtp.connection_refused", { session: session.id, client: session.remoteAddress });
          callback(reply.tooManyConnections());
          return;
        }
        holding.set(session.id, client);
        recordPlaintextAuthPolicy(session, policy);
        ctx.log.info("smtp.connect", {
          session: session.id,
          client: session.remoteAddress,
          secure: session.secure,
        });
        // Issue 14: rate limit, block-list lookups, greeting delay (defence/connect.ts).
        defenceConnect(ctx, session).then(
          (refusal) => callback(refusal ?? null),
          (error: unknown) => {
            ctx.log.error("smtp.connect_failed", { session: session.id, error });
            callback();
          },
        );
      },
    ),
    // After STARTTLS, and before the greeting on the SMTPS port.
    onSecure(socket, session, callback) {
      ctx.log.info("smtp.tls", {
        session: session.id,
        client: session.remoteAddress,
        tls: describeTls(socket as TLSSocket),
      });
      callback();
    },
    onClose(session) {
      if (counted.delete(session.id)) counts?.closed();
      const client = holding.get(session.id);
      if (client !== undefined) {
        holding.delete(session.id);
        slots.release(client);
      }
      ctx.log.info("smtp.close", { session: session.id, client: session.remoteAddress });
    },
  });
  counts = smtpListenerMetrics(server, name, ctx.refusals);
  // Deadlines, the minimum data rate, junk commands, stress mode, and the buffer budget for DATA.
  guardSessions(server, {
    limits,
    buffers: (ctx.memory ?? defaultMemoryBudgets()).buffers,
    transferBytes: MEMORY_LIMITS.transferBytes,
    log: ctx.log,
  });
  if (ctx.defence) watchEarlyTalkers(server, ctx.log);
  if (ctx.tls) {
    const stopFollowing = followCertificateReloads(server, ctx.tls);
    server.once("close", stopFollowing);
  }
  return server;
}

/** Binds `server`; resolves with the port bound. */
function listenSmtp(server: SMTPServer, options: ListenOptions, log: Logger): Promise<number> {
  return new Promise((resolve, reject) => {
    // Until the socket is bound, an error (EACCES, EADDRINUSE) is the caller's to report in one line.
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(options.port, options.host, () => {
      server.off("error", onError);
      server.on("error", (error) => {
        // A failed TLS handshake (an outdated client, a port scanner) is the client's problem, not ours.
        const tls = error as Error & {
          meta?: { stage?: string; remoteAddress?: string };
          remoteAddress?: string;
        };
        if (tls.meta?.stage === "connect")
          log.info("smtp.tls_failed", {
            client: tls.meta.remoteAddress ?? tls.remoteAddress,
            error: error.message,
          });
        else log.error("smtp.error", { error });
      });
      const address = server.server.address();
      resolve(typeof address === "object" && address ? address.port : options.port);
    });
  });
}
