/**
 * The inbound SMTP listener (port 25): smtp-server with our hooks. Mail for local domains is accepted
 * from anyone; everything else is refused (no AUTH yet, so no relaying at all).
 */
import { SMTPServer } from "smtp-server";
import type { Logger } from "../log.ts";
import type { SmtpContext } from "./context.ts";
import { onData } from "./data.ts";
import { onMailFrom } from "./mail-from.ts";
import { onRcptTo } from "./rcpt-to.ts";
import { installEnhancedCodeOverride } from "./replies.ts";

export interface SmtpListener {
  port: number;
  /** Stops accepting; waits (bounded) for transactions in flight, then closes the rest. */
  close(): Promise<void>;
}

/** How long shutdown waits for SMTP clients to finish before cutting them off. */
const CLOSE_TIMEOUT_MS = 10_000;

export function createInboundSmtp(ctx: SmtpContext): SMTPServer {
  installEnhancedCodeOverride();
  const server = new SMTPServer({
    name: ctx.hostname,
    banner: "Mailroom ESMTP",
    size: ctx.maxMessageSize,
    authOptional: true,
    // AUTH arrives with submission, STARTTLS with our own certificates: never smtp-server's default key.
    disabledCommands: ["AUTH", "STARTTLS"],
    hideENHANCEDSTATUSCODES: false,
    hide8BITMIME: false,
    hidePIPELINING: false,
    hideSMTPUTF8: false,
    // No reverse DNS per connection: it costs a round trip and proves nothing.
    disableReverseLookup: true,
    maxClients: 1000,
    socketTimeout: 5 * 60_000, // RFC 5321 §4.5.3.2.7: at least 5 minutes between commands
    closeTimeout: CLOSE_TIMEOUT_MS,
    logger: false,
    onMailFrom,
    onRcptTo: onRcptTo(ctx),
    onData: onData(ctx),
    onConnect(session, callback) {
      ctx.log.info("smtp.connect", { session: session.id, client: session.remoteAddress });
      callback();
    },
    onClose(session) {
      ctx.log.info("smtp.close", { session: session.id, client: session.remoteAddress });
    },
  });
  return server;
}

export function listenSmtp(
  server: SMTPServer,
  port: number,
  host: string,
  log: Logger,
): Promise<SmtpListener> {
  return new Promise((resolve, reject) => {
    // Until the socket is bound, an error (EACCES, EADDRINUSE) is the caller's to report in one line.
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      server.on("error", (error) => log.error("smtp.error", { error }));
      const address = server.server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
