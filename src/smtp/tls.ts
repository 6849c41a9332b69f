/**
 * TLS on the SMTP listeners: STARTTLS on 25 and 587 (RFC 3207), implicit TLS on 465 (RFC 8314 §3.3),
 * both with the shared certificate, and the rule that passwords travel only over TLS or from a
 * trusted network (RFC 8314 §5.4, RFC 4954 §4) — the same policy function as IMAP and POP3.
 *
 * smtp-server has no per-connection switch for "AUTH needs TLS" (`allowInsecureAuth` is server-wide),
 * so `plaintextAuthPatch` (installed from patches.ts) wraps its EHLO and AUTH handlers once: for a
 * session the policy refuses, EHLO leaves AUTH out and AUTH is answered 538 5.7.11. AUTH stays a known
 * command, so smtp-server's own "530 Authentication required" before MAIL on the submission ports
 * still applies (a `session.disabledCommands` entry would turn that off, see patches.ts).
 * Plaintext sent behind STARTTLS is discarded by smtp-server itself (it retires its parser; see
 * test/tls/smtp-starttls.test.ts for the injection case, CVE-2011-0411).
 */
import type { SMTPServer, SMTPServerOptions, SMTPServerSession } from "smtp-server";
import { type PlaintextAuthPolicy, plaintextAuthAllowed } from "../security/plaintext-auth.ts";
import type { TlsProvider } from "../tls/mod.ts";
import type { ConnectionPatch } from "./connection-patch.ts";
import { reply } from "./replies.ts";

/**
 * smtp-server's TLS options: our pair (never its built-in, publicly known key), TLS 1.2 at least, and
 * an SNICallback that answers with the provider's current context. `secure` makes the listener
 * implicit TLS: the handshake comes before the greeting and STARTTLS is not offered.
 */
export function smtpTlsOptions(provider: TlsProvider, implicitTls: boolean): SMTPServerOptions {
  return { ...provider.serverOptions(), secure: implicitTls };
}

/**
 * Keeps a server's certificate current: clients that send SNI get the provider's context from the
 * SNICallback, but smtp-server hands clients without SNI (most MTAs, anything connecting by IP) its
 * own default context, which only `updateSecureContext()` rebuilds. Connections already secured keep
 * their session. Returns the unsubscribe.
 */
export function followCertificateReloads(server: SMTPServer, provider: TlsProvider): () => void {
  return provider.onReload((pair) => server.updateSecureContext(pair));
}

/** The policy of each session's listener, recorded when it connects (see onConnect in server.ts). */
const policies = new WeakMap<SMTPServerSession, PlaintextAuthPolicy>();

export function recordPlaintextAuthPolicy(session: SMTPServerSession, policy: PlaintextAuthPolicy): void {
  policies.set(session, policy);
}

/**
 * True when this session may not send a password yet: no TLS, a client outside the trusted networks,
 * and MAILROOM_ALLOW_PLAINTEXT_AUTH off. Sessions of servers that recorded no policy are left alone.
 */
export function passwordsNeedTls(session: SMTPServerSession): boolean {
  const policy = policies.get(session);
  if (!policy) return false;
  return !plaintextAuthAllowed(policy, { secure: session.secure, remoteAddress: session.remoteAddress });
}

type Handler = (this: ConnectionInternals, command: Buffer, callback: () => void) => void;

/** The parts of smtp-server's SMTPConnection the guard uses. */
interface ConnectionInternals {
  session: SMTPServerSession;
  _server: { options: { disabledCommands?: string[] } };
  send(code: number, data?: string | string[], context?: string | false): void;
  handler_EHLO?: Handler;
  handler_AUTH?: Handler;
}

/** Hides and refuses AUTH where `passwordsNeedTls()` says so (one of the patches in patches.ts). */
export const plaintextAuthPatch: ConnectionPatch = {
  name: "AUTH needs TLS",
  wraps: { handler_EHLO: 2, handler_AUTH: 2 },
  fields: ["session", "_server", "options"],
  install(target) {
    const proto = target as ConnectionInternals;
    const ehlo = proto.handler_EHLO!;
    const auth = proto.handler_AUTH!;

    // RFC 4954 §4 / RFC 3207 §4.2: do not advertise a mechanism the client may not use yet. The EHLO
    // reply is built synchronously, so AUTH is disabled for this session only while it is built,
    // through smtp-server's own per-session list.
    proto.handler_EHLO = function (command, callback) {
      if (!passwordsNeedTls(this.session)) return ehlo.call(this, command, callback);
      const saved = this.session.disabledCommands;
      this.session.disabledCommands = [...(saved ?? this._server.options.disabledCommands ?? []), "AUTH"];
      try {
        ehlo.call(this, command, callback);
      } finally {
        this.session.disabledCommands = saved;
      }
    };

    // RFC 4954 §6: 538 5.7.11 "Encryption required for requested authentication mechanism", before
    // any credentials are read.
    proto.handler_AUTH = function (command, callback) {
      if (!passwordsNeedTls(this.session)) return auth.call(this, command, callback);
      const refusal = reply.encryptionRequired();
      this.send(refusal.responseCode, refusal.message);
      callback();
    };
  },
};
