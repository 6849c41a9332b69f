/**
 * Fault injection in POP3 (issue 16, src/chaos/): at the connection (before the greeting), at USER,
 * PASS and AUTH ("auth") and at any command ("command"), a rule may delay, answer with its reply
 * ("-ERR [SYS/TEMP] try later"; at the connection the reply replaces the greeting and closes), or
 * drop the connection. The connection (connection.ts) carries the action out.
 */
import type { ChaosAction, ChaosRules } from "../chaos/rules.ts";
import { type Reply, reply } from "./protocol/response.ts";

const AUTH_COMMANDS = new Set(["USER", "PASS", "AUTH", "APOP"]);

export function pop3ChaosConnect(chaos: ChaosRules | undefined, client: string): ChaosAction | undefined {
  return chaos?.decide({ protocol: "pop3", stage: "connect", client });
}

/** The rule for a command line, if any; `login` is USER's argument. */
export function pop3ChaosCommand(
  chaos: ChaosRules | undefined,
  client: string,
  line: Uint8Array,
): ChaosAction | undefined {
  if (!chaos?.active) return undefined;
  const text = Buffer.from(line.subarray(0, 512)).toString("latin1");
  const [word = "", arg] = text.trim().split(/\s+/, 2);
  const command = word.toUpperCase();
  const point = { client, command };
  return (
    (AUTH_COMMANDS.has(command)
      ? chaos.decide({
          protocol: "pop3",
          stage: "auth",
          ...point,
          login: command === "USER" ? arg : undefined,
        })
      : undefined) ?? chaos.decide({ protocol: "pop3", stage: "command", ...point })
  );
}

/** The rule's reply as a POP3 reply: "+OK ..." or "-ERR ..." (an -ERR when it says neither). */
export function pop3ChaosReply(text: string): Reply {
  if (/^\+OK\b/i.test(text)) return reply.ok(text.replace(/^\+OK\s*/i, ""));
  return reply.err(text.replace(/^-ERR\s*/i, ""));
}
