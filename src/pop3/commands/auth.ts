/**
 * AUTH (RFC 5034 §4): SASL login. With a mechanism, an optional initial response ("=" is an empty
 * one); the server's challenges are "+ base64" lines and the client's answers arrive as lines that are
 * not commands, which `saslContinue()` takes; "*" cancels. AUTH alone lists the mechanisms, as
 * clients that predate CAPA (RFC 1734 era, e.g. fetchmail's probe) expect.
 */
import type { Command } from "../protocol/parser.ts";
import { type Reply, reply } from "../protocol/response.ts";
import type { AuthorizationState, SaslStep, Session } from "../session.ts";
import { logIn, privacyRequired } from "./login.ts";
import {
  decodeBase64,
  LOGIN_PASSWORD_PROMPT,
  LOGIN_USERNAME_PROMPT,
  parsePlain,
  SASL_MECHANISMS,
} from "./sasl.ts";

export function auth(session: Session, state: AuthorizationState, command: Command): Reply | Promise<Reply> {
  if (!session.plaintextAuthAllowed) return privacyRequired(session);
  if (command.args.length === 0) return reply.lines("SASL mechanisms follow", SASL_MECHANISMS);
  if (command.args.length > 2) return reply.err("usage: AUTH mechanism [initial-response]");
  const mechanism = command.args[0]!.toUpperCase();
  // RFC 5034 §4: "=" is an initial response of zero length.
  const initial = command.args[1] === "=" ? "" : command.args[1];
  state.user = undefined;
  switch (mechanism) {
    case "PLAIN":
      if (initial === undefined) {
        state.sasl = { mechanism: "PLAIN" };
        return reply.challenge("");
      }
      return plain(session, initial);
    case "LOGIN":
      if (initial === undefined) {
        state.sasl = { mechanism: "LOGIN", username: undefined };
        return reply.challenge(LOGIN_USERNAME_PROMPT);
      }
      return loginStep(session, state, { mechanism: "LOGIN", username: undefined }, initial);
    default:
      return reply.err(`unsupported SASL mechanism; use one of ${SASL_MECHANISMS.join(", ")}`);
  }
}

/** The client's answer to a challenge (any line while a SASL exchange is open). */
export function saslContinue(
  session: Session,
  state: AuthorizationState,
  line: Uint8Array,
): Reply | Promise<Reply> {
  const step = state.sasl!;
  state.sasl = undefined;
  const text = new TextDecoder().decode(line).trim();
  if (text === "*") return reply.err("authentication cancelled");
  if (step.mechanism === "PLAIN") return plain(session, text);
  return loginStep(session, state, step, text);
}

function plain(session: Session, base64: string): Reply | Promise<Reply> {
  const message = decodeBase64(base64);
  if (message === undefined) return reply.err("invalid base64");
  const parsed = parsePlain(message);
  if ("error" in parsed)
    return parsed.error === "authzid"
      ? reply.err("authorization identity must be empty or the login itself", "AUTH")
      : reply.err("malformed PLAIN response");
  return logIn(session, parsed.login, parsed.password);
}

function loginStep(
  session: Session,
  state: AuthorizationState,
  step: Extract<SaslStep, { mechanism: "LOGIN" }>,
  base64: string,
): Reply | Promise<Reply> {
  const value = decodeBase64(base64);
  if (value === undefined) return reply.err("invalid base64");
  if (step.username === undefined) {
    state.sasl = { mechanism: "LOGIN", username: value };
    return reply.challenge(LOGIN_PASSWORD_PROMPT);
  }
  return logIn(session, step.username, value);
}
