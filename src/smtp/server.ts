/**
 * The inbound SMTP listener (port 25): smtp-server with our hooks. Mail for local domains is accepted
 * from anyone; everything else is refused (no AUTH yet, so no relaying at all).
 */
import { SMTPServer } from "smtp-server";
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
      ctx.log.debug("smtp.connect", { session: session.id, client: session.remoteAddress });
      callback();
    },
    onClose(session) {
      ctx.log.debug("smtp.close", { session: session.id, client: session.remoteAddress });
    },
  });
  server.on("error", (error) => ctx.log.error("smtp.error", { error }));
  return server;
}

export function listenSmtp(server: SMTPServer, port: number, host: string): Promise<SmtpListener> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.server.once("error", onError);
    server.listen(port, host, () => {
      server.server.off("error", onError);
      const address = server.server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
