/**
 * Fault injection in IMAP (issue 16, src/chaos/): at the connection (before the greeting), at
 * LOGIN / AUTHENTICATE ("auth") and at any command ("command"), a rule may delay, answer with its
 * reply, or drop the connection. A reply is sent tagged (`a1 NO [UNAVAILABLE] try later`), except
 * one starting with BYE, which is untagged and closes (RFC 3501 §7.1.5), as at the connection.
 */
import type { Socket } from "node:net";
import { type ChaosAction, chaosDelay } from "../chaos/rules.ts";
import type { ImapContext } from "./context.ts";
import type { RawCommand } from "./protocol/reader.ts";

interface ChaosSession {
  readonly ctx: ImapContext;
  readonly remoteAddress: string;
  readonly id: string;
  socket: Socket;
  write(pieces: string[]): boolean;
  untagged(pieces: string[]): boolean;
  close(): void;
}

/** True when the rule took the connection over (it is closed or closing). */
export async function imapChaosConnect(session: ChaosSession): Promise<boolean> {
  const action = session.ctx.chaos?.decide({
    protocol: "imap",
    stage: "connect",
    client: session.remoteAddress,
  });
  if (!action) return false;
  return carryOut(session, action, undefined);
}

/** True when the rule answered the command (or dropped the connection) instead of its handler. */
export async function imapChaosCommand(session: ChaosSession, command: RawCommand): Promise<boolean> {
  const chaos = session.ctx.chaos;
  if (!chaos?.active) return false;
  const name = command.name.toUpperCase();
  const point = { client: session.remoteAddress, command: name };
  const auth = name === "LOGIN" || name === "AUTHENTICATE";
  const action =
    (auth
      ? chaos.decide({ protocol: "imap", stage: "auth", ...point, login: loginOf(command) })
      : undefined) ?? chaos.decide({ protocol: "imap", stage: "command", ...point });
  if (!action) return false;
  return carryOut(session, action, command.tag);
}

async function carryOut(
  session: ChaosSession,
  action: ChaosAction,
  tag: string | undefined,
): Promise<boolean> {
  session.ctx.log.info("imap.chaos", { session: session.id, ...action });
  await chaosDelay(action.delayMs);
  if (action.disconnect) {
    session.socket.destroy();
    session.close();
    return true;
  }
  if (action.reply === undefined) return false;
  const text = action.reply.replace(/^\*\s*/, "");
  if (tag === undefined || /^BYE\b/i.test(text)) {
    session.untagged([/^BYE\b/i.test(text) || tag !== undefined ? text : `BYE ${text}`]);
    session.close();
    return true;
  }
  session.write([`${tag} ${text}`]);
  return true;
}

/** LOGIN's first argument, unquoted (for `match.login`); the first segment is the whole line so far. */
function loginOf(command: RawCommand): string | undefined {
  const first = command.segments[0];
  if (typeof first !== "string" || command.name !== "LOGIN") return undefined;
  const m = /^\S+\s+\S+\s+(?:"((?:[^"\\]|\\.)*)"|([^\s{]+))/.exec(first);
  return m ? (m[1] ?? m[2]) : undefined;
}
