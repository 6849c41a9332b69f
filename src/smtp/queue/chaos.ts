/**
 * Fault injection in outgoing delivery (issue 16, src/chaos/): before a group is sent, rules for
 * "delivery" at connect, mail, rcpt (each recipient) or data may delay it, or decide recipients'
 * outcomes as if the next hop had answered with the rule's reply (a 4xx defers, a 5xx bounces, a
 * 2xx counts as delivered without sending) or the connection had dropped (deferred). Recipients no
 * rule decided are sent for real.
 */
import type { ChaosAction, ChaosRules, ChaosStage } from "../../chaos/rules.ts";
import { chaosDelay } from "../../chaos/rules.ts";
import type { Logger } from "../../log.ts";
import type { QueueItem } from "../../store/mod.ts";
import type { RecipientOutcome } from "../delivery/client.ts";

/** The outcomes the rules decided (by recipient); undefined when no rule decided any. */
export async function deliveryChaos(
  chaos: ChaosRules | undefined,
  log: Logger,
  domain: string,
  group: readonly QueueItem[],
): Promise<RecipientOutcome[] | undefined> {
  if (!chaos?.enabled) return undefined;
  const from = group[0]?.sender;
  const recipients = [...new Set(group.map((i) => i.recipient))];
  const all = recipients.join(",");
  const apply = async (stage: ChaosStage, to: string): Promise<ChaosAction | undefined> => {
    const action = chaos.decide({ protocol: "delivery", stage, domain, from, to });
    if (!action) return undefined;
    log.info("queue.chaos", { domain, stage, to, ...action });
    await chaosDelay(action.delayMs);
    return action.reply !== undefined || action.disconnect ? action : undefined;
  };
  const whole = (await apply("connect", all)) ?? (await apply("mail", all));
  if (whole) return recipients.map((address) => outcomeOf(address, whole));
  const decided: RecipientOutcome[] = [];
  for (const address of recipients) {
    const action = await apply("rcpt", address);
    if (action) decided.push(outcomeOf(address, action));
  }
  const rest = recipients.filter((a) => !decided.some((d) => d.address === a));
  if (rest.length > 0) {
    const data = await apply("data", rest.join(","));
    if (data) decided.push(...rest.map((address) => outcomeOf(address, data)));
  }
  return decided.length > 0 ? decided : undefined;
}

function outcomeOf(address: string, action: ChaosAction): RecipientOutcome {
  if (action.disconnect || action.reply === undefined)
    return { address, accepted: false, code: null, reply: "connection dropped (fault injection)" };
  const code = /^([2-5]\d\d)\b/.exec(action.reply)?.[1];
  const n = code ? Number(code) : 451;
  return { address, accepted: n < 300, code: n, reply: code ? action.reply : `451 ${action.reply}` };
}
