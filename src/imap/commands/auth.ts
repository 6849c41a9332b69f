/**
 * LOGIN (RFC 3501 §6.2.3) and AUTHENTICATE PLAIN / LOGIN (RFC 3501 §6.2.2, RFC 4616, SASL-IR RFC 4959).
 * Failures are answered after a delay that grows per client address and per account, and both are
 * locked out for a while after many failures (src/security/auth-failures.ts); the answer never says
 * whether the account exists or the login was locked out. Without TLS, from outside the trusted
 * networks, both are refused before any password is looked at (LOGINDISABLED, RFC 3501 §6.2.3;
 * PRIVACYREQUIRED, RFC 5530 §3).
 */
import { accountKey } from "../../security/auth-failures.ts";
import { clientAddressKey } from "../../security/connection-limits.ts";
import { accountAuthenticate } from "../../store/mod.ts";
import { ImapBad, ImapNo } from "../errors.ts";
import type { CommandContext, ImapSession } from "../session.ts";

async function authenticateOrFail(session: ImapSession, login: string, password: string): Promise<string> {
  const { ctx } = session;
  // Keyed like the connection limits (IPv6 per /64), so every protocol counts one client the same way;
  // and per account, so many addresses guessing one account are slowed (and locked out) too.
  const client = clientAddressKey(session.remoteAddress);
  const keys = [client, accountKey(login, ctx.primaryDomain)];
  const lockedOut = ctx.authFailures.isLockedOut(keys);
  const account = lockedOut
    ? undefined
    : await accountAuthenticate(ctx.store.read, login, password, { primaryDomain: ctx.primaryDomain });
  if (!account) {
    const delayMs = ctx.authFailures.delayFor(keys);
    // During a lockout no password was checked: the attempt is refused, not counted as a guess.
    const failures = lockedOut ? undefined : ctx.authFailures.recordFailure(keys, login);
    ctx.log.warn("imap.auth_failed", {
      session: session.id,
      client: session.remoteAddress,
      login,
      failures,
      delayMs,
      ...(lockedOut ? { lockedOut } : {}),
    });
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    // The same answer whether the password was wrong, the account unknown, or the key locked out.
    throw new ImapNo("AUTHENTICATIONFAILED", "Invalid credentials");
  }
  ctx.authFailures.recordSuccess(client);
  ctx.log.info("imap.login", {
    session: session.id,
    client: session.remoteAddress,
    account: account.address,
  });
  session.login(account);
  return `[CAPABILITY ${session.capabilities.join(" ")}] Logged in`;
}

/** Refuses password logins over a connection that could be overheard. */
function requirePrivacy(session: ImapSession): void {
  if (!session.plaintextAuthAllowed)
    throw new ImapNo(
      "PRIVACYREQUIRED",
      session.canStartTls ? "Use STARTTLS before logging in" : "Logging in needs an encrypted connection",
    );
}

export async function login({ session, parser }: CommandContext): Promise<string> {
  requirePrivacy(session);
  parser.sp();
  const user = parser.astring();
  parser.sp();
  const password = parser.astring();
  parser.end();
  return authenticateOrFail(session, user, password);
}

function decodeBase64(line: string): string {
  if (line === "*") throw new ImapBad(undefined, "AUTHENTICATE cancelled");
  if (line === "=") return "";
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(line) || line.length % 4 !== 0)
    throw new ImapBad(undefined, "Invalid base64");
  return Buffer.from(line, "base64").toString("utf8");
}

/** Sends a SASL challenge and reads the client's answer line. */
async function challenge(session: ImapSession, text: string): Promise<string> {
  session.write([`+ ${Buffer.from(text, "utf8").toString("base64")}`]);
  return decodeBase64(await session.reader.readLine());
}

export async function authenticate({ session, parser }: CommandContext): Promise<string> {
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
    return authenticateOrFail(session, authcid, password);
  }
  if (mechanism === "LOGIN") {
    const user = initial !== undefined ? decodeBase64(initial) : await challenge(session, "Username:");
    const password = await challenge(session, "Password:");
    return authenticateOrFail(session, user, password);
  }
  throw new ImapNo("CANNOT", `Unsupported authentication mechanism ${mechanism}`);
}
