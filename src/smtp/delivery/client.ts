/**
 * One SMTP transaction with one host (RFC 5321 §3.3), through nodemailer's SMTP client: EHLO,
 * STARTTLS (RFC 3207) when the server offers it, PIPELINING (RFC 2920), BODY=8BITMIME (RFC 6152) and
 * SMTPUTF8 (RFC 6531) when the server offers them. The stored bytes go out as they are (the client
 * only dot-stuffs), less our own leading Return-Path, and converted to 7-bit for a server without
 * 8BITMIME. Several recipients of one message share the transaction; each gets its own result.
 */
import type { TLSSocket } from "node:tls";
import SMTPConnection from "nodemailer/lib/smtp-connection";
import { bufferView, toSevenBit } from "../../mime/mod.ts";
import { MIN_TLS_VERSION } from "../../tls/mod.ts";
import { CLIENT_TIMEOUTS } from "../queue/limits.ts";

export interface TransactionRecipient {
  address: string;
  /** RFC 3461 NOTIFY and ORCPT (decoded text: nodemailer xtext-encodes), passed on when the server supports DSN. */
  notify?: string | null;
  orcpt?: string | null;
}

export interface TransactionInput {
  host: string;
  port: number;
  /** Our name for EHLO. */
  helo: string;
  /** Envelope sender; "" for the null reverse-path (bounces). */
  sender: string;
  recipients: TransactionRecipient[];
  raw: Uint8Array;
  /** RFC 3461 RET and ENVID of the envelope. */
  ret?: string | null;
  envid?: string | null;
  /** RFC 8689 §4.2.1: send MAIL FROM with REQUIRETLS (the session checked the server offers it). */
  requireTls?: boolean;
}

export interface RecipientOutcome {
  address: string;
  accepted: boolean;
  /** The reply's code; null when no reply came (connection lost): a temporary failure. */
  code: number | null;
  /** The server's reply as it was sent ("550 5.1.1 no such user"), or what went wrong locally. */
  reply: string;
}

/**
 * What the delivery policy (tls-policy.ts) made of the peer's certificate: verified, or the TLS-RPT
 * result type (RFC 8460 §4.3) of the failure with a reason.
 */
export type TlsCheck = { ok: true; detail: string } | { ok: false; result: string; reason: string };

export type TransactionOutcome =
  /** The transaction ran (MAIL FROM was answered): one outcome per recipient, final for this attempt. */
  | { kind: "done"; recipients: RecipientOutcome[] }
  /** No transaction took place (connection refused, bad greeting, timeout): the next host may do better. */
  | { kind: "unreachable"; code: number | null; reply: string };

interface SmtpError extends Error {
  code?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  recipient?: string;
  rejectedErrors?: SmtpError[];
}

/** Whether any byte needs 8BITMIME (RFC 6152); 7-bit mail is sent without the parameter. */
function has8bit(raw: Uint8Array): boolean {
  for (let i = 0; i < raw.length; i++) if (raw[i]! > 0x7f) return true;
  return false;
}

function dsnOf(input: MessageInput): SMTPConnection.Envelope["dsn"] | undefined {
  const first = input.recipients[0];
  const notify = first?.notify ?? undefined;
  const orcpt = first?.orcpt ?? undefined;
  if (!input.ret && !input.envid && !notify && !orcpt) return undefined;
  // nodemailer sends one NOTIFY/ORCPT for every RCPT: callers group recipients that share them.
  return {
    ...(input.ret ? { ret: input.ret } : {}),
    ...(input.envid ? { envid: input.envid } : {}),
    ...(notify ? { notify: notify.split(",").map((n) => n.trim().toUpperCase()) } : {}),
    ...(orcpt ? { orcpt } : {}),
  } as SMTPConnection.Envelope["dsn"];
}

function describe(error: SmtpError): string {
  if (error.response) return error.response;
  const cause = (error as { originalCode?: string }).originalCode;
  return `${error.message}${cause && !error.message.includes(cause) ? ` (${cause})` : ""}`;
}

export interface SessionOptions {
  /** What to connect to: an address (from our resolver) or a name. */
  host: string;
  port: number;
  /** The host's name when `host` is one of its addresses: TLS SNI (RFC 6066 §3) and the name checked later. */
  servername?: string;
  /** Our name for EHLO. */
  helo: string;
  /**
   * "opportunistic" (default, see smtpConnect); "required": STARTTLS (or implicit TLS) must succeed,
   * with no plain-text retry and no carrying on after a 454 (MTA-STS enforce, DANE, REQUIRETLS,
   * a smarthost with credentials); "implicit": TLS from the first byte (RFC 8314 §3.3).
   */
  tls?: "opportunistic" | "required" | "implicit";
  /** Judges the peer's certificate once TLS is up (DANE, MTA-STS); its verdict is `session.tlsCheck`. */
  check?: (socket: TLSSocket) => TlsCheck;
  /** CAs to verify with besides nothing (node's `ca`): what `socket.authorized` is computed against. */
  ca?: readonly string[];
  /** RFC 4954 AUTH PLAIN/LOGIN after TLS, for a smarthost. */
  auth?: { user: string; pass: string };
}

/** An open connection to one host, good for several transactions in a row (RFC 5321 §3.3). */
export interface SmtpSession {
  /** False once the connection is gone (closed by the peer, timed out, failed). */
  readonly usable: boolean;
  /** Whether the connection was encrypted with STARTTLS (opportunistic: the certificate was not checked). */
  readonly encrypted: boolean;
  /** Why the TLS handshake failed when this is the plain-text retry (see smtpConnect), else null. */
  readonly tlsFailure: string | null;
  /** The `check` verdict on the peer's certificate; null without TLS or without a check. */
  readonly tlsCheck: TlsCheck | null;
  /** The EHLO keywords that matter to delivery: SMTPUTF8, DSN, 8BITMIME, REQUIRETLS, PIPELINING, SIZE. */
  readonly extensions: ReadonlySet<string>;
  /** One mail transaction; never throws (every failure is an outcome for its recipients). */
  send(message: MessageInput): Promise<RecipientOutcome[]>;
  /** QUIT, then close. */
  quit(): void;
}

export type MessageInput = Omit<TransactionInput, keyof SessionOptions>;

export type ConnectOutcome =
  | { kind: "connected"; session: SmtpSession }
  /** `tls`: TLS was required and could not be had (RFC 8460 result type and reason). */
  | { kind: "unreachable"; code: number | null; reply: string; tls?: { result: string; reason: string } };

/**
 * Connects and greets (EHLO), encrypting with STARTTLS when the server offers it; an unreachable host
 * or a refusing greeting is an outcome, not an error.
 *
 * Opportunistic TLS (RFC 7435, RFC 3207): encrypt whenever offered, and do not require a certificate
 * that verifies. An MX host name comes from unauthenticated DNS, so a certificate valid for it proves
 * little, and most MX certificates cannot be checked at all (self-signed, or named for another host)
 * without DANE (RFC 7672) or MTA-STS (RFC 8461), neither of which Mailroom implements. Refusing them
 * would send that mail in plain text or not at all; accepting them still stops passive eavesdropping.
 *
 * A server that refuses STARTTLS (454) is used without TLS on the same connection. A server whose TLS
 * handshake fails is tried once more, on a new connection without STARTTLS. That is safe here because
 * (1) the handshake comes before MAIL FROM, so nothing of the message has been sent and the retry
 * cannot deliver twice, and (2) it gives an attacker nothing: whoever can break the handshake could
 * as well strip STARTTLS from the EHLO reply, which unauthenticated TLS cannot detect. (Postfix at
 * security level "may" does the same.) Mail that must not go unencrypted (REQUIRETLS, RFC 8689; an
 * MTA-STS "enforce" policy, RFC 8461 §5; DANE, RFC 7672 §2.2) asks for `tls: "required"`: then a
 * failed handshake, a missing STARTTLS or a 454 ends the attempt, and nothing goes in plain text.
 */
export async function smtpConnect(options: SessionOptions): Promise<ConnectOutcome> {
  const first = await connectOnce(options, { starttls: true, tlsFailure: null });
  if (first.kind !== "tls_failed") return first;
  if ((options.tls ?? "opportunistic") !== "opportunistic")
    return {
      kind: "unreachable",
      code: null,
      reply: `TLS handshake failed: ${first.reply}`,
      tls: { result: handshakeResult(first.reply), reason: first.reply },
    };
  const second = await connectOnce(options, { starttls: false, tlsFailure: first.reply });
  if (second.kind === "connected") return second;
  const reply = second.kind === "unreachable" ? second.reply : "";
  return {
    kind: "unreachable",
    code: second.kind === "unreachable" ? second.code : null,
    reply: `${reply} (after a failed TLS handshake: ${first.reply})`,
  };
}

type AttemptOutcome = ConnectOutcome | { kind: "tls_failed"; reply: string };

/** RFC 8460 §4.3 result type for a handshake that failed: certificate trouble or TLS itself. */
function handshakeResult(reply: string): string {
  if (/expired/i.test(reply)) return "certificate-expired";
  if (/altname|hostname/i.test(reply)) return "certificate-host-mismatch";
  if (/self.signed|unable to (get|verify)|certificate/i.test(reply)) return "certificate-not-trusted";
  return "validation-failure";
}

function connectOnce(
  options: SessionOptions,
  mode: { starttls: boolean; tlsFailure: string | null },
): Promise<AttemptOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    let usable = false;
    let dirty = false;
    let tlsCheck: TlsCheck | null = null;
    const tlsMode = options.tls ?? "opportunistic";
    const required = tlsMode !== "opportunistic";
    const connection = new SMTPConnection({
      host: options.host,
      port: options.port,
      ...(options.servername ? { servername: options.servername } : {}),
      name: options.helo,
      secure: tlsMode === "implicit",
      ...(required
        ? { requireTLS: tlsMode === "required", ignoreTLS: false, opportunisticTLS: false }
        : {
            ignoreTLS: !mode.starttls,
            // A 454 to STARTTLS: go on in plain text on this connection (never with AUTH: no credentials here).
            opportunisticTLS: true,
          }),
      // The handshake itself never checks the certificate (see smtpConnect); a policy that wants it
      // checked judges it afterwards (`check`), before MAIL FROM. No protocol below TLS 1.2 (RFC 8996):
      // a server that knows nothing newer fails the handshake and, if opportunistic, gets the plain retry.
      tls: {
        rejectUnauthorized: false,
        minVersion: MIN_TLS_VERSION,
        ...(options.ca ? { ca: [...options.ca] } : {}),
      },
      logger: false,
      connectionTimeout: CLIENT_TIMEOUTS.connectMs,
      greetingTimeout: CLIENT_TIMEOUTS.greetingMs,
      socketTimeout: CLIENT_TIMEOUTS.socketMs,
    });
    const unreachable = (error: SmtpError) => {
      if (settled) return;
      settled = true;
      // nodemailer sets `upgrading` from the STARTTLS "220" until the handshake is done.
      const inHandshake = (connection as { upgrading?: boolean }).upgrading === true;
      connection.close();
      if ((inHandshake || (tlsMode === "implicit" && error.code === "ETLS")) && mode.starttls)
        resolve({ kind: "tls_failed", reply: describe(error) });
      else if (required && !connection.secure && (error.code === "ETLS" || error.code === "ENOTLS"))
        // RFC 8460 §4.3.2.1: the server did not offer STARTTLS, or refused it.
        resolve({
          kind: "unreachable",
          code: null,
          reply: `STARTTLS required but refused: ${describe(error)}`,
          tls: { result: "starttls-not-supported", reason: describe(error) },
        });
      else resolve({ kind: "unreachable", code: error.responseCode ?? null, reply: describe(error) });
    };
    // Before the handshake finished this is the only report of a failure to connect.
    connection.on("error", (error: SmtpError) => {
      usable = false;
      unreachable(error);
    });
    connection.on("end", () => {
      usable = false;
    });
    const session: SmtpSession = {
      get usable() {
        return usable;
      },
      get encrypted() {
        return connection.secure;
      },
      tlsFailure: mode.tlsFailure,
      get tlsCheck() {
        return tlsCheck;
      },
      get extensions() {
        return new Set((connection as unknown as { _supportedExtensions: string[] })._supportedExtensions);
      },
      send(message) {
        return new Promise((done) => {
          const go = () => {
            const raw = sevenBitFor(connection, withoutReturnPath(message.raw));
            const envelope = {
              from: message.sender === "" ? false : message.sender,
              to: message.recipients.map((r) => r.address),
              size: raw.byteLength,
              use8BitMime: has8bit(raw),
              // nodemailer adds REQUIRETLS to MAIL FROM (and refuses without TLS or the extension).
              ...(message.requireTls ? { requireTLSExtensionEnabled: true } : {}),
            } as SMTPConnection.Envelope;
            const dsn = dsnOf(message);
            if (dsn) envelope.dsn = dsn;
            const bytes = bufferView(raw);
            connection.send(
              envelope,
              bytes,
              (error: SmtpError | null, info?: SMTPConnection.SentMessageInfo) => {
                // After a refusal the transaction may still be open on the server: RSET before the next.
                dirty = error !== null;
                if (error && !error.responseCode) usable = false;
                done(outcomes(message.recipients, error, info));
              },
            );
          };
          if (!usable) return done(outcomes(message.recipients, lost(), undefined));
          if (!dirty) return go();
          connection.reset((error) => {
            if (error) {
              usable = false;
              return done(outcomes(message.recipients, lost(), undefined));
            }
            dirty = false;
            go();
          });
        });
      },
      quit() {
        if (usable) connection.quit();
        else connection.close();
        usable = false;
      },
    };
    const ready = () => {
      if (settled) return;
      settled = true;
      usable = true;
      resolve({ kind: "connected", session });
    };
    connection.connect((error?: SmtpError) => {
      if (error) return unreachable(error);
      if (required && !connection.secure) {
        // nodemailer went on without TLS after all: never carry on in plain text here.
        return unreachable(
          Object.assign(new Error("STARTTLS was required but not negotiated"), { code: "ENOTLS" }),
        );
      }
      if (connection.secure && options.check) {
        const socket = (connection as unknown as { _socket: TLSSocket })._socket;
        try {
          tlsCheck = options.check(socket);
        } catch (e) {
          tlsCheck = { ok: false, result: "validation-failure", reason: String(e) };
        }
      }
      if (!options.auth) return ready();
      // RFC 4954: credentials only after TLS (`tls` is "required" or "implicit" whenever auth is set).
      if (!connection.secure) return unreachable(new Error("refusing to send credentials without TLS"));
      connection.login(
        { user: options.auth.user, pass: options.auth.pass },
        (authError?: SmtpError | null) => {
          if (authError) return unreachable(authError);
          ready();
        },
      );
    });
  });
}

/**
 * The stored bytes without the Return-Path field we put first at delivery. RFC 5321 §4.4: that field
 * is added by the MTA that makes the final delivery, so a relayed copy must not carry ours (the next
 * server adds its own from MAIL FROM). Only a leading field is taken, with its folded lines; anything
 * further down is the message's own business (a relay does not inspect it, §4.4).
 */
export function withoutReturnPath(raw: Uint8Array): Uint8Array {
  const name = "return-path:";
  if (raw.byteLength < name.length) return raw;
  for (let i = 0; i < name.length; i++) {
    const c = raw[i]!;
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== name.charCodeAt(i)) return raw;
  }
  let end = 0;
  for (;;) {
    const lf = raw.indexOf(0x0a, end);
    if (lf === -1) return raw; // no end to the header line: not a field we wrote, leave it
    end = lf + 1;
    // RFC 5322 §2.2.3: a line starting with white space continues the field.
    if (raw[end] !== 0x20 && raw[end] !== 0x09) break;
  }
  return raw.subarray(end);
}

/**
 * RFC 6152 §3: a server that does not offer 8BITMIME gets 8-bit bodies converted to 7-bit
 * (quoted-printable, base64), not sent raw. Mail we signed was converted before signing; this
 * catches what was queued unsigned.
 */
function sevenBitFor(connection: SMTPConnection, raw: Uint8Array): Uint8Array {
  if (!has8bit(raw)) return raw;
  const extensions = (connection as { _supportedExtensions?: string[] })._supportedExtensions ?? [];
  return extensions.includes("8BITMIME") ? raw : toSevenBit(raw);
}

function lost(): SmtpError {
  return Object.assign(new Error("connection lost"), { code: "ECONNECTION" });
}

/** Connects, runs one transaction, quits. */
export async function smtpTransaction(input: TransactionInput): Promise<TransactionOutcome> {
  const connected = await smtpConnect(input);
  if (connected.kind === "unreachable") return connected;
  const recipients = await connected.session.send(input);
  connected.session.quit();
  return { kind: "done", recipients };
}

/** Turns nodemailer's send result into one outcome per recipient. */
function outcomes(
  recipients: readonly TransactionRecipient[],
  error: SmtpError | null,
  info: SMTPConnection.SentMessageInfo | undefined,
): RecipientOutcome[] {
  const rejected = new Map<string, SmtpError>();
  for (const e of [...(error?.rejectedErrors ?? []), ...((info?.rejectedErrors as SmtpError[]) ?? [])])
    if (e.recipient) rejected.set(e.recipient, e);
  return recipients.map(({ address }) => {
    const own = rejected.get(address);
    if (own) return { address, accepted: false, code: own.responseCode ?? null, reply: describe(own) };
    if (error) {
      // MAIL FROM refused, DATA refused, the message refused after the dot, or the connection lost.
      return { address, accepted: false, code: error.responseCode ?? null, reply: describe(error) };
    }
    return { address, accepted: true, code: 250, reply: String(info?.response ?? "250") };
  });
}
