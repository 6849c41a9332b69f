/**
 * Fault injection in the SMTP hooks (issue 16, src/chaos/): before a hook runs, the rules may make
 * it wait, answer with the rule's reply instead ("451 4.3.0 try later"; a 421 also closes, as RFC
 * 5321 §3.8 says), or drop the connection without a word. Nothing here runs unless MAILROOM_CHAOS is
 * on and a rule matches.
 */
import type { Readable } from "node:stream";
import type { SMTPServer, SMTPServerSession } from "smtp-server";
import { type ChaosAction, type ChaosPoint, chaosDelay } from "../chaos/rules.ts";
import type { SmtpContext } from "./context.ts";

/** What the wrapper calls the hook's callback with: an error, which every hook's callback takes first. */
type ErrorCallback = (error: Error) => void;

/** "451 4.3.0 text" as the error smtp-server turns into that reply. */
export function chaosReply(text: string): Error {
  const m = /^([2-5]\d\d)[ -]?(.*)$/s.exec(text.trim());
  const code = m ? Number(m[1]) : 451;
  return Object.assign(new Error(m ? m[2]!.trim() || "chaos" : text), { responseCode: code });
}

/** Finds the session's connection and destroys its socket: the client sees the line drop. */
function dropConnection(server: SMTPServer | undefined, session: SMTPServerSession): void {
  const connections = (
    server as unknown as { connections?: Set<{ id: string; _socket?: { destroy(): void } }> }
  )?.connections;
  for (const connection of connections ?? []) {
    if (connection.id === session.id) {
      connection._socket?.destroy();
      return;
    }
  }
}

/**
 * Wraps a hook whose last two arguments are the session and the callback. `point` says what the
 * stage knows; `drain` (DATA) consumes the message stream before an early answer.
 */
export function withChaos<A extends unknown[], C>(
  ctx: SmtpContext,
  server: () => SMTPServer | undefined,
  stage: ChaosPoint["stage"],
  point: (...args: [...A, SMTPServerSession]) => Omit<ChaosPoint, "protocol" | "stage">,
  hook: (...args: [...A, SMTPServerSession, C]) => void,
  drain?: (...args: A) => Readable,
): (...args: [...A, SMTPServerSession, C]) => void {
  return (...args) => {
    const chaos = ctx.chaos;
    const session = args[args.length - 2] as SMTPServerSession;
    const callback = args[args.length - 1] as unknown as ErrorCallback;
    const own = args.slice(0, -2) as unknown as A;
    const action: ChaosAction | undefined = chaos?.active
      ? chaos.decide({ protocol: "smtp", stage, ...point(...own, session) })
      : undefined;
    if (!action) return hook(...args);
    ctx.log.info("smtp.chaos", { session: session.id, stage, ...action });
    void (async () => {
      await chaosDelay(action.delayMs);
      if (action.disconnect) {
        drain?.(...own).resume();
        dropConnection(server(), session);
        return;
      }
      if (action.reply !== undefined) {
        const stream = drain?.(...own);
        if (stream && !stream.readableEnded) {
          stream.on("end", () => callback(chaosReply(action.reply!)));
          stream.resume();
        } else callback(chaosReply(action.reply));
        return;
      }
      hook(...args);
    })();
  };
}
