/**
 * SMTP replies we send, named, with their enhanced status codes (RFC 3463, RFC 2034).
 *
 * smtp-server derives the enhanced code of an error reply from its basic code alone (550 is always
 * 5.1.1, 554 always 5.6.0), which is wrong for relay denial (5.7.1) or too many recipients (4.5.3).
 * Our errors carry their own enhanced code at the start of the text; `enhancedCodePatch` makes
 * smtp-server send that one instead of prepending its guess.
 */
import type { ConnectionPatch } from "./connection-patch.ts";

export class SmtpReply extends Error {
  override name = "SmtpReply";
  constructor(
    readonly responseCode: number,
    readonly enhancedCode: string,
    text: string,
  ) {
    super(`${enhancedCode} ${text}`);
  }
}

/** A name from the message in a reply line: printable ASCII, and short. */
const shown = (name: string) => name.replace(/[^\x21-\x7e]/g, "").slice(0, 100);

/** A reply that is always the same. */
const fixed = (code: number, enhanced: string, text: string) => () => new SmtpReply(code, enhanced, text);

export const reply = {
  /** RFC 5321 §4.2.5 / RFC 3463 X.1.1: no such local mailbox. */
  noSuchUser: fixed(550, "5.1.1", "Recipient address rejected: no such user here"),
  /** X.2.1: mailbox exists but is disabled. */
  mailboxDisabled: fixed(550, "5.2.1", "Recipient address rejected: mailbox disabled"),
  /** X.7.1: unauthenticated relaying is never allowed (no open relay). */
  relayDenied: fixed(554, "5.7.1", "Relay access denied"),
  /** X.1.3: the address is not syntactically valid. */
  badRecipient: fixed(501, "5.1.3", "Bad recipient address syntax"),
  badSender: fixed(501, "5.1.7", "Bad sender address syntax"),
  /** RFC 6531 §3.5, RFC 5248 X.6.7: a non-ASCII address or EHLO name without SMTPUTF8 on MAIL FROM. */
  nonAsciiNeedsSmtpUtf8: fixed(553, "5.6.7", "Non-ASCII addresses not permitted without SMTPUTF8 (RFC 6531)"),
  /** RFC 6531 §3.3 / X.5.2: SMTPUTF8 envelope data must be UTF-8. */
  invalidUtf8: fixed(501, "5.5.2", "Syntax error: the command is not valid UTF-8"),
  /** RFC 5321 §4.5.3.1.10: 452 for too many recipients; X.5.3. */
  tooManyRecipients: (max: number) =>
    new SmtpReply(452, "4.5.3", `Too many recipients (at most ${max} per message)`),
  /** RFC 5321 §3.8: closing; X.7.0 policy. Too many refused recipients in one session (address guessing). */
  tooManyRefusedRecipients: fixed(421, "4.7.0", "Too many invalid recipients, closing connection"),
  /** Per-address connection limit: try again later (421 closes the connection). */
  tooManyConnections: fixed(421, "4.7.0", "Too many connections from your address, try again later"),
  /** X.2.2 transient: over quota now, may succeed later. */
  mailboxFull: fixed(452, "4.2.2", "Mailbox full, try again later"),
  /** X.3.4: larger than we accept. */
  messageTooBig: (max: number) =>
    new SmtpReply(552, "5.3.4", `Message size exceeds fixed maximum message size ${max}`),
  /**
   * X.6.0 (RFC 3463 §3.7, bad content): a CR or LF outside a CRLF (RFC 5322 §2.3). Postfix's
   * smtpd_forbid_bare_newline=reject answers the same.
   */
  bareNewline: fixed(554, "5.6.0", "Message contains a bare CR or LF; lines must end in CRLF (RFC 5322 2.3)"),
  /** X.4.6: routing loop detected (too many Received headers). */
  loopDetected: fixed(554, "5.4.6", "Too many Received headers: mail loop detected"),
  /** X.3.1: could not store (disk full, database error); the client should retry. */
  storageFailure: fixed(452, "4.3.1", "Insufficient system storage, try again later"),
  /**
   * X.3.1 (RFC 3463: "mail system full"): the shared memory budget for messages in transit is used
   * up (MEMORY_LIMITS); temporary, the client retries once others have finished.
   */
  serverBusy: fixed(452, "4.3.1", "Insufficient system resources, try again later"),
  /** RFC 5321 §3.8 / X.4.2: the session outlived its deadline (SMTP_SESSION_LIMITS.sessionDeadlineMs). */
  sessionTooLong: fixed(421, "4.4.2", "Session time limit exceeded, closing connection"),
  /** X.4.2: DATA arrived slower than SMTP_SESSION_LIMITS.minDataRate (a slot held by a trickle). */
  dataTooSlow: fixed(421, "4.4.2", "Data rate too low, closing connection"),
  /** X.7.0: too many NOOP/RSET/VRFY/HELP without a message (Postfix's smtpd_junk_command_limit). */
  tooManyJunkCommands: fixed(421, "4.7.0", "Too many commands without a message, closing connection"),
  /** RFC 7489 §6.6.4 / X.7.1: DMARC failed and the author domain's policy is reject. */
  dmarcReject: (domain: string) =>
    new SmtpReply(
      550,
      "5.7.1",
      `Message rejected: DMARC policy of ${shown(domain) || "the From domain"} (reject)`,
    ),
  /** RFC 7208 §8.4, RFC 7372 §3.2 X.7.23: SPF fail, refused (MAILROOM_SPF_REJECT). */
  spfReject: (domain: string) =>
    new SmtpReply(
      550,
      "5.7.23",
      `Message rejected: SPF of ${shown(domain) || "the sender"} does not permit this host`,
    ),
  /** X.7.0: a DNS lookup the verdict depends on failed for now (RFC 7489 §6.6.3); try again later. */
  authTemporary: fixed(
    451,
    "4.7.0",
    "Temporary failure checking the sender's authentication, try again later",
  ),
  /**
   * Issue 14, RFC 5782 / RFC 3463 X.7.1: the client address is on a block list (Postfix's wording,
   * which operators and senders recognise).
   */
  clientBlocked: (ip: string, zone: string) =>
    new SmtpReply(554, "5.7.1", `Service unavailable; client [${ip}] blocked using ${zone}`),
  /** X.7.1: the HELO name or the MAIL FROM domain is on a domain block list (RHSBL). */
  domainBlocked: (what: "helo" | "sender", domain: string, zone: string) =>
    new SmtpReply(
      554,
      "5.7.1",
      `Service unavailable; ${what === "helo" ? "helo name" : "sender domain"} ${domain} blocked using ${zone}`,
    ),
  /** RFC 5321 §4.1.4 / X.7.1: a HELO naming this server (our host name or address) is forged. */
  forgedHelo: fixed(554, "5.7.1", "HELO/EHLO rejected: you are not me"),
  /** RFC 5321 §4.3.1 / X.5.1: the client sent before the greeting (postscreen's pregreet test). */
  earlyTalker: fixed(554, "5.5.1", "Protocol error: command sent before the greeting"),
  /** X.7.0: more connections per minute than MAILROOM_RATE_CONNECTIONS (421 closes). */
  connectionRateExceeded: fixed(
    421,
    "4.7.0",
    "Too many connections per minute from your address, try again later",
  ),
  /** X.7.0: more messages per minute than MAILROOM_RATE_MESSAGES (421 closes). */
  messageRateExceeded: fixed(421, "4.7.0", "Too many messages per minute from your address, try again later"),
  /** X.7.1: the spam check refused the message (rspamd's reject, or the built-in score). */
  spamRejected: (text?: string) => new SmtpReply(550, "5.7.1", text ?? "Message rejected as spam"),
  /** X.7.1 transient: rspamd's soft reject / greylist, or the filter unavailable with MAILROOM_RSPAMD_FAIL=closed. */
  spamDeferred: (text?: string) => new SmtpReply(451, "4.7.1", text ?? "Try again later"),
  /** RFC 6647 / X.7.1 transient: greylisted; a real MTA retries after a few minutes. */
  greylisted: fixed(451, "4.7.1", "Greylisted, please try again later"),
  /** X.3.0: an unexpected local error. */
  localError: fixed(451, "4.3.0", "Local error in processing, try again later"),

  /** RFC 4954 §6: MAIL/RCPT/DATA before AUTH where AUTH is required (submission, RFC 6409 §4.3). */
  authRequired: fixed(530, "5.7.0", "Authentication required"),
  /** RFC 4954 §6: wrong login or password (never says which). */
  authFailed: fixed(535, "5.7.8", "Authentication credentials invalid"),
  /** RFC 4954 §4: a PLAIN authorization identity other than the login itself. */
  authzDenied: fixed(535, "5.7.8", "Cannot act as another user"),
  /**
   * RFC 4954 §6: AUTH on a connection without TLS from a client outside the trusted networks
   * (RFC 8314 §5.4); the client should say STARTTLS first.
   */
  encryptionRequired: fixed(538, "5.7.11", "Encryption required for requested authentication mechanism"),
  /** RFC 4954 §6: the credentials could not be checked now (database error). */
  authUnavailable: fixed(454, "4.7.0", "Temporary authentication failure, try again later"),
  /** RFC 6409 §6.1 / X.7.1: the envelope sender is not one of the authenticated user's addresses. */
  senderNotOwned: (address: string) =>
    new SmtpReply(553, "5.7.1", `Sender address <${address}> not owned by the authenticated user`),
  /** X.7.1: mail clients never send bounces; the null sender is for MTAs. */
  nullSenderNotAllowed: fixed(553, "5.7.1", "Null sender not allowed for authenticated clients"),
  /** RFC 6409 §6.1 / X.7.1: a From (or Sender) header address the user does not own. */
  fromNotOwned: (address: string) =>
    new SmtpReply(553, "5.7.1", `From address <${address}> not owned by the authenticated user`),
  /** RFC 5322 §3.6 / X.6.0: a submitted message must say who it is from. */
  noFromHeader: fixed(550, "5.6.0", "Message has no From address"),
};

/**
 * Makes smtp-server send the enhanced code written at the start of our replies' text (one of the
 * patches in patches.ts, installed once from there).
 */
export const enhancedCodePatch: ConnectionPatch = {
  name: "enhanced status codes",
  wraps: { send: 3 },
  install(target) {
    const proto = target as {
      send(code: number, data?: string | string[], context?: string | false): void;
    };
    const original = proto.send;
    proto.send = function (this: unknown, code, data, context) {
      if (typeof data === "string" && /^[245]\.\d{1,3}\.\d{1,3} /.test(data)) {
        // The text already starts with its enhanced code: send it as it is.
        return original.call(this, code, data, false);
      }
      return original.call(this, code, data, context);
    };
  },
};
