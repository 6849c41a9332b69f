/**
 * LOGIN (RFC 3501 §6.2.3) and AUTHENTICATE PLAIN / LOGIN (RFC 3501 §6.2.2, RFC 4616, SASL-IR RFC 4959).
 * Failures are answered after a delay that grows per client address and per account, and both are
 * locked out for a while after many failures (src/security/auth-failures.ts); the answer never says
 * whether the account exists or the login was locked out. Without TLS, from outside the trusted
 * networks, both are refused before any password is looked at (LOGINDISABLED, RFC 3501 §6.2.3;
 * PRIVACYREQUIRED, RFC 5530 §3).
 */
import { clientAddressKey } from "../../security/connection-limits.ts";
import { passwordCheck } from "../../security/password-check.ts";
import { ImapBad, ImapNo } from "../errors.ts";
import type { CommandSession, NotAuthenticatedCommand } from "./handler.ts";

async function authenticateOrFail(
  { ctx, session }: NotAuthenticatedCommand,
  login: string,
  password: string,
): Promise<string> {
  const check = await passwordCheck({
    read: ctx.store.read,
    limiter: ctx.authFailures,
    protocol: "imap",
    client: clientAddressKey(session.remoteAddress),
    login,
    password,
    primaryDomain: ctx.primaryDomain,
    catching: ctx.catching,
  });
  if (!check.ok) {
    ctx.log.warn("imap.auth_failed", {
      session: session.id,
      client: session.remoteAddress,
      login,
      failures: check.failures,
      delayMs: check.delayMs,
      ...(check.lockedOut ? { lockedOut: true } : {}),
    });
    if (check.delayMs > 0) await new Promise((r) => setTimeout(r, check.delayMs));
    throw new ImapNo("AUTHENTICATIONFAILED", "Invalid credentials");
  }
  ctx.log.info("imap.login", {
    session: session.id,
    client: session.remoteAddress,
    account: check.account.address,
  });
  session.login(check.account);
  return `[CAPABILITY ${session.capabilities.join(" ")}] Logged in`;
}

/** Refuses password logins over a connection that could be overheard. */
function requirePrivacy(session: CommandSession): void {
  if (!session.plaintextAuthAllowed)
    throw new ImapNo(
      "PRIVACYREQUIRED",
      session.canStartTls ? "Use STARTTLS before logging in" : "Logging in needs an encrypted connection",
    );
}

export async function login(command: NotAuthenticatedCommand): Promise<string> {
  const { session, parser } = command;
  requirePrivacy(session);
  parser.sp();
  const user = parser.astring();
  parser.sp();
  const password = parser.astring();
  parser.end();
  return authenticateOrFail(command, user, password);
}

function decodeBase64(line: string): string {
  if (line === "*") throw new ImapBad(undefined, "AUTHENTICATE cancelled");
  if (line === "=") return "";
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(line) || line.length % 4 !== 0)
    throw new ImapBad(undefined, "Invalid base64");
  return Buffer.from(line, "base64").toString("utf8");
}

/** Sends a SASL challenge and reads the client's answer line. */
async function challenge(session: CommandSession, text: string): Promise<string> {
  session.write([`+ ${Buffer.from(text, "utf8").toString("base64")}`]);
  return decodeBase64(await session.readLine());
}

export async function authenticate(command: NotAuthenticatedCommand): Promise<string> {
  const { session, parser } = command;
  requirePrivacy(session);
  parser.sp();
  const mechanism = parser.atom().toUpperCase();
  // SASL-IR (RFC 4959): an initial response may follow the mechanism name.
  const initial = parser.take(" ") ? parser.atom() : undefined;
  parser.end();
  if (mechanism === "PLAIN") {
    const response = initial !== undefined ? decodeBase64(initial) : await challenge(session, "");
    // RFC 4616: [authzid] NUL authcid NUL passwd
    const parts = response.split("\u0000");
    if (parts.length !== 3) throw new ImapBad(undefined, "Malformed PLAIN response");
    const [authzid, authcid, password] = parts as [string, string, string];
    if (authzid !== "" && authzid.toLowerCase() !== authcid.toLowerCase())
      throw new ImapNo("AUTHORIZATIONFAILED", "Cannot act as another user");
    return authenticateOrFail(command, authcid, password);
  }
  if (mechanism === "LOGIN") {
    const user = initial !== undefined ? decodeBase64(initial) : await challenge(session, "Username:");
    const password = await challenge(session, "Password:");
    return authenticateOrFail(command, user, password);
  }
  throw new ImapNo("CANNOT", `Unsupported authentication mechanism ${mechanism}`);
}
