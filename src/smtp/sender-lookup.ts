/**
 * The store lookups behind the sender rules (sender-rules.ts stays pure): the account's own
 * addresses, and which of the tagged candidates exist as accounts or aliases in their own right.
 * The second lookup runs only when a candidate is a "+tag" form of an own address (rare).
 */
import { accountSendAddresses, addressesInUse, type Reader } from "../store/mod.ts";
import { senderLookups } from "./sender-rules.ts";

export interface SenderOwnership {
  own: readonly string[];
  inUse: ReadonlySet<string>;
}

export async function senderOwnership(
  r: Reader,
  accountId: number,
  addresses: readonly string[],
  options: { own?: readonly string[] | undefined } = {},
): Promise<SenderOwnership> {
  const own = options.own ?? (await accountSendAddresses(r, accountId));
  const lookups = senderLookups(addresses, own);
  return { own, inUse: lookups.length > 0 ? await addressesInUse(r, lookups) : new Set() };
}
